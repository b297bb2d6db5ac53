"""A snapshot's own trust is revoked once it is final (issue K, item 11).

On a real SQLite file migrated to head; Keystone's trust deletion is
recorded instead of sent (tests/functional/test_group_snapshot_api.py
checks it against the real Keystone).
"""

from oslo_utils import uuidutils
import pytest

from consistent_snap import context as cs_context
from consistent_snap.coordinator import scheduler
from consistent_snap.coordinator import snapshot
from consistent_snap import states
from consistent_snap import trusts


@pytest.fixture
def revoked(monkeypatch):
    deleted = []
    monkeypatch.setattr(trusts, 'delete',
                        lambda conf, trust_id: deleted.append(trust_id))
    return deleted


@pytest.fixture
def admin():
    return cs_context.RequestContext(is_admin=True, overwrite=False)


def _snapshot(db, admin, status, requested_by='u'):
    return db.group_snapshot_create(admin, {
        'project_id': 'p-' + uuidutils.generate_uuid(), 'status': status,
        'mode': 'barrier', 'requested_by': requested_by,
        'trust_id': 't-' + uuidutils.generate_uuid()})


@pytest.mark.parametrize('status', [states.AVAILABLE, states.ERROR])
def test_a_final_snapshot_s_trust_is_revoked_and_forgotten(
        db, conf, admin, revoked, status):
    snap = _snapshot(db, admin, status)
    snapshot.revoke_trust(conf, admin, snap['id'])
    assert revoked == [snap['trust_id']]
    assert db.group_snapshot_get(admin, snap['id'])['trust_id'] is None
    # Once: there is nothing left to revoke.
    snapshot.revoke_trust(conf, admin, snap['id'])
    assert revoked == [snap['trust_id']]


def test_a_snapshot_in_progress_keeps_its_trust(db, conf, admin, revoked):
    snap = _snapshot(db, admin, states.FINALIZING)
    snapshot.revoke_trust(conf, admin, snap['id'])
    assert revoked == []


def test_a_policy_s_run_leaves_the_policy_s_trust_for_its_next_run(
        db, conf, admin, revoked):
    snap = _snapshot(db, admin, states.AVAILABLE,
                     requested_by=scheduler.requested_by('policy-1'))
    snapshot.revoke_trust(conf, admin, snap['id'])
    assert revoked == []
    assert db.group_snapshot_get(admin, snap['id'])['trust_id']


def test_a_trust_revoked_as_its_snapshot_is_deleted_is_not_called_kept(
        conf, revoked, caplog):
    # The bench deletes a snapshot the moment it is available: the trust
    # is revoked, then the row has moved on to deleting.
    def row_moved_on():
        raise RuntimeError('Group snapshot gs-1 is deleting')
    caplog.set_level('INFO')
    trusts.revoke(conf, 't-1', row_moved_on, 'Group snapshot gs-1')
    assert revoked == ['t-1']
    assert 'was not revoked' not in caplog.text
    assert 'its trust was revoked; its id stays recorded' in caplog.text


def test_a_trust_keystone_would_not_revoke_is_said_to_expire(
        conf, monkeypatch, caplog):
    def refused(conf, trust_id):
        raise RuntimeError('Keystone answered 503')
    monkeypatch.setattr(trusts, 'delete', refused)
    forgotten = []
    trusts.revoke(conf, 't-1', lambda: forgotten.append(1),
                  'Group snapshot gs-1')
    assert forgotten == []
    assert ('Group snapshot gs-1: its trust was not revoked, it expires by '
            'itself: Keystone answered 503') in caplog.text
