import time

from oslo_log import log as logging
import oslo_messaging as messaging

from consistent_snap.agent import rpcapi as agent_rpcapi
from consistent_snap import clients
from consistent_snap.coordinator import snapshot
from consistent_snap.db import api as db_api
from consistent_snap import drivers
from consistent_snap import rpc
from consistent_snap import states

LOG = logging.getLogger(__name__)
CAPTURERS = 'consistent_snap.capturers'


class CoordinatorManager:
    """The patent's cloud operation server: drives group snapshots."""

    RPC_API_VERSION = '1.0'
    target = messaging.Target(version=RPC_API_VERSION)

    def __init__(self, conf, host):
        self.conf = conf
        self.host = host
        self._agents = None
        self._notifier = None

    @property
    def agents(self):
        # Built on first use, after the fork: clients hold connections.
        if self._agents is None:
            self._agents = agent_rpcapi.AgentAPI()
            self._notifier = rpc.get_notifier(
                'consistent-snap-coordinator.%s' % self.host)
        return self._agents

    def ping(self, context):
        return {'host': self.host, 'time': time.time()}

    def create_group_snapshot(self, context, snapshot_id):
        snapshot.GroupSnapshotRun(self.conf, self.agents, self._notifier,
                                  context, snapshot_id).run()

    def delete_group_snapshot(self, context, snapshot_id):
        """Delete every image and volume snapshot the snapshot made."""
        snap = db_api.group_snapshot_get(context, snapshot_id)
        conn = clients.service_connection(self.conf)
        capturers = [drivers.load(CAPTURERS, name, self.conf, conn)
                     for name in drivers.names(CAPTURERS)]
        deleters = {c.artifact_type: c.delete for c in capturers
                    if c.artifact_type}
        failed = []
        for member in snap['members']:
            for artifact in member['artifacts'] or ():
                try:
                    deleters[artifact['type']](artifact)
                except Exception as e:
                    failed.append('%s %s: %s' % (artifact['type'],
                                                 artifact['id'], e))
        if failed:
            LOG.error('Group snapshot %s: could not delete %s', snapshot_id,
                      '; '.join(failed))
            db_api.group_snapshot_update(
                context, snapshot_id, {'status': states.ERROR, 'error':
                                       'delete failed: ' + '; '.join(failed)})
            return
        db_api.group_snapshot_update(context, snapshot_id,
                                     {'status': states.DELETED})
        LOG.info('Group snapshot %s deleted', snapshot_id)
