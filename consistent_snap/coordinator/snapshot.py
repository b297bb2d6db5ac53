"""One group snapshot, driven to a final state.

The coordinator decides, the agents work (coordinator/fence.py); this
module resolves the members, records every step and keeps it all or
nothing: a run ends available or error, an orphan left by a dead
coordinator is reaped, a deleted snapshot takes its artifacts along.
"""

import collections

from oslo_db import api as oslo_db_api
from oslo_db import exception as db_exc
from oslo_log import log as logging

from consistent_snap import clients
from consistent_snap.coordinator import fence
from consistent_snap.coordinator import volume_groups
from consistent_snap.db import api as db_api
from consistent_snap import drivers
from consistent_snap import exception
from consistent_snap import figures
from consistent_snap import hooks
from consistent_snap import manifest
from consistent_snap import members as app_members
from consistent_snap import snapshot_request
from consistent_snap import states
from consistent_snap import trusts

LOG = logging.getLogger(__name__)
CAPTURERS = 'consistent_snap.capturers'
M = states.Member


def _payload(member, snapshot):
    """What an agent needs of a member: never the whole server."""
    if snapshot['require_quiesce']:
        reason = 'the request asks for it'
    elif member.get('quiesce_required'):
        reason = 'its image sets os_require_quiesce'
    else:
        reason = None
    return {'server_id': member['server_id'], 'name': member['name'],
            'volume_backed': member['volume_backed'],
            # Why it must be quiesced, or None; require_quiesce too, for
            # agents before 1.4, until the next release.
            'quiesce_reason': reason, 'require_quiesce': reason,
            'volumes': (member['volumes'] if snapshot['include_volumes']
                        else []),
            # Its hooks, in order (1.6 agents run them).
            'hooks': hooks.for_member(snapshot['hooks'], member)}


def record(context, snapshot_id, reports):
    """Write agents' reports ({host: report}) in one transaction.

    Their instants are on the coordinator's clock already (the agent, or
    AgentAPI for an older one, converts them). Returns the rows written.
    """
    rows = [dict(member) for report in reports.values()
            for member in report['members']]
    db_api.member_snapshots_update(context, snapshot_id, rows)
    return rows


