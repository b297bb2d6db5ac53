"""Backup policy queries on a real SQLite file: scoping, due runs, claims."""

import datetime
import threading

from alembic import autogenerate
from alembic import migration as alembic_migration
from oslo_utils import uuidutils
import pytest
import sqlalchemy as sa

from consistent_snap import context as cs_context
from consistent_snap.db import migration
from consistent_snap.db import models
from consistent_snap import exception

T0 = datetime.datetime(2026, 1, 1)


def _ctx(project, admin=False):
    return cs_context.RequestContext(user_id='u', project_id=project,
                                     is_admin=admin, overwrite=False)


@pytest.fixture
def project():
    return 'p-' + uuidutils.generate_uuid()


@pytest.fixture
def admin():
    return _ctx(None, admin=True)


def _group(db, project):
    return db.app_group_create(_ctx(project), {
        'project_id': project, 'name': uuidutils.generate_uuid(),
        'source_type': 'servers',
        'source_ref': {'servers': []}})


def _policy(db, project, **values):
    group = _group(db, project)
    return db.backup_policy_create(_ctx(project), dict({
        'project_id': project, 'app_group_id': group['id'],
        'cron': '* * * * *', 'next_run_at': T0}, **values))


def test_the_migration_builds_the_models_schema(tmp_path):
    engine = sa.create_engine('sqlite:///%s' % (tmp_path / 'm.sqlite'))
    migration.upgrade('head', engine=engine)
    with engine.connect() as conn:
        context = alembic_migration.MigrationContext.configure(
            conn, opts={'compare_type': True})
        assert autogenerate.compare_metadata(
            context, models.Base.metadata) == []
    engine.dispose()


def test_create_get_update_delete(db, project):
    policy = _policy(db, project, name='nightly', keep_last=3)
    assert (policy['timezone'], policy['enabled'], policy['description'],
            policy['last_result']) == ('UTC', True, '', None)
    assert db.backup_policy_get(_ctx(project), policy['id']) == policy
    updated = db.backup_policy_update(_ctx(project), policy['id'],
                                      {'keep_last': None, 'enabled': False})
    assert (updated['keep_last'], updated['enabled']) == (None, False)
    db.backup_policy_delete(_ctx(project), policy['id'])
    with pytest.raises(exception.BackupPolicyNotFound):
        db.backup_policy_get(_ctx(project), policy['id'])


def test_another_project_sees_nothing_an_admin_everything(db, project,
                                                          admin):
    policy = _policy(db, project)
    other = _ctx('p-other')
    for call in (db.backup_policy_get, db.backup_policy_delete):
        with pytest.raises(exception.BackupPolicyNotFound):
            call(other, policy['id'])
    with pytest.raises(exception.BackupPolicyNotFound):
        db.backup_policy_update(other, policy['id'], {'enabled': False})
    assert db.backup_policy_list(other) == []
    assert db.backup_policy_get(admin, policy['id'])['id'] == policy['id']
    assert policy['id'] in {p['id'] for p in db.backup_policy_list(
        admin, all_projects=True)}


def test_list_by_app_group_and_pages(db, project):
    first, second = _policy(db, project), _policy(db, project)
    ctx = _ctx(project)
    assert [p['id'] for p in db.backup_policy_list(
        ctx, app_group_id=second['app_group_id'])] == [second['id']]
    assert [p['id'] for p in db.backup_policy_list(ctx)] == [
        first['id'], second['id']]
    assert [p['id'] for p in db.backup_policy_list(
        ctx, marker=first['id'])] == [second['id']]
    assert len(db.backup_policy_list(ctx, limit=1)) == 1


def test_due_lists_enabled_policies_longest_due_first(db, project, admin):
    later = _policy(db, project, next_run_at=T0 + datetime.timedelta(
        seconds=30))
    earlier = _policy(db, project, next_run_at=T0)
    _policy(db, project, next_run_at=T0, enabled=False)
    _policy(db, project, next_run_at=None)
    future = _policy(db, project, next_run_at=T0 + datetime.timedelta(
        days=1))
    due = [p['id'] for p in db.backup_policy_list_due(
        admin, T0 + datetime.timedelta(seconds=30))
        if p['project_id'] == project]
    assert due == [earlier['id'], later['id']]
    assert future['id'] not in due


