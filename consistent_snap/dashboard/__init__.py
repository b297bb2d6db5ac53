"""Horizon panels of consistent-snap: Project > Data Protection.

Enabled by the files in consistent_snap/dashboard/enabled/, as any Horizon
plugin. payloads.py and timeline.py are plain Python (no Django), so the
project's unit tests cover them without Horizon installed.
"""
