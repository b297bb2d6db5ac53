"""The fault soak: group snapshots under injected faults, then invariants.

See README.md here.
"""
