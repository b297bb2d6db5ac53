"""consistent-snap-agent: one per compute host.

Its [DEFAULT] host must be Nova's name for the host.
"""

from consistent_snap.agent import manager
from consistent_snap.cmd import _rpc_service
from consistent_snap import rpc


def main():
    _rpc_service.run('consistent-snap-agent',
                     [rpc.AGENT_TOPIC, rpc.AGENT_PRIORITY_TOPIC],
                     manager.AgentManager, uses_db=False)
