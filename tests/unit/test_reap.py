"""A finished snapshot is never destroyed by a sweep acting on a stale view.

A real SQLite file; the agents and Glance are the boundary: the agents'
RPC API and the capturer record what they are asked to do, and what the
snapshot's status was at that moment.
"""

from oslo_db import exception as db_exc
import oslo_messaging as messaging
from oslo_utils import uuidutils
import pytest

from consistent_snap.agent import manager as agent_manager
from consistent_snap.capturers import fake
from consistent_snap import context as cs_context
from consistent_snap.coordinator import manager
from consistent_snap.coordinator import snapshot
from consistent_snap import exception
from consistent_snap import states

ARTIFACT = {'type': 'image', 'id': 'img-1', 'status': 'available'}


class Agents:
    """The agents' RPC API: records each abort and the row's status then."""

    def __init__(self, db, admin):
        self.db, self.admin = db, admin
        self.aborts = []

    def abort(self, context, host, snapshot_id, timeout=None, offset=0.0):
        status = self.db.group_snapshot_get(self.admin, snapshot_id)['status']
        self.aborts.append((host, status))
        return {'host': host, 'members': []}


class Capturer:
    """Glance: records each delete and the row's status then."""

    artifact_types = ('image',)

    def __init__(self, db, admin, snapshot_id):
        self.db, self.admin, self.id = db, admin, snapshot_id
        self.deleted = []

    def find(self, snapshot_id):
        return []

    def delete(self, artifact):
        status = self.db.group_snapshot_get(self.admin, self.id)['status']
        self.deleted.append((artifact['id'], status))


class Notifier:
    def __init__(self):
        self.sent = []

    def info(self, context, event, payload):
        self.sent.append(event)


class Lock:
    def release(self):
        pass


class FinishingCoordination:
    """The lock is free only once its holder has finished the snapshot.

    Exactly what the sweep meets when a run ends between its list and
    its try_lock.
    """

    def __init__(self, db, admin, snapshot_id):
        self.db, self.admin, self.id = db, admin, snapshot_id

    def try_lock(self, name, wait_s=0):
        if self.id not in name:
            return None  # Other tests' rows: someone else holds them.
        self.db.group_snapshot_update(self.admin, self.id,
                                      {'status': states.AVAILABLE},
                                      expected=(states.FINALIZING,))
        return Lock()


@pytest.fixture
def admin():
    return cs_context.RequestContext(is_admin=True, overwrite=False)


@pytest.fixture
def snap(db, admin):
    """A snapshot in finalizing, one member on compute-1 with an image."""
    project = 'p-' + uuidutils.generate_uuid()
    row = db.group_snapshot_create(admin, {
        'project_id': project, 'status': states.FINALIZING,
        'mode': 'barrier', 'requested_by': 'u'})
    db.member_snapshots_create(admin, row['id'], [{
        'server_id': uuidutils.generate_uuid(), 'server_name': 'web-0',
        'host': 'compute-1', 'host_id': 'h1', 'status': 'captured',
        'artifacts': [ARTIFACT]}])
    return db.group_snapshot_get(admin, row['id'])


@pytest.fixture
def boundary(db, admin, snap, monkeypatch):
    capturer = Capturer(db, admin, snap['id'])
    monkeypatch.setattr(snapshot, '_capturers', lambda conf: [capturer])
    return Agents(db, admin), capturer


def test_a_sweep_leaves_a_snapshot_that_finished_before_it_got_the_lock(
        db, conf, admin, snap, boundary):
    agents, capturer = boundary
    coordinator = manager.CoordinatorManager(conf, 'coordinator-1')
    coordinator.coordination = FinishingCoordination(db, admin, snap['id'])
    coordinator.agents, coordinator.notifier = agents, Notifier()
    coordinator.sweep()
    assert agents.aborts == []
    assert capturer.deleted == []
    assert db.group_snapshot_get(admin, snap['id'])['status'] == (
        states.AVAILABLE)


def test_a_reap_on_a_stale_row_destroys_nothing(db, conf, admin, snap,
                                                boundary):
    agents, capturer = boundary
    db.group_snapshot_update(admin, snap['id'], {'status': states.AVAILABLE})
    snapshot.reap(conf, agents, Notifier(), admin, snap)  # Read finalizing.
    assert agents.aborts == []
    assert capturer.deleted == []
    assert db.group_snapshot_get(admin, snap['id'])['status'] == (
        states.AVAILABLE)


