"""One group snapshot, driven from pending to available or error.

The coordinator decides, the agents work (coordinator/fence.py); this
module resolves the members, records every step, and keeps it all or
nothing.
"""

import collections

from oslo_log import log as logging

from consistent_snap import clients
from consistent_snap.coordinator import fence
from consistent_snap.db import api as db_api
from consistent_snap import exception
from consistent_snap import members as app_members
from consistent_snap import states

LOG = logging.getLogger(__name__)
INSTANTS = ('received_at', 'started_at', 'frozen_at', 'captured_at',
            'fixed_at', 'thawed_at')


def _payload(member, include_volumes):
    """What an agent needs of a member: never the whole server."""
    return {'server_id': member['server_id'], 'name': member['name'],
            'volume_backed': member['volume_backed'],
            'volumes': member['volumes'] if include_volumes else []}


def record(context, snapshot_id, report, offset=0.0):
    """Write an agent's report into the database; return the rows.

    Instants move from the agent's clock to the coordinator's.
    """
    rows = []
    for member in report['members']:
        row = dict(member)
        for key in INSTANTS:
            if row.get(key) is not None:
                row[key] -= offset
        rows.append(row)
    db_api.member_snapshots_update(context, snapshot_id, rows)
    return rows


def summary(rows):
    """The group's measured figures from its members' rows."""
    freezes = [fence.window_ms(r['frozen_at'], r['thawed_at']) for r in rows]
    uncertain = [fence.window_ms(r['captured_at'], r['fixed_at'])
                 for r in rows]
    return {
        'skew_ms': fence.skew_ms([r['captured_at'] for r in rows]),
        'uncertainty_ms': max((u for u in uncertain if u is not None),
                              default=None),
        'max_freeze_ms': max((f for f in freezes if f is not None),
                             default=None),
        'consistency': fence.consistency(r['consistency'] for r in rows),
    }


class GroupSnapshotRun:
    def __init__(self, conf, agents, notifier, context, snapshot_id):
        self.conf = conf
        self.agents = agents
        self.notifier = notifier
        self.context = context
        self.id = snapshot_id
        self.fence = None
        self.rows = {}

    def _move(self, status, expected=None, **values):
        self.snapshot = db_api.group_snapshot_update(
            self.context, self.id, dict(values, status=status),
            expected=expected)

    def _record(self, host, report):
        for row in record(self.context, self.id, report,
                          self.fence.offsets.get(host, 0.0)):
            self.rows[row['server_id']] = row

    def _resolve(self):
        snap = self.snapshot
        conn = clients.service_connection(self.conf)
        if snap['app_group_id']:
            group = db_api.app_group_get(self.context, snap['app_group_id'])
        else:
            group = {'id': None, 'name': 'servers', 'project_id':
                     snap['project_id'], 'source_type': 'servers',
                     'source_ref': {'servers': snap['servers']}}
        resolved = app_members.resolve(self.conf, conn, group,
                                       show_host=True)
        if resolved['missing']:
            raise fence.Failed('Server(s) %s named by %s no longer exist' % (
                ', '.join(resolved['missing']), group['name']))
        if not resolved['members']:
            raise fence.Failed(str(exception.EmptyAppGroup(
                name=group['name'])))
        broken = [m for m in resolved['members'] if m['status'] == 'ERROR']
        names = ', '.join('%s (%s)' % (m['name'], m['server_id'])
                          for m in broken)
        if broken and not snap['skip_unhealthy']:
            raise fence.Failed(str(exception.UnhealthyMembers(
                servers=names)))
        if len(broken) == len(resolved['members']):
            raise fence.Failed(str(exception.NoHealthyMembers(
                name=group['name'], servers=names)))
        return resolved['members']

    def _plan(self, resolved):
        # Skipped members are recorded too: the snapshot says what it lacks.
        db_api.member_snapshots_create(self.context, self.id, [
            {'server_id': m['server_id'], 'server_name': m['name'],
             'server_status': m['status'], 'host': m['host'],
             'host_id': m['host_id'],
             'status': 'skipped' if m['status'] == 'ERROR' else 'pending'}
            for m in resolved])
        resolved = [m for m in resolved if m['status'] != 'ERROR']
        by_host = collections.defaultdict(list)
        for member in resolved:
            by_host[member['host']].append(
                _payload(member, self.snapshot['include_volumes']))
        return fence.Fence(self.conf, self.agents, self.context, self.id,
                           dict(by_host), self.snapshot['quiesce'],
                           on_phase=self._move, on_report=self._record)

    def run(self):
        try:
            self._move(states.FENCING, expected=(states.PENDING,))
        except exception.InvalidState:
            LOG.info('Group snapshot %s is already being driven', self.id)
            return
        self._notify('start')
        try:
            self.fence = self._plan(self._resolve())
            self.fence.capture(self.snapshot['consistent'],
                               self.snapshot['mode'])
            self._move(states.FINALIZING, **summary(list(self.rows.values())))
            self.fence.finalize()
            self._move(states.AVAILABLE)
            LOG.info('Group snapshot %s available: %d members on %d hosts, '
                     'skew %.3f ms', self.id, len(self.rows),
                     len(self.fence.hosts), self.snapshot['skew_ms'] or 0.0)
            self._notify('end')
        except Exception as e:
            if isinstance(e, fence.Failed):
                message = str(e)
            else:
                message = 'unexpected error: %s' % e
                LOG.exception('Group snapshot %s', self.id)
            LOG.error('Group snapshot %s failed: %s', self.id, message)
            if self.fence is not None:
                for host, error in self.fence.abort().items():
                    # The agent's dead-man timer still thaws its guests.
                    LOG.error('Group snapshot %s: abort on host %s failed: '
                              '%s', self.id, host, error)
            self._move(states.ERROR, error=message)
            self._notify('error')

    def _notify(self, event):
        snap = self.snapshot
        self.notifier.info(self.context, 'group_snapshot.create.%s' % event,
                           {k: snap.get(k) for k in (
                               'id', 'app_group_id', 'project_id', 'status',
                               'mode', 'consistent', 'fence_at', 'skew_ms',
                               'max_freeze_ms', 'consistency', 'error')})