def summary(rows):
    """The group's measured figures from its members' rows."""
    freezes = [fence.window_ms(r['frozen_at'], r['thawed_at']) for r in rows]
    uncertain = [fence.window_ms(r['captured_at'], r['fixed_at'])
                 for r in rows]
    calls = [r['captured_at'] for r in rows if r['captured_at'] is not None]
    hooks = [h for r in rows for h in r.get('hook_results') or ()]
    fixed = [r['fixed_at'] for r in rows if r['fixed_at'] is not None]
    return {
        'skew_ms': fence.skew_ms(calls),
        # From the first call to the last point fixed: each point lies
        # between its call and its fix, so no two are further apart.
        'skew_bound_ms': (fence.window_ms(min(calls), max(fixed))
                          if calls and len(fixed) == len(rows) else None),
        'frozen_together': fence.frozen_together(rows),
        'uncertainty_ms': max((u for u in uncertain if u is not None),
                              default=None),
        'max_freeze_ms': max((f for f in freezes if f is not None),
                             default=None),
        'hooks_window_ms': fence.window_ms(
            min(h['started_at'] for h in hooks),
            max(h['ended_at'] for h in hooks)) if hooks else None,
        'consistency': M.weakest(r['consistency'] for r in rows),
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

    def _move(self, status, **values):
        """A compare and swap from the status this run last wrote.

        Anyone else's move (a sweep that reaped it) makes the next one
        raise InvalidState: the run has lost the snapshot.
        """
        self.snapshot = db_api.group_snapshot_update(
            self.context, self.id, dict(values, status=status),
            expected=(self.snapshot['status'],))

    def _move_kept(self, status, **values):
        """_move, retried while the database fails.

        Every artifact is there: a failed write must not become an abort.
        """
        retry = oslo_db_api.wrap_db_retry(
            max_retries=10, retry_interval=0.5, max_retry_interval=30,
            exception_checker=lambda e: isinstance(e, db_exc.DBError))
        retry(self._move)(status, **values)

    def _record(self, reports):
        for row in record(self.context, self.id, reports):
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
        # Kept: the members' manifests are read from what it fetched.
        self.inventory = app_members.Inventory(conn, group['project_id'])
        resolved = app_members.resolve(self.conf, conn, group,
                                       show_host=True,
                                       inventory=self.inventory)
        snapshot_request.check_resolved(group, resolved,
                                        snap['skip_unhealthy'])
        return resolved['members']

    def _manifests(self, resolved):
        # Read before the fence starts, never inside its window; a member
        # whose manifest cannot be read is still captured.
        try:
            return manifest.read(
                clients.service_connection(self.conf), self.inventory,
                [self.inventory.servers[m['server_id']] for m in resolved])
        except Exception as e:
            LOG.warning('Group snapshot %s: manifests not read: %s',
                        self.id, e, exc_info=True)
            return {m['server_id']: manifest.unreadable(
                m['server_id'], m['name'], 'manifest: %s' % e)
                for m in resolved}

    def _plan(self, resolved):
        skipped = snapshot_request.why_not_capturable
        db_api.servers_reserve(self.context, self.id, [
            m['server_id'] for m in resolved if not skipped(m)])
        manifests = self._manifests(resolved)
        # Skipped members are recorded too: the snapshot says what it lacks.
        db_api.member_snapshots_create(self.context, self.id, [
            {'server_id': m['server_id'], 'server_name': m['name'],
             'server_status': m['status'], 'host': m['host'] or '',
             'host_id': m['host_id'],
             'manifest': manifests.get(m['server_id']),
             'status': M.SKIPPED if skipped(m) else M.PENDING}
            for m in resolved])
        resolved = [m for m in resolved if not skipped(m)]
        payloads = {m['server_id']: _payload(m, self.snapshot)
                    for m in resolved}
        try:
            volume_groups.plan_groups(
                clients.service_connection(self.conf),
                list(payloads.values()))
        except Exception as e:
            raise fence.Failed('Could not read the Cinder groups of the '
                               'members\' volumes: %s' % e)
        by_host = collections.defaultdict(list)
        for member in resolved:
            by_host[member['host']].append(payloads[member['server_id']])
        return fence.Fence(self.conf, self.agents, self.context, self.id,
                           dict(by_host), self.snapshot['quiesce'],
                           on_phase=self._move, on_reports=self._record,
                           trust_id=self.snapshot['trust_id'])

    def run(self):
        self.snapshot = db_api.group_snapshot_get(self.context, self.id)
        first = states.FENCING if self.snapshot['consistent'] else (
            states.CAPTURING)
        try:
            if self.snapshot['status'] != states.PENDING:
                raise exception.InvalidState(
                    id=self.id, status=self.snapshot['status'], wanted=first)
            self._move(first)
        except exception.InvalidState:
            LOG.info('Group snapshot %s is already being driven', self.id)
            return
        self._notify('start')
        try:
            self.fence = self._plan(self._resolve())
            self.fence.capture(self.snapshot['consistent'],
                               self.snapshot['mode'])
            self._move(states.FINALIZING, fence_at=self.fence.fence_at,
                       **summary(list(self.rows.values())))
            self.fence.finalize()
            self._move_kept(states.AVAILABLE)
            LOG.info('Group snapshot %s available: %d members on %d hosts, '
                     'cut %s', self.id, len(self.rows),
                     len(self.fence.hosts), figures.cut_text(self.snapshot))
            self._notify('end')
        except Exception as e:
            self._fail(e)
        revoke_trust(self.conf, self.context, self.id)

    def _fail(self, error):
        """Own the move to error, then undo everything: all or nothing."""
        if isinstance(error, (fence.Failed,
                              exception.ConsistentSnapException)):
            message = str(error)
        else:
            message = 'unexpected error: %s' % error
            LOG.error('Group snapshot %s: unexpected error', self.id,
                      exc_info=error)
        LOG.error('Group snapshot %s failed: %s', self.id, message)
        fence_at = self.fence.fence_at if self.fence else None
        try:
            self._move(states.ERROR, error=message, fence_at=fence_at)
        except Exception as e:
            # Another coordinator moved it on (or the database is gone):
            # it is not ours to destroy. Agents' timers thaw the guests.
            LOG.error('Group snapshot %s: not aborting it, its status could '
                      'not be set to error: %s', self.id, e)
            return
        if self.fence is not None:
            for host, failure in self.fence.abort().items():
                # The agent's dead-man timer still thaws its guests.
                LOG.error('Group snapshot %s: abort on host %s failed: %s',
                          self.id, host, failure)
                if host not in message:
                    message += ('; host %s did not answer the abort (its '
                                'own timer thaws its guests)' % host)
        # All or nothing: what an unreachable host made goes too.
        leftovers = destroy_artifacts(
            self.conf, db_api.group_snapshot_get(self.context, self.id))
        record_undone(self.context, self.id, leftovers)
        if leftovers:
            message += '; could not delete %s' % '; '.join(leftovers)
        if message != self.snapshot['error']:
            self._move(states.ERROR, error=message)
        # Thawed and undone (or left to the hosts' own timers): the next
        # snapshot may take the servers.
        db_api.servers_release(self.context, self.id)
        self._notify('error')

    def _notify(self, event):
        snap = self.snapshot
        self.notifier.info(self.context, 'group_snapshot.create.%s' % event,
                           {k: snap.get(k) for k in (
                               'id', 'app_group_id', 'project_id', 'status',
                               'mode', 'consistent', 'fence_at', 'skew_ms',
                               'skew_bound_ms', 'frozen_together',
                               'max_freeze_ms', 'hooks_window_ms',
                               'consistency', 'error')})


def _capturers(conf):
    conn = clients.service_connection(conf)
    return [drivers.load(CAPTURERS, name, conf, conn)
            for name in drivers.names(CAPTURERS)]


def destroy_artifacts(conf, snap):
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


def record_undone(context, snapshot_id, failed):
    """After an undo, no member reads as if it were still in progress.

    A host that died, or a coordinator killed mid-run, never reported its
    members' abort: they would stay 'captured' or 'frozen', their artifacts
    'creating', in a snapshot whose artifacts are gone. failed: what
    destroy_artifacts could not delete (those artifacts keep their status).
    """
    rows = []
    for member in db_api.group_snapshot_get(context, snapshot_id)['members']:
        rows.append({
            'server_id': member['server_id'],
            'status': (member['status'] if member['status'] in M.UNDONE
                       else M.ABORTED),
            'artifacts': [a if any(a['id'] in f for f in failed)
                          else dict(a, status='deleted')
                          for a in member['artifacts'] or ()]})
    db_api.member_snapshots_update(context, snapshot_id, rows)


def revoke_trust(conf, context, snapshot_id):
    """Revoke the trust a snapshot's request delegated, once it is final.

    A policy's run uses the policy's trust, kept for its next run.
    """
    snap = db_api.group_snapshot_get(context, snapshot_id)
    if (not snap['trust_id'] or snap['status'] not in states.FINAL or
            not trusts.delegated_per_request(snap['requested_by'])):
        return
    trusts.revoke(
        conf, snap['trust_id'],
        lambda: db_api.group_snapshot_update(context, snapshot_id,
                                             {'trust_id': None},
                                             expected=(snap['status'],)),
        'Group snapshot %s' % snapshot_id)


def delete_snapshot(conf, context, snapshot_id):
    """Delete a snapshot's images and volume snapshots, then the snapshot.

    Only a snapshot already moved to deleting (a compare and swap by the
    API or retention): that move is what makes its artifacts ours to
    destroy.
    """
    snap = db_api.group_snapshot_get(context, snapshot_id)
    if snap['status'] != states.DELETING:
        LOG.warning('Group snapshot %s is %s, not deleting: its artifacts '
                    'are kept', snapshot_id, snap['status'])
        return
    failed = destroy_artifacts(conf, snap)
    if failed:
        LOG.error('Group snapshot %s: could not delete %s', snapshot_id,
                  '; '.join(failed))
        db_api.group_snapshot_update(context, snapshot_id, {
            'status': states.ERROR,
            'error': 'delete failed: ' + '; '.join(failed)},
            expected=(states.DELETING,))
        return
    db_api.group_snapshot_update(context, snapshot_id,
                                 {'status': states.DELETED},
                                 expected=(states.DELETING,))
    LOG.info('Group snapshot %s deleted', snapshot_id)


def reap(conf, agents, notifier, context, snap):
    """Fail a snapshot whose coordinator is gone, leaving nothing behind.

    First a compare and swap to error from the status ``snap`` was read
    in: if the snapshot moved on meanwhile (it finished), it is left
    alone. Only then is every host told to abort (thaw, discard what it
    made), and whatever the members recorded deleted too, in case a host
    cannot be reached.
    """
    message = ('interrupted while %s: the coordinator driving it stopped; '
               'its hosts were told to thaw and discard what they made' %
               snap['status'])
    try:
        db_api.group_snapshot_update(
            context, snap['id'], {'status': states.ERROR, 'error': message},
            expected=(snap['status'],))
    except exception.InvalidState as e:
        LOG.info('Group snapshot %s not reaped: %s', snap['id'], e)
        return
    by_host = collections.defaultdict(list)
    for member in snap['members']:
        by_host[member['host']].append({'server_id': member['server_id']})
    unreached = fence.Fence(
        conf, agents, context, snap['id'], dict(by_host), snap['quiesce'],
        on_reports=lambda reports: record(
            context, snap['id'], reports)).abort()
    failed = destroy_artifacts(conf, db_api.group_snapshot_get(context,
                                                               snap['id']))
    record_undone(context, snap['id'], failed)
    db_api.servers_release(context, snap['id'])
    if unreached:
        message += ('; unreachable: %s (their own timers thaw their guests)'
                    % ', '.join(sorted(unreached)))
    if failed:
        message += '; could not delete %s' % '; '.join(failed)
    LOG.warning('Group snapshot %s %s', snap['id'], message)
    if unreached or failed:
        db_api.group_snapshot_update(context, snap['id'], {'error': message},
                                     expected=(states.ERROR,))
    notifier.info(context, 'group_snapshot.create.error',
                  {'id': snap['id'], 'status': states.ERROR,
                   'error': message})
    revoke_trust(conf, context, snap['id'])
