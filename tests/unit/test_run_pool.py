"""Runs off the RPC executor, a cap per project, a timeout on every call.

Issue K, item 7: a snapshot run held an RPC executor thread for its whole
life, on the server that must also take the agents' reports; nothing
bounded one project's runs; the trust session had no timeout and none of
the service's TLS options.
"""

import concurrent.futures
import threading

from keystoneauth1.identity import v3
from oslo_utils import uuidutils
import pytest

from consistent_snap import context as cs_context
from consistent_snap.coordinator import manager
from consistent_snap import exception
from consistent_snap import snapshot_request
from consistent_snap import states
from consistent_snap import trusts


class Coordination:
    def start(self):
        pass

    def stop(self):
        pass


@pytest.fixture
def coordinator(conf, monkeypatch):
    conf.set_override('run_workers', 2, group='coordinator')
    started, release = [], threading.Event()

    def run(self, context, snapshot_id):
        started.append(snapshot_id)
        release.wait(10)
    monkeypatch.setattr(manager.CoordinatorManager, '_create_group_snapshot',
                        run)
    coordinator = manager.CoordinatorManager(conf, 'coordinator-1')
    coordinator.coordination = Coordination()
    # Only the pool of start(): no sweeper, scheduler or RPC clients.
    coordinator._runs = concurrent.futures.ThreadPoolExecutor(
        conf.coordinator.run_workers)
    yield coordinator, started, release
    release.set()
    coordinator.stop()


def test_a_run_does_not_hold_the_rpc_handler_that_started_it(coordinator):
    coordinator, started, release = coordinator
    answered = threading.Event()

    def handle():
        coordinator.create_group_snapshot(None, 'gs-1')
        answered.set()
    threading.Thread(target=handle, daemon=True).start()
    # The handler returns while the run still waits for `release`.
    assert answered.wait(5)
    assert not release.is_set()


def test_runs_beyond_the_pool_wait_their_turn(coordinator):
    coordinator, started, release = coordinator
    for i in range(3):
        coordinator.create_group_snapshot(None, 'gs-%d' % i)
    threading.Event().wait(0.5)  # Time for a third thread, if any.
    assert started == ['gs-0', 'gs-1']
    release.set()
    coordinator._runs.shutdown(wait=True)
    assert started == ['gs-0', 'gs-1', 'gs-2']


def test_a_project_at_its_cap_is_refused_before_a_row_is_written(db, conf):
    conf.set_override('max_running_per_project', 2, group='coordinator')
    admin = cs_context.RequestContext(is_admin=True, overwrite=False)
    project = 'p-' + uuidutils.generate_uuid()
    for status in (states.FENCING, states.AVAILABLE, states.PENDING):
        db.group_snapshot_create(admin, {
            'project_id': project, 'status': status, 'mode': 'barrier',
            'requested_by': 'u'})
    with pytest.raises(exception.ProjectBusy) as refused:
        snapshot_request.refuse_if_project_busy(conf, admin, project)
    assert refused.value.code == 409
    assert 'already has 2 group snapshots in progress' in str(refused.value)
    # Another project is not held back; 0 lifts the cap.
    snapshot_request.refuse_if_project_busy(conf, admin, 'p-other')
    conf.set_override('max_running_per_project', 0, group='coordinator')
    snapshot_request.refuse_if_project_busy(conf, admin, project)


def test_trust_sessions_have_the_services_timeout_and_tls(conf, tmp_path):
    cafile = tmp_path / 'ca.pem'
    cafile.write_text('')
    conf.set_override('cafile', str(cafile), group='service_credentials')
    auth = v3.Password(auth_url='http://keystone.invalid/v3',
                       username='u', password='p', user_domain_id='default')
    session = trusts._connection(conf, auth).session
    assert session.timeout == 60.0
    assert session.verify == str(cafile)