def test_a_reap_owns_the_move_to_error_before_it_destroys(db, conf, admin,
                                                          snap, boundary):
    agents, capturer = boundary
    notifier = Notifier()
    snapshot.reap(conf, agents, notifier, admin, snap)
    assert agents.aborts == [('compute-1', states.ERROR)]
    assert capturer.deleted == [('img-1', states.ERROR)]
    row = db.group_snapshot_get(admin, snap['id'])
    assert row['status'] == states.ERROR
    assert 'interrupted while finalizing' in row['error']
    assert notifier.sent == ['group_snapshot.create.error']
    # Its host never answered for the member: the record says what the
    # reap did, not what the dead run last wrote.
    [member] = row['members']
    assert member['status'] == 'aborted'
    assert member['artifacts'] == [dict(ARTIFACT, status='deleted')]


def test_a_delete_acts_only_on_a_snapshot_moved_to_deleting(db, conf, admin,
                                                            snap, boundary):
    _, capturer = boundary
    db.group_snapshot_update(admin, snap['id'], {'status': states.AVAILABLE})
    snapshot.delete_snapshot(conf, admin, snap['id'])
    assert capturer.deleted == []
    db.group_snapshot_update(admin, snap['id'], {'status': states.DELETING})
    snapshot.delete_snapshot(conf, admin, snap['id'])
    assert capturer.deleted == [('img-1', states.DELETING)]
    assert db.group_snapshot_get(admin, snap['id'])['status'] == (
        states.DELETED)


def test_a_run_that_lost_its_snapshot_destroys_nothing(db, conf, admin, snap,
                                                       boundary):
    agents, capturer = boundary
    run = snapshot.GroupSnapshotRun(conf, agents, Notifier(), admin,
                                    snap['id'])
    run.snapshot = snap  # The run wrote finalizing...
    db.group_snapshot_update(admin, snap['id'], {'status': states.ERROR})
    # ...and a sweep reaped it meanwhile: the run's next move fails.
    with pytest.raises(exception.InvalidState):
        run._move(states.AVAILABLE)
    run._fail(RuntimeError('lost'))
    assert capturer.deleted == []


def test_a_failed_final_write_is_retried_never_turned_into_an_abort(
        db, conf, admin, snap, boundary, monkeypatch):
    agents, capturer = boundary
    run = snapshot.GroupSnapshotRun(conf, agents, Notifier(), admin,
                                    snap['id'])
    run.snapshot = snap
    update = snapshot.db_api.group_snapshot_update
    failures = []

    def flaky(context, snapshot_id, values, expected=None):
        if len(failures) < 2:
            failures.append(values)
            raise db_exc.DBError('database is locked')
        return update(context, snapshot_id, values, expected=expected)
    monkeypatch.setattr(snapshot.db_api, 'group_snapshot_update', flaky)
    run._move_kept(states.AVAILABLE)
    assert len(failures) == 2
    assert db.group_snapshot_get(admin, snap['id'])['status'] == (
        states.AVAILABLE)
    assert agents.aborts == [] and capturer.deleted == []


def test_an_agent_refuses_to_abort_what_it_finalized(conf, tmp_path):
    conf.set_override('check_host', False, group='agent')
    conf.set_override('state_path', str(tmp_path))
    capturer = fake.FakeCapturer(conf, None)
    agent = agent_manager.AgentManager(conf, 'compute-1',
                                       capturers=[capturer])
    members = [{'server_id': 's1', 'name': 'web-0', 'volumes': []}]
    agent.capture(None, 'gs-final', members, None, None, False, 2000)
    report = agent.finalize(None, 'gs-final', None)
    assert [m['status'] for m in report['members']] == ['available']
    with pytest.raises(messaging.ExpectedException) as refused:
        agent.abort(None, 'gs-final')
    assert isinstance(refused.value.exc_info[1], exception.AbortRefused)
    # Before its finalize, an abort discards it as always.
    agent.capture(None, 'gs-open', members, None, None, False, 2000)
    report = agent.abort(None, 'gs-open')
    assert [m['status'] for m in report['members']] == ['aborted']
