"""A phase that reaches an agent after its snapshot's abort does nothing.

Real agents on a real state directory, with the recording quiescer and
counting capturer of test_agent_manager; the coordinator's side is a
Fence whose agents are those, called as the RPC layer would.
"""

import json
import time

import oslo_messaging as messaging
import pytest

from consistent_snap.agent import manager
from consistent_snap.coordinator import fence
from consistent_snap import exception
from tests.unit.test_agent_manager import _agent
from tests.unit.test_agent_manager import _Inbox
from tests.unit.test_agent_manager import CountingCapturer
from tests.unit.test_agent_manager import MEMBERS
from tests.unit.test_agent_manager import RecordingQuiescer


@pytest.fixture
def agent(conf, tmp_path):
    return _agent(conf, tmp_path, RecordingQuiescer)


def _refused(call, *args):
    """The SnapshotAborted that call(*args) answers with, as sent back."""
    with pytest.raises(messaging.ExpectedException) as refused:
        call(None, *args)
    error = refused.value.exc_info[1]
    assert isinstance(error, exception.SnapshotAborted)
    return error


def _untouched(agent):
    assert agent.quiescer.freezes == 0
    assert agent.quiescer.frozen == set()
    assert agent.counting_capturer.captures == 0
    assert agent.deadman.held() == []


def test_a_late_capture_or_freeze_after_the_abort_is_refused(agent):
    agent.prepare(None, 'gs-late', MEMBERS)
    agent.abort(None, 'gs-late')
    error = _refused(agent.capture, 'gs-late', MEMBERS, None, None, True,
                     2000)
    assert str(error).startswith('Group snapshot gs-late was aborted on '
                                 'host compute-1 at ')
    assert str(error).endswith('; this capture came after it and was '
                               'refused. Nothing was frozen or captured.')
    _refused(agent.freeze, 'gs-late', MEMBERS, None, None, True, 2000)
    _refused(agent.commit, 'gs-late')
    _refused(agent.finalize, 'gs-late', None)
    _untouched(agent)


def test_a_late_broadcast_phase_is_refused_and_says_why(agent):
    agent._coordinators = inbox = _Inbox()
    agent.prepare(None, 'gs-bcast', MEMBERS)
    agent.abort(None, 'gs-bcast')
    agent.fence_broadcast(None, 'gs-bcast', 'capture', {}, None, None, True,
                          2000, None, 'coordinator')
    [(phase, host, report)] = inbox.reports
    assert (phase, host) == ('capture', 'compute-1')
    assert 'this capture came after it and was refused' in report['error']
    _untouched(agent)


def test_an_abort_that_overtook_its_prepare_refuses_the_prepare(agent):
    assert agent.abort(None, 'gs-early')['members'] == []
    error = _refused(agent.prepare, 'gs-early', MEMBERS)
    assert 'this prepare came after it' in str(error)
    _refused(agent.capture, 'gs-early', MEMBERS, None, None, True, 2000)
    assert 'gs-early' not in agent._snapshots
    _untouched(agent)


def test_a_restarted_agent_still_refuses_what_was_aborted(conf, tmp_path):
    first = _agent(conf, tmp_path, RecordingQuiescer)
    first.prepare(None, 'gs-kept', MEMBERS)
    first.abort(None, 'gs-kept')
    first.stop()
    second = _agent(conf, tmp_path, RecordingQuiescer)
    _refused(second.capture, 'gs-kept', MEMBERS, None, None, True, 2000)
    _untouched(second)


def test_old_tombstones_are_forgotten(conf, tmp_path):
    agent = _agent(conf, tmp_path, RecordingQuiescer)
    agent.abort(None, 'gs-old')
    path = tmp_path / 'agent-compute-1-aborted.json'
    # Aborted a day and a minute ago, as far as the journal says.
    day = conf.agent.tombstone_hours * 3600
    path.write_text(json.dumps({'gs-old': time.time() - day - 60}))
    agent = _agent(conf, tmp_path, RecordingQuiescer)
    assert agent.prepare(None, 'gs-old', MEMBERS)['members'] == 2
    agent.abort(None, 'gs-new')
    assert list(json.loads(path.read_text())) == ['gs-new']


class _Agents:
    """The agents' RPC API, served in-process.

    Our exceptions cross the wire as themselves (rpc.ALLOWED_EXMODS).
    """

    inbox = None

    def __init__(self, agents):
        self.agents = agents

    def __getattr__(self, method):
        def call(context, host, *args, timeout=None, priority=False,
                 **kwargs):
            try:
                return getattr(self.agents[host], method)(context, *args,
                                                          **kwargs)
            except messaging.ExpectedException as e:
                raise e.exc_info[1]
        return call


def _host(conf, host):
    agent = manager.AgentManager(conf, host, quiescer=RecordingQuiescer(conf),
                                 capturers=[CountingCapturer(conf, None)])
    agent.start()
    agent.counting_capturer = agent._injected_capturers[0]
    return agent


def test_the_coordinator_counts_a_refused_host_as_failed(conf, tmp_path):
    conf.set_override('check_host', False, group='agent')
    conf.set_override('state_path', str(tmp_path))
    agents = {host: _host(conf, host) for host in ('compute-1', 'compute-2')}
    by_host = {'compute-1': MEMBERS[:1], 'compute-2': MEMBERS[1:]}
    agents['compute-2'].abort(None, 'gs-fence')
    f = fence.Fence(conf, _Agents(agents), None, 'gs-fence', by_host, True)
    with pytest.raises(fence.Failed) as failed:
        f.capture(consistent=False, mode='shared_start')
    assert str(failed.value).startswith(
        'capture failed on host compute-2: Group snapshot gs-fence was '
        'aborted on host compute-2')
    _untouched(agents['compute-2'])
    # Its abort then undoes the others and leaves nothing to report.
    assert f.abort() == {}
    assert agents['compute-1'].quiescer.frozen == set()
