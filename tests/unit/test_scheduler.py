"""The backup policy scheduler on a real SQLite file.

Nova is the boundary: members.resolve answers what Nova would. The casts
to the coordinators are recorded, not sent. The instants are in 2001, so
that no other test's policy is due.
"""

import datetime
import threading

from oslo_utils import uuidutils
import pytest

from consistent_snap import clients
from consistent_snap import context as cs_context
from consistent_snap.coordinator import scheduler
from consistent_snap import members

NOW = datetime.datetime(2001, 1, 1, 12, 0, 0)
SERVER = {'server_id': '0030a364-3c9f-43ac-ac5f-fca7755ad9aa',
          'name': 'web-1', 'status': 'ACTIVE', 'host_id': 'h1'}


class Casts:
    """The coordinator RPC API, recording what it would cast."""

    def __init__(self):
        self.created, self.deleted = [], []

    def create_group_snapshot(self, context, snapshot_id):
        self.created.append(snapshot_id)

    def delete_group_snapshot(self, context, snapshot_id):
        self.deleted.append(snapshot_id)


class Lock:
    def release(self):
        pass


class NoLocks:
    """Coordination whose lock is always free: only the claim guards."""

    def try_lock(self, name, wait_s=0):
        return Lock()


@pytest.fixture
def cloud(monkeypatch):
    """What Nova holds: app group id -> its servers (default: one)."""
    servers = {}

    def resolve(conf, conn, group, **kwargs):
        found = servers.get(group['id'], [SERVER])
        return {'members': found, 'missing': []}
    monkeypatch.setattr(clients, 'service_connection', lambda conf: None)
    monkeypatch.setattr(members, 'resolve', resolve)
    return servers


@pytest.fixture
def admin():
    return cs_context.RequestContext(is_admin=True, overwrite=False)


@pytest.fixture
def project(db, admin):
    """A project of its own; its policies and runs end with the test."""
    project = 'p-' + uuidutils.generate_uuid()
    yield project
    for policy in db.backup_policy_list(admin, all_projects=True):
        if policy['project_id'] == project:
            db.backup_policy_delete(admin, policy['id'])
    for snap in db.group_snapshot_list_unfinished(admin):
        if snap['project_id'] == project and snap['status'] == 'pending':
            db.group_snapshot_update(admin, snap['id'], {'status': 'error'})


def _scheduler(conf, casts=None, coordination=None):
    return scheduler.Scheduler(conf, coordination or NoLocks(),
                               casts or Casts())


def _ctx(project):
    return cs_context.RequestContext(user_id='u', project_id=project,
                                     overwrite=False)


def _group(db, project):
    return db.app_group_create(_ctx(project), {
        'project_id': project, 'name': uuidutils.generate_uuid(),
        'source_type': 'servers', 'source_ref': {'servers': []},
        'default_mode': 'shared_start'})


def _policy(db, project, group=None, **values):
    group = group or _group(db, project)
    return db.backup_policy_create(_ctx(project), dict({
        'project_id': project, 'app_group_id': group['id'],
        'cron': '0 * * * *', 'next_run_at': NOW, 'name': 'hourly',
        'trust_id': 'trust-1', 'created_by': 'u'}, **values))


def _runs(db, project, policy):
    return db.group_snapshot_list(_ctx(project),
                                  requested_by='policy:%s' % policy['id'])


def test_a_due_policy_fires_a_snapshot_as_a_request_would(
        db, conf, cloud, project, admin):
    policy = _policy(db, project, mode='barrier', quiesce=False)
    casts = Casts()
    _scheduler(conf, casts).tick(NOW)
    [run] = _runs(db, project, policy)
    assert casts.created == [run['id']]
    assert (run['status'], run['requested_by'], run['trust_id'],
            run['name'], run['app_group_id'], run['project_id']) == (
        'pending', 'policy:%s' % policy['id'], 'trust-1',
        'hourly-20010101T120000Z', policy['app_group_id'], project)
    # The policy's own settings, else the app group's preset.
    assert (run['mode'], run['quiesce'], run['consistent']) == (
        'barrier', False, True)
    fired = db.backup_policy_get(admin, policy['id'])
    assert (fired['next_run_at'], fired['last_run_at'],
            fired['last_snapshot_id'], fired['last_result']) == (
        datetime.datetime(2001, 1, 1, 13, 0), NOW, run['id'], None)


def test_missed_slots_fire_once(db, conf, cloud, project, admin):
    # Due since 05:00; the coordinators come back at 12:00:30.
    policy = _policy(db, project, next_run_at=NOW.replace(hour=5))
    now = NOW.replace(second=30)
    casts = Casts()
    _scheduler(conf, casts).tick(now)
    _scheduler(conf, casts).tick(now + datetime.timedelta(seconds=1))
    assert len(casts.created) == len(_runs(db, project, policy)) == 1
    assert db.backup_policy_get(admin, policy['id'])['next_run_at'] == (
        datetime.datetime(2001, 1, 1, 13, 0))


