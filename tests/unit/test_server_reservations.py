"""One snapshot at a time may freeze a server (issue K, item 5).

Two app groups sharing a server, a VM-level request beside an app group,
a policy beside a manual request: the second is refused, naming the
server and the snapshot that holds it, until the first one has ended.
On a real SQLite file migrated to head.
"""

import concurrent.futures

from oslo_utils import uuidutils
import pytest

from consistent_snap import context as cs_context
from consistent_snap.coordinator import manager
from consistent_snap import exception
from consistent_snap import states


class Lock:
    def release(self):
        pass


class Coordination:
    """tooz: only the locks of ``free`` snapshots are free.

    The others (runs in progress, other tests' rows) are held.
    """

    def __init__(self, free):
        self.free = free

    def try_lock(self, name, wait_s=0):
        return Lock() if any(i in name for i in self.free) else None


@pytest.fixture
def admin():
    return cs_context.RequestContext(is_admin=True, overwrite=False)


@pytest.fixture
def new_snapshot(db, admin):
    project = 'p-' + uuidutils.generate_uuid()

    def make(status=states.FENCING):
        return db.group_snapshot_create(admin, {
            'project_id': project, 'status': status, 'mode': 'barrier',
            'requested_by': 'u'})['id']
    return make


@pytest.fixture
def servers():
    return [uuidutils.generate_uuid() for _ in range(3)]


def test_a_second_snapshot_of_a_held_server_is_refused_naming_both(
        db, admin, new_snapshot, servers):
    first, second = new_snapshot(), new_snapshot()
    db.servers_reserve(admin, first, servers[:2])
    with pytest.raises(exception.ServerBusy) as refused:
        db.servers_reserve(admin, second, servers[1:])
    assert refused.value.code == 409
    assert servers[1] in str(refused.value)
    assert first in str(refused.value)
    # All or none: the free server was not taken either.
    assert db.server_holders(admin, servers) == {
        servers[0]: first, servers[1]: first}


def test_a_failed_holder_is_named_as_being_undone(
        db, admin, new_snapshot, servers):
    # Its servers stay held until its hosts answered the abort.
    failed, second = new_snapshot(states.ERROR), new_snapshot()
    db.servers_reserve(admin, failed, servers[:1])
    with pytest.raises(exception.ServerBusy) as refused:
        db.servers_reserve(admin, second, servers[:1])
    assert 'which failed and is being undone' in str(refused.value)
    assert 'which failed and is being undone' in str(
        db.server_busy(admin, servers[0], failed))


def test_a_snapshot_may_reserve_its_own_servers_again(db, admin,
                                                      new_snapshot, servers):
    first = new_snapshot()
    db.servers_reserve(admin, first, servers[:2])
    db.servers_reserve(admin, first, servers)  # A run taken over.
    assert set(db.server_holders(admin, servers).values()) == {first}


def test_released_servers_can_be_taken_by_the_next_snapshot(
        db, admin, new_snapshot, servers):
    first, second = new_snapshot(), new_snapshot()
    db.servers_reserve(admin, first, servers)
    db.servers_release(admin, second)  # Releases only its own.
    assert len(db.server_holders(admin, servers)) == 3
    db.servers_release(admin, first)
    db.servers_reserve(admin, second, servers)
    assert set(db.server_holders(admin, servers).values()) == {second}


def test_of_concurrent_reservations_of_one_server_exactly_one_wins(
        db, admin, new_snapshot, servers):
    contenders = [new_snapshot() for _ in range(6)]

    def reserve(snapshot_id):
        try:
            db.servers_reserve(admin, snapshot_id, [servers[0]])
            return snapshot_id
        except exception.ServerBusy:
            return None
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        winners = [w for w in pool.map(reserve, contenders) if w]
    assert len(winners) == 1
    assert db.server_holders(admin, [servers[0]]) == {servers[0]: winners[0]}


def test_a_sweep_frees_the_servers_of_ended_runs_only(
        db, conf, admin, new_snapshot, servers):
    ended = new_snapshot(states.ERROR)  # Its coordinator died at the end.
    running = new_snapshot(states.CAPTURING)
    ended_held = new_snapshot(states.AVAILABLE)  # Its run still holds it.
    db.servers_reserve(admin, ended, [servers[0]])
    db.servers_reserve(admin, running, [servers[1]])
    db.servers_reserve(admin, ended_held, [servers[2]])
    coordinator = manager.CoordinatorManager(conf, 'coordinator-1')
    coordinator.coordination = Coordination(free=(ended,))
    coordinator.sweep()
    assert db.server_holders(admin, servers) == {
        servers[1]: running, servers[2]: ended_held}


def test_a_snapshot_frees_its_servers_as_it_becomes_available(
        db, admin, new_snapshot, servers):
    first = new_snapshot(states.FINALIZING)
    db.servers_reserve(admin, first, servers)
    db.group_snapshot_update(admin, first, {'status': states.AVAILABLE},
                             expected=(states.FINALIZING,))
    assert db.server_holders(admin, servers) == {}
