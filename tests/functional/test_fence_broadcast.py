"""A fence phase broadcast to every agent at once, on the real broker.

Agents and the coordinator's inbox are real oslo.messaging RPC servers in
this process, on a virtual host of their own so that the test cloud's
daemons neither see nor answer them; the fake capturer stands in for Nova.
"""

import subprocess
import uuid

import oslo_messaging as messaging
import pytest

from consistent_snap.agent import manager as agent_manager
from consistent_snap.agent import rpcapi as agent_rpcapi
from consistent_snap.capturers import fake
from consistent_snap import context
from consistent_snap.coordinator import fence
from consistent_snap.coordinator import inbox
from consistent_snap import rpc
from tests.functional.conftest import until_answering

VHOST = 'cs-test-broadcast'
HOSTS = ['bcast-1', 'bcast-2', 'bcast-3', 'bcast-4']
COORDINATOR = 'bcast-coordinator'


def _rabbitmqctl(test_cloud, *args):
    subprocess.run(['bash', '-c', 'source %s/etc/rabbitmq-env.sh && '
                    '/usr/lib/rabbitmq/bin/rabbitmqctl %s' % (
                        test_cloud.MC_DIR, ' '.join(args))],
                   check=True, capture_output=True, timeout=120)


@pytest.fixture(scope='module')
def conf(test_cloud, tmp_path_factory):
    from oslo_config import cfg
    _rabbitmqctl(test_cloud, 'add_vhost', VHOST)
    _rabbitmqctl(test_cloud, 'set_permissions', '-p', VHOST, 'os',
                 '".*"', '".*"', '".*"')
    path = test_cloud.write_config(
        name='broadcast.conf',
        extra='broadcast_min_hosts = 2\ncapture_timeout = 5\n'
              '[DEFAULT]\ntransport_url = %s%s\nstate_path = %s\n'
              '[agent]\ncheck_host = false\n' % (
                  test_cloud.TRANSPORT_URL, VHOST,
                  tmp_path_factory.mktemp('agents')))
    cfg.CONF([], project='consistent_snap', default_config_files=[str(path)])
    rpc.init(cfg.CONF)
    yield cfg.CONF
    rpc.cleanup()
    cfg.CONF.reset()
    _rabbitmqctl(test_cloud, 'delete_vhost', VHOST)


class Servers:
    """RPC servers of this process, by name, stopped at the end."""

    def __init__(self):
        self.running = {}

    def serve(self, name, topic, endpoint):
        server = rpc.get_server(messaging.Target(topic=topic, server=name),
                                [endpoint])
        server.start()
        self.running[name] = server

    def stop(self, *names):
        servers = [self.running.pop(name) for name in names]
        for server in servers:
            server.stop()
        for server in servers:
            server.wait()


@pytest.fixture(scope='module')
def cloud(conf):
    """An agent per host, a bystander agent, and the coordinator's inbox."""
    servers = Servers()
    capturer = fake.FakeCapturer(conf, None)
    agents = {}
    for host in HOSTS + ['bystander']:
        agents[host] = agent_manager.AgentManager(conf, host,
                                                  capturers=[capturer])
        agents[host].start()
        servers.serve(host, rpc.AGENT_TOPIC, agents[host])
    reports = inbox.FenceInbox()
    servers.serve(COORDINATOR, rpc.REPORTS_TOPIC, reports)
    api = SendsNoPerHostPhase(timeout=10, inbox=reports,
                              reply_to=COORDINATOR)
    ctx = context.RequestContext(project_id='p', user_id='u')
    for host in HOSTS:
        until_answering(lambda: api.ping(ctx, host))
    yield agents, api, servers
    servers.stop(*servers.running)


class SendsNoPerHostPhase(agent_rpcapi.AgentAPI):
    """The real client, but a per-host capture, freeze or commit fails.

    So what the hosts did can only have come by broadcast.
    """

    def _call(self, context, host, method, **kwargs):
        phase = kwargs.get('phase') if method == 'run_phase' else method
        assert phase not in ('capture', 'freeze', 'commit'), phase
        return super()._call(context, host, method, **kwargs)


def _fence(conf, api, hosts):
    by_host = {h: [{'server_id': '%s-vm-%d' % (h, i), 'name': 'vm-%d' % i,
                    'volumes': []} for i in range(2)] for h in hosts}
    return fence.Fence(conf, api, context.RequestContext(
        project_id='p', user_id='u'), str(uuid.uuid4()), by_host, False)


@pytest.mark.parametrize('mode', ['shared_start', 'barrier'])
def test_every_host_captures_at_t_from_one_message(conf, cloud, mode):
    agents, api, _ = cloud
    run = _fence(conf, api, HOSTS)
    results = run.capture(consistent=True, mode=mode)
    assert sorted(results) == HOSTS
    members = [m for r in results.values() for m in r['members']]
    assert len(members) == 2 * len(HOSTS)
    assert {m['status'] for m in members} == {'captured'}
    for member in members:
        assert member['started_at'] >= run.fence_at - 0.002
    assert fence.skew_ms([m['captured_at'] for m in members]) < 1000
    final = run.finalize()
    assert {m['status'] for r in final.values() for m in r['members']} == {
        'available'}
    # An agent not in the snapshot got the broadcast too, and left it.
    assert run.id not in agents['bystander']._snapshots


def test_a_host_that_stops_answering_fails_the_snapshot_by_name(conf, cloud):
    agents, api, servers = cloud
    run = _fence(conf, api, HOSTS)
    run.prepare()
    # The last host's agent goes away between prepare and capture.
    servers.stop(HOSTS[-1])
    try:
        with pytest.raises(fence.Failed) as failed:
            run._raise_first_error('capture', run._capture(run._fence_at()))
    finally:
        servers.serve(HOSTS[-1], rpc.AGENT_TOPIC, agents[HOSTS[-1]])
    assert str(failed.value) == (
        'Host %s did not answer capture in time: its consistent-snap-agent '
        'is down, or too busy (see its log there)' % HOSTS[-1])
    # The others captured and thawed their members; the abort reaches
    # every host again.
    for host in HOSTS[:-1]:
        snap = agents[host]._snapshots[run.id]
        assert snap.frozen == []
        assert {m['status'] for m in snap.members.values()} == {'captured'}
    until_answering(lambda: api.ping(context.RequestContext(), HOSTS[-1]))
    assert run.abort() == {}
    for host in HOSTS:
        members = agents[host]._snapshots[run.id].members.values()
        assert {m['status'] for m in members} == {'aborted'}
