"""Failure family: agents that are dead, die mid-freeze, or find a VM gone.

Real agent processes on the real broker; each case ends in a final state
naming the host or server, with nothing left frozen or half made.
"""

import os
import signal
import time

import pytest

from consistent_snap.agent import rpcapi as agent_rpcapi
from consistent_snap import context
from consistent_snap import exception
from consistent_snap import rpc

SNAPSHOTS = '/v1/group-snapshots'


def _wait_for(api, snapshot_id, statuses, timeout=150):
    deadline = time.monotonic() + timeout
    while True:
        snap = api('GET', '%s/%s' % (SNAPSHOTS, snapshot_id)).json()[
            'group_snapshot']
        if snap['status'] in statuses:
            return snap
        assert time.monotonic() < deadline, snap
        time.sleep(0.1)


def _images_of(admin, snapshot_id):
    return [i for i in admin.image.images()
            if i.properties.get('consistent_snap_group_snapshot_id') ==
            snapshot_id]


@pytest.fixture
def app_group(api_as, spread_servers, run_id):
    api = api_as('minicloud-demo')
    response = api('POST', '/v1/app-groups', json={'app_group': {
        'name': 'agents-%s-%d' % (run_id, time.monotonic_ns()),
        'source_type': 'metadata',
        'source': {'tags': [spread_servers['tag']]}}})
    assert response.status_code == 201, response.text
    group = response.json()['app_group']
    yield group
    api('DELETE', '/v1/app-groups/%s' % group['id'])


@pytest.fixture
def host_of(admin, spread_servers):
    servers = {s.id: admin.compute.get_server(s.id)
               for s in spread_servers['servers']}
    return {s.compute_host: s for s in servers.values()}


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


@pytest.fixture(scope='module')
def transport(test_cloud):
    from oslo_config import cfg
    path = test_cloud.write_config(name='rpc-client.conf')
    cfg.CONF([], project='consistent_snap', default_config_files=[str(path)])
    rpc.init(cfg.CONF)
    yield
    rpc.cleanup()
    cfg.CONF.reset()


def test_a_dead_agent_fails_prepare_naming_its_host(
        test_cloud, transport, revive, api_as, app_group, admin):
    test_cloud.stop('agent-compute-2')
    api = api_as('minicloud-demo')
    response = api('POST', SNAPSHOTS, json={'group_snapshot': {
        'app_group': app_group['id'], 'mode': 'barrier'}})
    snap = _wait_for(api, response.json()['group_snapshot']['id'],
                     ('available', 'error'))
    assert snap['status'] == 'error'
    assert snap['error'] == (
        'Host compute-2 did not answer prepare within 10 s: is '
        'consistent-snap-agent running there? Nothing was frozen.')
    assert all(m['frozen_at'] is None for m in snap['members'])
    assert _images_of(admin, snap['id']) == []


def test_an_agent_killed_mid_freeze(test_cloud, transport, revive, api_as,
                                    app_group, admin):
    api = api_as('minicloud-demo')
    response = api('POST', SNAPSHOTS, json={'group_snapshot': {
        'app_group': app_group['id'], 'mode': 'barrier'}})
    snapshot_id = response.json()['group_snapshot']['id']
    # Every member is frozen once commit begins.
    _wait_for(api, snapshot_id, ('capturing', 'finalizing', 'available',
                                 'error'))
    pid = int((test_cloud.CS_DIR / 'run' /
               'agent-compute-2.pid').read_text())
    os.killpg(pid, signal.SIGKILL)
    snap = _wait_for(api, snapshot_id, ('available', 'error'))
    assert snap['status'] == 'error'
    assert 'host compute-2' in snap['error'].lower()
    for member in snap['members']:
        if member['host_id'] and member['status'] == 'aborted':
            assert member['thawed_at'] is not None
    assert _images_of(admin, snapshot_id) == []
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