def test_a_policy_not_due_does_not_fire(db, conf, cloud, project):
    policy = _policy(db, project, next_run_at=NOW.replace(minute=1))
    _scheduler(conf).tick(NOW)
    assert _runs(db, project, policy) == []


def test_an_empty_app_group_records_the_error_and_keeps_the_schedule(
        db, conf, cloud, project, admin):
    group = _group(db, project)
    cloud[group['id']] = []
    policy = _policy(db, project, group)
    casts = Casts()
    _scheduler(conf, casts).tick(NOW)
    after = db.backup_policy_get(admin, policy['id'])
    assert after['last_result'].startswith(
        'error: app group %s has no servers' % group['name'])
    assert (after['enabled'], after['next_run_at']) == (
        True, datetime.datetime(2001, 1, 1, 13, 0))
    assert casts.created == [] and _runs(db, project, policy) == []


def test_a_deleted_app_group_records_the_error(db, conf, cloud, project,
                                               admin):
    policy = _policy(db, project)
    db.app_group_delete(_ctx(project), policy['app_group_id'])
    _scheduler(conf).tick(NOW)
    after = db.backup_policy_get(admin, policy['id'])
    assert after['last_result'].startswith('error: ')
    assert after['next_run_at'] == datetime.datetime(2001, 1, 1, 13, 0)


def test_a_run_in_progress_makes_the_next_slot_skip(db, conf, cloud,
                                                    project, admin):
    policy = _policy(db, project, cron='* * * * *')
    casts = Casts()
    _scheduler(conf, casts).tick(NOW)
    later = NOW + datetime.timedelta(minutes=1)
    _scheduler(conf, casts).tick(later)
    assert len(casts.created) == 1
    after = db.backup_policy_get(admin, policy['id'])
    assert after['last_result'] is None
    assert after['next_run_at'] == later + datetime.timedelta(minutes=1)


def test_the_cap_leaves_runs_due_and_fires_them_in_order(
        db, conf, cloud, project, admin):
    running = db.group_snapshot_count_running(admin)
    conf.set_override('max_concurrent_snapshots', running + 1,
                      group='coordinator')
    first = _policy(db, project, next_run_at=NOW.replace(minute=0, second=1))
    second = _policy(db, project, next_run_at=NOW.replace(minute=0,
                                                          second=2))
    now = NOW.replace(minute=0, second=5)
    casts = Casts()
    _scheduler(conf, casts).tick(now)
    assert [len(_runs(db, project, p)) for p in (first, second)] == [1, 0]
    # Not claimed: still due at its own slot.
    assert db.backup_policy_get(admin, second['id'])['next_run_at'] == (
        second['next_run_at'])
    _scheduler(conf, casts).tick(now)
    assert len(_runs(db, project, second)) == 0
    [run] = _runs(db, project, first)
    db.group_snapshot_update(admin, run['id'], {'status': 'error'})
    _scheduler(conf, casts).tick(now)
    assert len(_runs(db, project, second)) == 1


def _finished(db, project, policy, status, created_at, **values):
    return db.group_snapshot_create(_ctx(project), dict({
        'project_id': project, 'app_group_id': policy['app_group_id'],
        'status': status, 'mode': 'barrier', 'created_at': created_at,
        'requested_by': 'policy:%s' % policy['id']}, **values))


def test_an_ended_run_is_settled_then_retention_deletes_the_oldest(
        db, conf, cloud, project, admin):
    policy = _policy(db, project, keep_last=2,
                     next_run_at=NOW + datetime.timedelta(hours=1))
    old = [_finished(db, project, policy, 'available',
                     NOW - datetime.timedelta(hours=h)) for h in (3, 2)]
    manual = db.group_snapshot_create(_ctx(project), {
        'project_id': project, 'app_group_id': policy['app_group_id'],
        'status': 'available', 'mode': 'barrier', 'requested_by': 'u',
        'created_at': NOW - datetime.timedelta(days=9)})
    last = _finished(db, project, policy, 'available',
                     NOW - datetime.timedelta(hours=1), skew_ms=0.2,
                     skew_bound_ms=3.14)
    db.backup_policy_update(admin, policy['id'], {
        'last_snapshot_id': last['id'], 'last_result': None})
    casts = Casts()
    _scheduler(conf, casts).tick(NOW)
    assert db.backup_policy_get(admin, policy['id'])['last_result'] == (
        'available: snapshot %s, cut within 3.1 ms' % last['id'])
    assert casts.deleted == [old[0]['id']]
    assert db.group_snapshot_get(admin, old[0]['id'])['status'] == (
        'deleting')
    assert db.group_snapshot_get(admin, manual['id'])['status'] == (
        'available')
    # Settled once: a second tick deletes nothing more.
    _scheduler(conf, casts).tick(NOW)
    assert casts.deleted == [old[0]['id']]


