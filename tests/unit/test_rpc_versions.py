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
     {'ping', 'prepare', 'run_phase', 'capture', 'freeze', 'commit',
      'finalize', 'abort', 'fence_broadcast', 'guest_check'}),
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


class _Capped(_Recorder):
    """An RPC client capped by [upgrade_levels] agent, answering calls."""

    def __init__(self, cap, answer):
        super().__init__()
        self.cap, self.answer = cap, answer

    def can_send_version(self, version):
        return tuple(map(int, version.split('.'))) <= tuple(
            map(int, self.cap.split('.')))

    def call(self, context, method, **kwargs):
        super().call(context, method, **kwargs)
        return self.answer


def _api(cap, answer):
    api = agent_rpcapi.AgentAPI.__new__(agent_rpcapi.AgentAPI)
    api.client = api.priority_client = _Capped(cap, answer)
    return api


ARGS = {'members': [], 'at': 100.0, 'deadline': 110.0, 'quiesce': True,
        'max_freeze_ms': 2000, 'trust_id': None, 'offset': 5.0}


def test_a_phase_goes_as_one_dict_on_our_clock_to_a_1_4_agent():
    answer = {'host': 'h', 'members': [{'server_id': 's',
                                        'captured_at': 100.5}]}
    api = _api('1.4', answer)
    assert api.run_phase(None, 'h', 'gs', 'capture', ARGS, 30) == answer
    [(version, method, kwargs)] = api.client.sent
    assert (version, method, kwargs['phase'], kwargs['args']) == (
        '1.4', 'run_phase', 'capture', ARGS)


@pytest.mark.parametrize('phase, method, sent', [
    ('capture', 'capture', {'fence_at': 105.0, 'deadline': 115.0}),
    ('freeze', 'freeze', {'fence_at': 105.0, 'deadline': 115.0}),
    ('commit', 'commit', {'capture_at': 105.0}),
    ('finalize', 'finalize', {'deadline': 115.0}),
])
def test_an_agent_before_1_4_gets_its_own_clock_and_is_converted_back(
        phase, method, sent):
    # Capped at 1.3 during a rolling upgrade: the old method, instants on
    # the agent's clock (ours + 5 s), its report moved back to ours.
    api = _api('1.3', {'host': 'h', 'members': [
        {'server_id': 's', 'captured_at': 105.5, 'frozen_at': None}]})
    report = api.run_phase(None, 'h', 'gs', phase, ARGS, 30)
    assert report['members'] == [{'server_id': 's', 'captured_at': 100.5,
                                  'frozen_at': None}]
    [(version, sent_method, kwargs)] = api.client.sent
    assert sent_method == method and version in (None, '1.1')
    assert {k: kwargs[k] for k in sent} == sent
    assert 'args' not in kwargs


def test_a_guest_check_is_not_sent_to_an_agent_capped_below_1_5():
    api = _api('1.4', {'results': []})
    assert api.guest_check(None, 'compute-real', 's1', 5, []) is None
    assert api.client.sent == []
    api = _api('1.5', {'results': []})
    assert api.guest_check(None, 'compute-real', 's1', 5, []) == {
        'results': []}
    assert [(v, m) for v, m, _ in api.client.sent] == [('1.5',
                                                        'guest_check')]
