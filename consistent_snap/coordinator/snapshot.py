"""One group snapshot, driven to a final state.

The coordinator decides, the agents work (coordinator/fence.py); this
module resolves the members, records every step and keeps it all or
nothing: a run ends available or error, an orphan left by a dead
coordinator is reaped, a deleted snapshot takes its artifacts along.
"""

import collections

from oslo_log import log as logging

from consistent_snap.capturers import cinder
from consistent_snap import clients
from consistent_snap.coordinator import fence
from consistent_snap.db import api as db_api
from consistent_snap import drivers
from consistent_snap import exception
from consistent_snap import members as app_members
from consistent_snap import states

LOG = logging.getLogger(__name__)
CAPTURERS = 'consistent_snap.capturers'
INSTANTS = ('received_at', 'started_at', 'frozen_at', 'captured_at',
            'fixed_at', 'thawed_at')


def _payload(member, snapshot):
    """What an agent needs of a member: never the whole server."""
    if snapshot['require_quiesce']:
        require_quiesce = 'the request asks for it'
    elif member.get('quiesce_required'):
        require_quiesce = 'its image sets os_require_quiesce'
    else:
        require_quiesce = None
    return {'server_id': member['server_id'], 'name': member['name'],
            'volume_backed': member['volume_backed'],
            'require_quiesce': require_quiesce,
            'volumes': (member['volumes'] if snapshot['include_volumes']
                        else [])}


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
        payloads = {m['server_id']: _payload(m, self.snapshot)
                    for m in resolved}
        try:
            cinder.plan_groups(clients.service_connection(self.conf),
                               list(payloads.values()))
        except Exception as e:
            raise fence.Failed('Could not read the Cinder groups of the '
                               'members\' volumes: %s' % e)
        by_host = collections.defaultdict(list)
        for member in resolved:
            by_host[member['host']].append(payloads[member['server_id']])
        return fence.Fence(self.conf, self.agents, self.context, self.id,
                           dict(by_host), self.snapshot['quiesce'],
                           on_phase=self._move, on_report=self._record,
                           trust_id=self.snapshot['trust_id'])

    def run(self):
        try:
            snap = db_api.group_snapshot_get(self.context, self.id)
            first = states.FENCING if snap['consistent'] else (
                states.CAPTURING)
            self._move(first, expected=(states.PENDING,))
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
                    if host not in message:
                        message += ('; host %s did not answer the abort '
                                    '(its own timer thaws its guests)' % host)
            # All or nothing: what an unreachable host made goes too.
            leftovers = delete_everything(
                self.conf, db_api.group_snapshot_get(self.context, self.id))
            if leftovers:
                message += '; could not delete %s' % '; '.join(leftovers)
            self._move(states.ERROR, error=message)
            self._notify('error')

    def _notify(self, event):
        snap = self.snapshot
        self.notifier.info(self.context, 'group_snapshot.create.%s' % event,
                           {k: snap.get(k) for k in (
                               'id', 'app_group_id', 'project_id', 'status',
                               'mode', 'consistent', 'fence_at', 'skew_ms',
                               'max_freeze_ms', 'consistency', 'error')})


def _capturers(conf):
    conn = clients.service_connection(conf)
    return [drivers.load(CAPTURERS, name, conf, conn)
            for name in drivers.names(CAPTURERS)]


def delete_everything(conf, snap):
    """Delete every artifact of the snapshot; return the failures.

    That is what the members recorded, and whatever else carries the
    snapshot's label: made by an agent that died before reporting it.
    """
    capturers = [c for c in _capturers(conf) if c.artifact_types]
    by_type = {kind: c for c in capturers for kind in c.artifact_types}
    artifacts = {(a['type'], a['id']): a for m in snap['members']
                 for a in m['artifacts'] or ()}
    failed = []
    for capturer in capturers:
        try:
            for artifact in capturer.find(snap['id']):
                artifacts.setdefault((artifact['type'], artifact['id']),
                                     artifact)
        except Exception as e:
            failed.append('looking for %s: %s' % (
                ', '.join(capturer.artifact_types), e))
    for (kind, artifact_id), artifact in sorted(artifacts.items()):
        try:
            by_type[kind].delete(artifact)
        except Exception as e:
            failed.append('%s %s: %s' % (kind, artifact_id, e))
    return failed


def delete_artifacts(conf, context, snapshot_id):
    """Delete a snapshot's images and volume snapshots, then the snapshot."""
    snap = db_api.group_snapshot_get(context, snapshot_id)
    failed = delete_everything(conf, snap)
    if failed:
        LOG.error('Group snapshot %s: could not delete %s', snapshot_id,
                  '; '.join(failed))
        db_api.group_snapshot_update(context, snapshot_id, {
            'status': states.ERROR,
            'error': 'delete failed: ' + '; '.join(failed)})
        return
    db_api.group_snapshot_update(context, snapshot_id,
                                 {'status': states.DELETED})
    LOG.info('Group snapshot %s deleted', snapshot_id)


def reap(conf, agents, notifier, context, snap):
    """Fail a snapshot whose coordinator is gone, leaving nothing behind.

    Every host is told to abort (thaw, discard what it made); whatever the
    members recorded is deleted too, in case a host cannot be reached.
    """
    by_host = collections.defaultdict(list)
    for member in snap['members']:
        by_host[member['host']].append({'server_id': member['server_id']})
    unreached = fence.Fence(
        conf, agents, context, snap['id'], dict(by_host), snap['quiesce'],
        on_report=lambda host, report: record(
            context, snap['id'], report)).abort()
    failed = delete_everything(conf, db_api.group_snapshot_get(context,
                                                               snap['id']))
    message = ('interrupted while %s: the coordinator driving it stopped; '
               'its hosts were told to thaw and discard what they made' %
               snap['status'])
    if unreached:
        message += ('; unreachable: %s (their own timers thaw their guests)'
                    % ', '.join(sorted(unreached)))
    if failed:
        message += '; could not delete %s' % '; '.join(failed)
    LOG.warning('Group snapshot %s %s', snap['id'], message)
    db_api.group_snapshot_update(context, snap['id'], {
        'status': states.ERROR, 'error': message})
    notifier.info(context, 'group_snapshot.create.error',
                  {'id': snap['id'], 'status': states.ERROR,
                   'error': message})
