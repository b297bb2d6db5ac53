"""Failure family: agents that are dead, die mid-freeze, or find a VM gone.

Real agent processes on the real broker; each case ends in a final state
naming the host or server, with nothing left frozen or half made.
"""

import os
import signal
import time

from oslo_config import cfg
import pytest

from consistent_snap.agent import rpcapi as agent_rpcapi
from consistent_snap import context
from consistent_snap.coordinator import fence
from consistent_snap import exception
from consistent_snap import rpc
from tests.functional.conftest import images_left
from tests.functional.conftest import images_of
from tests.functional.conftest import snapshot_once_free
from tests.functional.conftest import SNAPSHOTS
from tests.functional.conftest import wait_for_snapshot
from tests.functional.conftest import wait_until_undone

# Every member is frozen once the barrier's commit has begun.
COMMIT_BEGUN = ('capturing', 'finalizing', 'available', 'error')


@pytest.fixture
def host_of(admin, spread_servers):
    servers = {s.id: admin.compute.get_server(s.id)
               for s in spread_servers['servers']}
    return {s.compute_host: s for s in servers.values()}


def _as_admin(api_as, snapshot_id):
    """The snapshot as an admin sees it: hosts named in its texts."""
    return api_as('minicloud')('GET', '%s/%s' % (
        SNAPSHOTS, snapshot_id)).json()['group_snapshot']


def _agent_log(test_cloud, host):
    return (test_cloud.CS_DIR / 'log' / ('agent-%s.log' % host)).read_text()


@pytest.fixture
def revive(test_cloud):
    """Whatever a test stops, the next test finds running again."""
    yield
    test_cloud.start_daemons()
    agents = agent_rpcapi.AgentAPI(timeout=1)
    deadline = time.monotonic() + 60
    for host in test_cloud.COMPUTE_HOSTS:
        while True:
            try:
                agents.ping(context.RequestContext(), host)
                break
            except Exception:
                assert time.monotonic() < deadline, host
                time.sleep(0.5)


def test_a_dead_agent_fails_prepare_naming_its_host(
        test_cloud, transport, revive, api_as, tagged_app_group, admin):
    test_cloud.stop('agent-compute-2')
    api = api_as('minicloud-demo')
    response = snapshot_once_free(api, {
        'app_group': tagged_app_group['id'], 'mode': 'barrier'})
    snap = wait_for_snapshot(api, response.json()['group_snapshot']['id'])
    assert snap['status'] == 'error'
    shown = _as_admin(api_as, snap['id'])
    assert shown['error'] == (
        'Host compute-2 did not answer prepare within 30 s: is '
        'consistent-snap-agent running there? Nothing was frozen.')
    # The project sees Nova's hash of that host, not its name.
    [hashed] = {m['host_id'] for m in shown['members']
                if m['host'] == 'compute-2'}
    assert snap['error'] == shown['error'].replace('compute-2', hashed)
    assert all(m['frozen_at'] is None for m in snap['members'])
    assert images_of(admin, snap['id']) == []


def test_an_agent_killed_mid_freeze(test_cloud, transport, revive, api_as,
                                    tagged_app_group, admin):
    api = api_as('minicloud-demo')
    response = snapshot_once_free(api, {
        'app_group': tagged_app_group['id'], 'mode': 'barrier'})
    assert response.status_code == 202, response.text
    snapshot_id = response.json()['group_snapshot']['id']
    wait_for_snapshot(api, snapshot_id, COMMIT_BEGUN)
    pid = int((test_cloud.CS_DIR / 'run' /
               'agent-compute-2.pid').read_text())
    os.killpg(pid, signal.SIGKILL)
    snap = wait_for_snapshot(api, snapshot_id, ('available', 'error'))
    assert snap['status'] == 'error'
    assert 'host compute-2' in _as_admin(api_as, snapshot_id)[
        'error'].lower()
    snap = wait_until_undone(api, snapshot_id)
    for member in snap['members']:
        # Undone, whether its host answered the abort or died; and the
        # fake hosts' quiescer froze nothing, so no thaw is claimed.
        assert member['status'] in ('aborted', 'error'), member
        assert (member['frozen_at'], member['thawed_at']) == (None, None)
    assert images_left(admin, snapshot_id) == []
    # The killed agent, started again, thaws what it had frozen.
    test_cloud.stop('agent-compute-2')
    test_cloud.start_daemons()
    deadline = time.monotonic() + 60
    while ('Thawing 1 members of %s' % snapshot_id) not in _agent_log(
            test_cloud, 'compute-2'):
        assert time.monotonic() < deadline
        time.sleep(0.5)


def test_an_agent_refuses_a_vm_that_is_not_on_its_host(transport, host_of):
    elsewhere = host_of['compute-1']
    agents = agent_rpcapi.AgentAPI(timeout=30)
    with pytest.raises(exception.MembersNotOnHost) as e:
        agents.prepare(context.RequestContext(), 'compute-2', 'moved-check',
                       [{'server_id': elsewhere.id, 'name': elsewhere.name,
                         'volumes': []}], timeout=30)
    assert rpc.remote_message(e.value) == (
        'Server(s) %s no longer run on host compute-2 (migrated?); resolve '
        'the app group again.' % elsewhere.id)


def test_a_stale_plan_aborts_cleanly_naming_the_moved_vm(transport,
                                                         host_of):
    """The coordinator's fence, given a plan made before a migration.

    The member really runs on compute-1 but the plan sends it to
    compute-2: prepare fails naming it, and nothing was frozen anywhere.
    """
    moved = host_of['compute-1']
    stays = host_of['compute-3']
    plan = {'compute-2': [{'server_id': moved.id, 'name': moved.name,
                           'volumes': []}],
            'compute-3': [{'server_id': stays.id, 'name': stays.name,
                           'volumes': []}]}
    reports = {}
    run = fence.Fence(cfg.CONF, agent_rpcapi.AgentAPI(),
                      context.RequestContext(), 'stale-%s' % moved.id[:8],
                      plan, quiesce=True,
                      on_reports=reports.update)
    with pytest.raises(fence.Failed) as e:
        run.capture(consistent=True, mode='barrier')
    assert str(e.value) == (
        'Prepare failed on host compute-2: Server(s) %s no longer run on '
        'host compute-2 (migrated?); resolve the app group again.' %
        moved.id)
    run.abort()
    assert set(reports) == {'compute-2', 'compute-3'}
    assert all(m['frozen_at'] is None
               for report in reports.values() for m in report['members'])
