"""consistent-snap-coordinator: resolves app groups and drives the fence."""

from consistent_snap.cmd import _rpc_service
from consistent_snap.coordinator import manager
from consistent_snap import rpc


def main():
    _rpc_service.run('consistent-snap-coordinator',
                     [rpc.COORDINATOR_TOPIC, rpc.REPORTS_TOPIC],
                     manager.CoordinatorManager, uses_db=True)
