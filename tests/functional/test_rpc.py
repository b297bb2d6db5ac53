"""Agents and the coordinator as real processes on the real broker."""

import pytest

from consistent_snap.agent import rpcapi as agent_rpcapi
from consistent_snap import context
from consistent_snap.coordinator import rpcapi as coordinator_rpcapi
from consistent_snap import rpc
from tests.functional.conftest import until_answering

HOSTS = ['compute-1', 'compute-2', 'compute-3']


@pytest.fixture(scope='module')
def transport(test_cloud, conf_for_rpc):
    rpc.init(conf_for_rpc)
    yield
    rpc.cleanup()


@pytest.fixture(scope='module')
def conf_for_rpc(test_cloud):
    from oslo_config import cfg
    # oslo.messaging registers its options on the CONF it is given.
    path = test_cloud.write_config(name='rpc-client.conf')
    cfg.CONF([], project='consistent_snap', default_config_files=[str(path)])
    yield cfg.CONF
    cfg.CONF.reset()


@pytest.fixture(scope='module')
def daemons(test_cloud, transport):
    """The test cloud's agents (one per compute host) and coordinator."""
    ctx = context.RequestContext()
    agents = agent_rpcapi.AgentAPI(timeout=1)
    coordinator = coordinator_rpcapi.CoordinatorAPI(timeout=1)
    for host in HOSTS:
        until_answering(lambda: agents.ping(ctx, host))
    return until_answering(lambda: coordinator.ping(ctx))


def test_each_agent_answers_as_its_own_host(transport, daemons):
    agents = agent_rpcapi.AgentAPI(timeout=30)
    ctx = context.RequestContext(project_id='p', user_id='u')
    answers = [agents.ping(ctx, host) for host in HOSTS]
    assert [a['host'] for a in answers] == HOSTS


def test_a_host_without_an_agent_times_out(transport, daemons):
    import oslo_messaging
    agents = agent_rpcapi.AgentAPI(timeout=2)
    with pytest.raises(oslo_messaging.MessagingTimeout):
        agents.ping(context.RequestContext(), 'compute-without-agent')


def test_the_coordinator_answers(transport, daemons):
    coordinator = coordinator_rpcapi.CoordinatorAPI(timeout=30)
    assert coordinator.ping(context.RequestContext())['host'] == (
        'coordinator-1')


def test_an_agent_answers_only_its_rpc_methods(transport, daemons):
    agents = agent_rpcapi.AgentAPI(timeout=10)
    client = agents.client.prepare(server='compute-1')
    with pytest.raises(Exception) as e:
        client.call(context.RequestContext(), 'start')
    assert 'NoSuchMethod' in type(e.value).__name__ + str(e.value)