def test_a_claim_is_a_compare_and_swap(db, project, admin):
    policy = _policy(db, project)
    moved = T0 + datetime.timedelta(minutes=1)
    assert db.backup_policy_claim(admin, policy['id'], T0, moved, T0)
    # The same slot again: someone (ourselves) already moved it on.
    assert not db.backup_policy_claim(admin, policy['id'], T0, moved, T0)
    claimed = db.backup_policy_get(admin, policy['id'])
    assert (claimed['next_run_at'], claimed['last_run_at']) == (moved, T0)


def test_a_disabled_policy_cannot_be_claimed(db, project, admin):
    policy = _policy(db, project, enabled=False)
    assert not db.backup_policy_claim(admin, policy['id'], T0, T0, T0)


def test_two_racing_claimers_fire_each_due_run_once(db, project, admin):
    """Both read the same due rows, then race to claim each of them."""
    runs = 25
    for _ in range(runs):
        _policy(db, project)
    now = T0 + datetime.timedelta(seconds=1)
    both_read = threading.Barrier(2)
    wins = {'a': [], 'b': []}

    def claimer(name):
        due = [p for p in db.backup_policy_list_due(_ctx(None, True), now)
               if p['project_id'] == project]
        assert len(due) == runs
        both_read.wait()
        for policy in due:
            if db.backup_policy_claim(_ctx(None, True), policy['id'],
                                      policy['next_run_at'],
                                      now + datetime.timedelta(minutes=1),
                                      now):
                wins[name].append(policy['id'])

    threads = [threading.Thread(target=claimer, args=(n,)) for n in wins]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    claimed = wins['a'] + wins['b']
    assert sorted(claimed) == sorted(set(claimed))
    assert len(claimed) == runs
    assert [p for p in db.backup_policy_list_due(admin, now)
            if p['project_id'] == project] == []


def _snapshot(db, project, status, **values):
    return db.group_snapshot_create(_ctx(project), dict({
        'project_id': project, 'status': status, 'mode': 'barrier',
        'requested_by': 'u'}, **values))


def test_settling_a_finished_run_happens_once(db, project, admin):
    policy = _policy(db, project)
    running = _snapshot(db, project, 'capturing',
                        requested_by='policy:%s' % policy['id'])
    db.backup_policy_update(admin, policy['id'], {
        'last_snapshot_id': running['id'], 'last_result': None})
    mine = [p for p, _ in db.backup_policy_list_settling(admin)
            if p['id'] == policy['id']]
    assert mine == []  # Still running.
    db.group_snapshot_update(admin, running['id'], {'status': 'finalizing'})
    db.group_snapshot_update(admin, running['id'], {'status': 'available'})
    settling = {p['id']: s for p, s in db.backup_policy_list_settling(admin)}
    assert settling[policy['id']]['id'] == running['id']
    assert db.backup_policy_settle(admin, policy['id'], running['id'],
                                   'available: ...')
    assert not db.backup_policy_settle(admin, policy['id'], running['id'],
                                       'available: again')
    assert db.backup_policy_get(admin, policy['id'])['last_result'] == (
        'available: ...')


def test_snapshots_by_requester_and_running_count(db, project, admin):
    policy = _policy(db, project)
    by = 'policy:%s' % policy['id']
    before = db.group_snapshot_count_running(admin)
    mine = [_snapshot(db, project, s, requested_by=by)
            for s in ('available', 'pending', 'deleting')]
    _snapshot(db, project, 'available')
    assert {s['id'] for s in db.group_snapshot_list(
        _ctx(project), requested_by=by)} == {s['id'] for s in mine}
    # Pending counts; a delete in progress freezes nothing and does not.
    assert db.group_snapshot_count_running(admin) == before + 1


def test_retained_lists_policies_with_a_rule(db, project, admin):
    kept = _policy(db, project, keep_last=2)
    aged = _policy(db, project, max_age_s=60)
    plain = _policy(db, project)
    listed = {p['id'] for p in db.backup_policy_list_retained(admin)}
    assert {kept['id'], aged['id']} <= listed
    assert plain['id'] not in listed
