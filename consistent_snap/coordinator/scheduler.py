"""The patent's backup server: backup policies fired at their slots.

Every coordinator runs a scheduler. What keeps two of them from firing
one slot twice is the claim, a compare and swap on the policy's
next_run_at (db_api.backup_policy_claim), not a lock; a tooz lock around
each tick only spares them duplicate work and lets the cap on concurrent
snapshots be counted by one at a time.

A fired run is a group snapshot row written as the API writes one for an
app group, then cast to the coordinators as the API casts it: the same
run, the same sweep if the cast is lost. Its result and retention are
settled by whichever scheduler sees it end first.
"""

import time

from oslo_log import log as logging
from oslo_utils import timeutils

from consistent_snap.api import host_names
from consistent_snap import clients
from consistent_snap import context as cs_context
from consistent_snap.coordinator import retention
from consistent_snap.db import api as db_api
from consistent_snap import exception
from consistent_snap import figures
from consistent_snap import members
from consistent_snap.restore import checks
from consistent_snap.restore import plan as restore_plan
from consistent_snap import schedule
from consistent_snap import snapshot_request
from consistent_snap import states
from consistent_snap import trusts

LOG = logging.getLogger(__name__)
LOCK = 'consistent-snap-scheduler'
# A policy's own settings; null ones are the app group's preset.
SETTINGS = ('mode', 'quiesce', 'consistent', 'include_volumes')
MAX_RESULT = 1000


def requested_by(policy_id):
    """What a policy's snapshots record as their requester."""
    return trusts.POLICY_RUN + policy_id


def slot_name(policy, slot):
    """A snapshot's name: its policy and the slot it was taken for."""
    return '%s-%s' % (policy['name'] or 'policy-%s' % policy['id'][:8],
                      slot.strftime('%Y%m%dT%H%M%SZ'))


def result_line(snap):
    """A run's result, for people: 'available: snapshot ID, cut ...'."""
    line = '%s: snapshot %s' % (snap['status'], snap['id'])
    if snap['status'] == states.AVAILABLE:
        line += ', cut %s' % figures.cut_text(snap)
    elif snap.get('error'):
        # Shown to the policy's project, who may not see hosts: Nova's
        # host hash in place of a host name, as in the snapshot's view.
        line += ': %s' % host_names.text(snap['error'], {
            m['host']: m['host_id'] for m in snap.get('members') or ()
            if m.get('host')})
    return line[:MAX_RESULT]


def _run_context(policy):
    # The policy's project, as its creator: what a request would carry.
    # The creator's token is long gone; the policy's trust is the
    # delegation (trust_id on the snapshot), as a request's would be.
    return cs_context.RequestContext(user_id=policy['created_by'],
                                     project_id=policy['project_id'],
                                     overwrite=False)