def test_a_failed_run_is_settled_and_the_newest_good_one_kept(
        db, conf, cloud, project, admin):
    policy = _policy(db, project, keep_last=1, max_age_s=60,
                     next_run_at=NOW + datetime.timedelta(hours=1))
    good = _finished(db, project, policy, 'available',
                     NOW - datetime.timedelta(days=2))
    failed = _finished(db, project, policy, 'error',
                       NOW - datetime.timedelta(seconds=10),
                       error='Host compute-2 did not answer prepare')
    db.backup_policy_update(admin, policy['id'], {
        'last_snapshot_id': failed['id'], 'last_result': None})
    casts = Casts()
    _scheduler(conf, casts).tick(NOW)
    assert db.backup_policy_get(admin, policy['id'])['last_result'] == (
        'error: snapshot %s: Host compute-2 did not answer prepare' %
        failed['id'])
    assert casts.deleted == []
    assert db.group_snapshot_get(admin, good['id'])['status'] == 'available'


def test_a_changed_rule_is_applied_on_the_next_tick(db, conf, cloud,
                                                    project, admin):
    policy = _policy(db, project,
                     next_run_at=NOW + datetime.timedelta(hours=1))
    snaps = [_finished(db, project, policy, 'available',
                       NOW - datetime.timedelta(hours=h)) for h in (3, 2, 1)]
    casts = Casts()
    ticking = _scheduler(conf, casts)
    ticking.tick(NOW)
    assert casts.deleted == []
    db.backup_policy_update(admin, policy['id'], {'keep_last': 1})
    ticking.tick(NOW + datetime.timedelta(seconds=1))
    assert sorted(casts.deleted) == sorted(s['id'] for s in snaps[:2])


def test_two_schedulers_never_fire_one_slot_twice(db, conf, cloud, project,
                                                  admin, monkeypatch):
    """Without a lock between them, both read every due run, then race."""
    conf.set_override('max_concurrent_snapshots', 0, group='coordinator')
    conf.set_override('max_running_per_project', 0, group='coordinator')
    policies = [_policy(db, project) for _ in range(24)]
    both_read = threading.Barrier(2)
    list_due = scheduler.db_api.backup_policy_list_due

    def list_then_wait(context, now):
        due = list_due(context, now)
        both_read.wait(30)
        return due
    monkeypatch.setattr(scheduler.db_api, 'backup_policy_list_due',
                        list_then_wait)
    casts = [Casts(), Casts()]
    errors = []

    def tick(casts):
        try:
            _scheduler(conf, casts).tick(NOW)
        except Exception as e:
            errors.append(e)
    threads = [threading.Thread(target=tick, args=(c,)) for c in casts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    fired = casts[0].created + casts[1].created
    assert len(fired) == len(set(fired)) == len(policies)
    assert [len(_runs(db, project, p)) for p in policies] == [1] * 24


def test_a_policy_waits_while_one_of_its_hosts_is_at_the_cap(
        db, conf, cloud, project, admin):
    conf.set_override('max_concurrent_per_host', 1, group='coordinator')
    # A snapshot in progress holds a member on a host of this test's own.
    host, other = 'h1-' + project, 'h2-' + project
    running = db.group_snapshot_create(_ctx(project), {
        'project_id': project, 'status': 'capturing', 'mode': 'barrier',
        'requested_by': 'u'})
    db.member_snapshots_create(admin, running['id'], [
        {'server_id': SERVER['server_id'], 'host': host,
         'status': 'pending'}])
    blocked_group, free_group = _group(db, project), _group(db, project)
    cloud[blocked_group['id']] = [dict(SERVER, host=host)]
    cloud[free_group['id']] = [dict(SERVER, host=other)]
    blocked = _policy(db, project, blocked_group,
                      next_run_at=NOW.replace(second=1))
    free = _policy(db, project, free_group,
                   next_run_at=NOW.replace(second=2))
    now = NOW.replace(second=5)
    _scheduler(conf).tick(now)
    # The later one went first: its host had room.
    assert [len(_runs(db, project, p)) for p in (blocked, free)] == [0, 1]
    assert db.backup_policy_get(admin, blocked['id'])['next_run_at'] == (
        blocked['next_run_at'])
    db.group_snapshot_update(admin, running['id'], {'status': 'error'})
    _scheduler(conf).tick(now)
    assert len(_runs(db, project, blocked)) == 1


def test_a_failed_run_s_result_names_hosts_as_the_project_sees_them():
    snap = {'id': 'g1', 'status': 'error', 'error': (
        'Host compute-2 did not answer prepare within 30 s'),
        'members': [{'host': 'compute-2', 'host_id': 'e3b0' * 14}]}
    assert scheduler.result_line(snap) == (
        'error: snapshot g1: Host %s did not answer prepare within 30 s'
        % ('e3b0' * 14))
