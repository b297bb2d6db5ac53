import pytest

from consistent_snap.agent import manager as agent_manager
from consistent_snap.agent import rpcapi as agent_rpcapi
from consistent_snap.coordinator import manager as coordinator_manager
from consistent_snap.coordinator import rpcapi as coordinator_rpcapi


@pytest.mark.parametrize('client, server', [
    (agent_rpcapi.AgentAPI, agent_manager.AgentManager),
    (coordinator_rpcapi.CoordinatorAPI,
     coordinator_manager.CoordinatorManager),
])
def test_client_and_server_speak_the_same_rpc_version(client, server):
    assert client.RPC_API_VERSION == server.RPC_API_VERSION
    assert server.target.version == server.RPC_API_VERSION
    # The history in the docstring ends with the current version.
    assert ('%s - ' % client.RPC_API_VERSION) in client.__doc__


@pytest.mark.parametrize('server, methods', [
    (agent_manager.AgentManager,
     {'ping', 'prepare', 'capture', 'freeze', 'commit', 'finalize',
      'abort', 'fence_broadcast'}),
    (coordinator_manager.CoordinatorManager,
     {'ping', 'create_group_snapshot', 'delete_group_snapshot',
      'fence_report', 'create_restore', 'delete_restore'}),
])
def test_only_the_rpc_api_is_exposed(server, methods):
    exposed = {name for name in dir(server)
               if getattr(getattr(server, name), 'exposed', False)}
    assert exposed == methods


class _Recorder:
    """Stands in for an oslo.messaging RPCClient: records what is sent."""

    def __init__(self):
        self.sent = []

    def prepare(self, **options):
        self.options = options
        return self

    def call(self, context, method, **kwargs):
        self.sent.append((self.options.get('version'), method, kwargs))


@pytest.mark.parametrize('trust_id, version', [(None, None), ('t1', '1.3')])
def test_prepare_sends_a_trust_only_as_1_3(trust_id, version):
    api = agent_rpcapi.AgentAPI.__new__(agent_rpcapi.AgentAPI)
    api.client = _Recorder()
    api.prepare(None, 'compute-1', 'gs1', [], timeout=5, trust_id=trust_id)
    (sent_version, method, kwargs), = api.client.sent
    assert (sent_version, method) == (version, 'prepare')
    assert ('trust_id' in kwargs) == (trust_id is not None)