class Scheduler:
    def __init__(self, conf, coordination, coordinator_api):
        self.conf = conf
        self.coordination = coordination
        self.coordinator_api = coordinator_api
        self._last_tick_at = None
        self._retained_at = None

    def tick(self, now=None):
        """Settle ended runs, fire due policies, apply retention."""
        now = now or timeutils.utcnow()
        lock = self.coordination.try_lock(LOCK)
        if lock is None:
            return  # Another coordinator ticks now.
        try:
            context = cs_context.RequestContext(is_admin=True,
                                                overwrite=False)
            self.settle(context, now)
            self.fire_due(context, now)
            self.retain(context, now)
        finally:
            lock.release()
        self._last_tick_at = now

    def fire_due(self, context, now):
        cap = self.conf.coordinator.max_concurrent_snapshots
        room = (cap - db_api.group_snapshot_count_running(context)
                if cap else None)
        per_host = self.conf.coordinator.max_concurrent_per_host
        busy = (db_api.group_snapshot_count_running_by_host(context)
                if per_host else {})
        for policy in db_api.backup_policy_list_due(context, now):
            if room is not None and room <= 0:
                # Not claimed: it stays due, first in line next time.
                LOG.info('%d group snapshots in progress, the most '
                         '[coordinator] max_concurrent_snapshots allows: '
                         'due backup policies wait', cap)
                return
            hosts = self._hosts(context, policy) if per_host else set()
            full = sorted(h for h in hosts if busy.get(h, 0) >= per_host)
            if full:
                LOG.info('Backup policy %s waits: %s at [coordinator] '
                         'max_concurrent_per_host', policy['id'],
                         ', '.join(full))
                continue
            try:
                snapshot_request.refuse_if_project_busy(
                    self.conf, context, policy['project_id'])
            except exception.ProjectBusy as e:
                # Not claimed: it waits for room, as for the caps above.
                LOG.info('Backup policy %s waits: %s', policy['id'], e)
                continue
            if self.fire(context, policy, now):
                if room is not None:
                    room -= 1
                for host in hosts:
                    busy[host] = busy.get(host, 0) + 1

    def _hosts(self, context, policy):
        """The compute hosts of the policy's app group, as resolved now.

        Empty when that fails: fire() then records why.
        """
        try:
            group = db_api.app_group_get(context, policy['app_group_id'])
            resolved = members.resolve(
                self.conf, clients.service_connection(self.conf), group,
                show_host=True)
        except Exception:
            return set()
        return {m.get('host') for m in resolved['members']} - {None}

    def fire(self, context, policy, now):
        """Claim the policy's due run and start it; True if started."""
        slot = policy['next_run_at']
        try:
            next_run_at = schedule.advance(policy['cron'],
                                           policy['timezone'], now)
            problem = None
        except schedule.InvalidSchedule as e:
            # A zone the tz database no longer has: stop, and say why.
            next_run_at, problem = None, 'error: %s' % e
        if not db_api.backup_policy_claim(context, policy['id'], slot,
                                          next_run_at, now):
            return False  # Another coordinator fired it.
        LOG.info('Backup policy %s fires its %s run; next at %s',
                 policy['id'], slot.isoformat(), next_run_at)
        if problem:
            return self._result(context, policy, problem)
        if policy['last_snapshot_id'] and policy['last_result'] is None:
            LOG.warning('Backup policy %s skips its %s run: its snapshot %s '
                        'is still in progress', policy['id'],
                        slot.isoformat(), policy['last_snapshot_id'])
            return False
        run_context = _run_context(policy)
        try:
            snap = self._create(run_context, policy, slot)
        except exception.ConsistentSnapException as e:
            return self._result(context, policy, 'error: %s' % e)
        except Exception as e:
            # Nova or Heat failed to answer: the next slot tries again.
            LOG.exception('Backup policy %s could not start its run',
                          policy['id'])
            return self._result(context, policy, 'error: %s' % e)
        db_api.backup_policy_update(context, policy['id'], {
            'last_snapshot_id': snap['id'], 'last_result': None})
        # Recorded first, then cast: a lost cast leaves a pending row that
        # a sweep starts.
        self.coordinator_api.create_group_snapshot(run_context, snap['id'])
        return True

    def _create(self, context, policy, slot):
        """The snapshot row, exactly as the API writes one."""
        if policy['app_group_id'] is None:
            raise exception.NotFound('the app group of this policy was '
                                     'deleted')
        body = {'app_group': policy['app_group_id']}
        body.update({key: policy[key] for key in SETTINGS
                     if policy[key] is not None})
        values = snapshot_request.settings(self.conf, context, body)
        values.update(
            name=slot_name(policy, slot),
            description='Backup policy %s, run of %sZ' % (
                policy['id'], slot.isoformat()),
            status=states.PENDING, requested_by=requested_by(policy['id']),
            trust_id=policy['trust_id'])
        return db_api.group_snapshot_create(context, values)

    def _result(self, context, policy, result):
        LOG.warning('Backup policy %s: %s', policy['id'], result)
        db_api.backup_policy_update(context, policy['id'],
                                    {'last_result': result[:MAX_RESULT]})
        return False

    def settle(self, context, now):
        """Record the result of each run that ended; then retention."""
        for policy, snap in db_api.backup_policy_list_settling(context):
            result = result_line(snap)
            if db_api.backup_policy_settle(context, policy['id'], snap['id'],
                                           result):
                LOG.info('Backup policy %s: %s', policy['id'], result)
                if snap['status'] == states.AVAILABLE and (
                        policy['verify_every']):
                    self.verify(context, policy, snap)
                self.retain_one(context, policy, now)

    def verify(self, context, policy, snap):
        """Verify the run's snapshot, unless the policy verified one lately.

        That is, unless one of its newest verify_every snapshots has a
        verification (with a verdict, or running).
        """
        newest = db_api.group_snapshot_list(
            context, all_projects=True,
            requested_by=requested_by(policy['id']),
            limit=policy['verify_every'])
        if db_api.verdicts(context, [s['id'] for s in newest]):
            return
        restore = db_api.restore_create(context, {
            'group_snapshot_id': snap['id'], 'project_id': snap['project_id'],
            'status': states.Restore.PENDING, 'mode': restore_plan.VERIFY,
            'options': {'checks': checks.of_snapshot(context, snap, None)},
            'requested_by': requested_by(policy['id']),
            'trust_id': policy['trust_id']})
        LOG.info('Backup policy %s verifies group snapshot %s: verification '
                 '%s', policy['id'], snap['id'], restore['id'])
        # Recorded first, then cast: a lost cast leaves a pending row that
        # a sweep starts.
        self.coordinator_api.create_restore(_run_context(policy),
                                            restore['id'])

    def retain(self, context, now):
        """Every policy now and then; those changed since the last tick."""
        monotonic = time.monotonic()
        if (self._retained_at is None or monotonic - self._retained_at >=
                self.conf.coordinator.retention_interval):
            self._retained_at = monotonic
            policies = db_api.backup_policy_list_retained(context)
        elif self._last_tick_at is not None:
            policies = db_api.backup_policy_list_retained(
                context, updated_since=self._last_tick_at)
        else:
            policies = []
        for policy in policies:
            self.retain_one(context, policy, now)

    def retain_one(self, context, policy, now):
        """Delete what the policy keeps no longer, as a user's delete."""
        if policy['keep_last'] is None and policy['max_age_s'] is None:
            return
        snaps = db_api.group_snapshot_list(
            context, all_projects=True,
            requested_by=requested_by(policy['id']))
        passed = {snapshot_id for snapshot_id, verification in
                  db_api.verdicts(context, [s['id'] for s in snaps]).items()
                  if verification['verdict'] == states.Verdict.PASSED}
        for snapshot_id in retention.expired(snaps, policy['keep_last'],
                                             policy['max_age_s'], now,
                                             passed):
            try:
                db_api.group_snapshot_update(
                    context, snapshot_id, {'status': states.DELETING},
                    expected=states.DELETABLE)
            except exception.InvalidState:
                continue  # Being deleted already.
            LOG.info('Backup policy %s: retention deletes group snapshot %s',
                     policy['id'], snapshot_id)
            self.coordinator_api.delete_group_snapshot(context, snapshot_id)
