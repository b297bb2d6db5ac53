"""The agent's phases in-process: fake capturer, recording quiescer."""

import threading
import time

import oslo_messaging as messaging
import pytest

from consistent_snap.agent import manager
from consistent_snap.capturers import fake
from consistent_snap import exception
from consistent_snap.quiescers import base as quiescer_base
from consistent_snap import states

MEMBERS = [{'server_id': 's1', 'name': 'web-0', 'volumes': []},
           {'server_id': 's2', 'name': 'web-1', 'volumes': []}]


class RecordingQuiescer(quiescer_base.Quiescer):
    """Freezes nothing; remembers who is frozen, as a guest would be."""

    def __init__(self, conf):
        super().__init__(conf)
        self.frozen = set()
        self.freezes = 0

    def freeze(self, member, timeout):
        self.freezes += 1
        self.frozen.add(member['server_id'])
        return states.Member.FILESYSTEM, None

    def thaw(self, member):
        self.frozen.discard(member['server_id'])


class CountingCapturer(fake.FakeCapturer):
    def __init__(self, conf, connection):
        super().__init__(conf, connection)
        self.captures = 0

    def capture(self, member, labels):
        self.captures += 1
        return super().capture(member, labels)


@pytest.fixture
def agent(conf, tmp_path):
    return _agent(conf, tmp_path, RecordingQuiescer)


def _agent(conf, tmp_path, quiescer_class):
    conf.set_override('check_host', False, group='agent')
    conf.set_override('state_path', str(tmp_path))
    quiescer = quiescer_class(conf)
    capturer = CountingCapturer(conf, None)
    agent = manager.AgentManager(conf, 'compute-1', quiescer=quiescer,
                                 capturers=[capturer])
    agent.start()
    agent.counting_capturer = capturer
    return agent


def test_shared_start_waits_for_t_then_captures_and_thaws(agent):
    fence_at = time.time() + 0.05
    report = agent.capture(None, 'gs1', MEMBERS, fence_at, None, True, 2000)
    assert report['host'] == 'compute-1'
    for member in report['members']:
        assert member['status'] == 'captured'
        assert member['started_at'] >= fence_at
        assert (member['frozen_at'] <= member['captured_at'] <=
                member['fixed_at'] <= member['thawed_at'])
        assert member['consistency'] == 'filesystem'
    assert agent.quiescer.frozen == set()


def test_a_redelivered_phase_gets_the_first_answer_and_captures_once(agent):
    first = agent.capture(None, 'gs1', MEMBERS, None, None, True, 2000)
    again = agent.capture(None, 'gs1', MEMBERS, None, None, True, 2000)
    assert again == first
    assert agent.counting_capturer.captures == len(MEMBERS)
    assert agent.quiescer.freezes == len(MEMBERS)


def test_barrier_freezes_then_commits_then_finalizes(agent):
    frozen = agent.freeze(None, 'gs2', MEMBERS, None, None, True, 2000)
    assert {m['status'] for m in frozen['members']} == {'frozen'}
    assert agent.quiescer.frozen == {'s1', 's2'}
    committed = agent.commit(None, 'gs2')
    assert {m['status'] for m in committed['members']} == {'captured'}
    assert agent.quiescer.frozen == set()
    final = agent.finalize(None, 'gs2', time.time() + 5)
    assert {m['status'] for m in final['members']} == {'available'}


def test_a_commit_captures_at_its_instant_while_still_frozen(agent):
    fence_at = time.time() + 0.02
    agent.freeze(None, 'gs5', MEMBERS, fence_at, None, True, 2000)
    capture_at = time.time() + 0.05
    committed = agent.commit(None, 'gs5', capture_at=capture_at)
    for member in committed['members']:
        assert member['started_at'] >= fence_at
        assert (member['frozen_at'] < capture_at <= member['captured_at']
                <= member['thawed_at'])
        assert member['consistency'] == 'filesystem'


def test_a_lost_commit_cannot_leave_a_guest_frozen(agent):
    agent.freeze(None, 'gs3', MEMBERS, None, None, True, max_freeze_ms=150)
    assert agent.quiescer.frozen == {'s1', 's2'}
    time.sleep(0.5)
    assert agent.quiescer.frozen == set()
    # A commit after the timer: the points were fixed after the thaw, so
    # they are only crash-consistent, and the report says why.
    committed = agent.commit(None, 'gs3')
    for member in committed['members']:
        assert member['consistency'] == 'crash'
        assert 'max_freeze' in member['consistency_reason']
        assert member['thawed_at'] < member['captured_at']


def test_a_request_may_ask_for_a_shorter_freeze_never_a_longer_one(agent,
                                                                   conf):
    conf.set_override('max_freeze_ms', 200, group='agent')
    agent.freeze(None, 'gs4', MEMBERS, None, None, True, max_freeze_ms=60000)
    time.sleep(0.5)
    assert agent.quiescer.frozen == set()


def test_abort_thaws_and_marks_members(agent):
    agent.freeze(None, 'gs5', MEMBERS, None, None, True, 2000)
    report = agent.abort(None, 'gs5')
    assert agent.quiescer.frozen == set()
    assert {m['status'] for m in report['members']} == {'aborted'}
    assert agent.abort(None, 'unknown')['members'] == []


def test_a_message_past_its_deadline_freezes_nothing(agent):
    report = agent.freeze(None, 'gs6', MEMBERS, None, time.time() - 1,
                          True, 2000)
    assert agent.quiescer.freezes == 0
    for member in report['members']:
        assert member['status'] == 'error'
        assert 'after its deadline; nothing was frozen' in member['error']


def test_a_killed_agent_thaws_what_it_froze_when_it_starts_again(conf,
                                                                 tmp_path):
    conf.set_override('check_host', False, group='agent')
    conf.set_override('state_path', str(tmp_path))
    quiescer = RecordingQuiescer(conf)
    first = manager.AgentManager(conf, 'compute-1', quiescer=quiescer,
                                 capturers=[CountingCapturer(conf, None)])
    first.start()
    first.freeze(None, 'gs7', MEMBERS, None, None, True, 60000)
    # The process dies: its timer with it.
    first.deadman.disarm('gs7', first._snapshots['gs7'].arming)
    assert quiescer.frozen == {'s1', 's2'}
    second = manager.AgentManager(conf, 'compute-1', quiescer=quiescer,
                                  capturers=[CountingCapturer(conf, None)])
    second.start()
    assert second.deadman.wait_idle(5)
    assert quiescer.frozen == set()
    # And the journal is clean: a third start thaws nothing.
    assert second.deadman.recover() == 0


class NoAgentQuiescer(RecordingQuiescer):
    """s2's guest has no agent: it cannot be frozen."""

    def freeze(self, member, timeout):
        if member['server_id'] == 's2':
            return states.Member.CRASH, 'guest agent freeze failed: no agent'
        return super().freeze(member, timeout)


def test_a_required_quiesce_that_fails_captures_nothing_and_thaws(
        conf, tmp_path):
    agent = _agent(conf, tmp_path, NoAgentQuiescer)
    members = [dict(m, quiesce_reason='the request asks for it')
               for m in MEMBERS]
    report = agent.freeze(None, 'gs9', members, None, None, True, 2000)
    by_id = {m['server_id']: m for m in report['members']}
    assert by_id['s2']['status'] == 'error'
    assert by_id['s2']['error'] == (
        'freeze failed on host compute-1: a quiesce is required (the '
        'request asks for it) but guest agent freeze failed: no agent')
    # The coordinator aborts on that error: s1 is thawed, nothing made.
    agent.abort(None, 'gs9')
    assert agent.quiescer.frozen == set()
    assert agent.counting_capturer.captures == 0


def test_without_the_demand_a_guest_without_agent_is_crash_consistent(
        conf, tmp_path):
    agent = _agent(conf, tmp_path, NoAgentQuiescer)
    report = agent.capture(None, 'gs10', MEMBERS, None, None, True, 2000)
    by_id = {m['server_id']: m for m in report['members']}
    assert (by_id['s2']['status'], by_id['s2']['consistency'],
            by_id['s2']['consistency_reason']) == (
        'captured', 'crash', 'guest agent freeze failed: no agent')
    assert by_id['s1']['consistency'] == 'filesystem'


def test_a_guest_that_was_not_frozen_reports_no_freeze_window(agent):
    for phase in ('capture', 'freeze'):
        report = getattr(agent, phase)(None, 'gs-%s' % phase, MEMBERS, None,
                                       None, False, 2000)
        if phase == 'freeze':
            report = agent.commit(None, 'gs-freeze')
        for member in report['members']:
            assert (member['status'], member['consistency']) == (
                'captured', 'crash')
            assert (member['frozen_at'], member['thawed_at']) == (None, None)
    assert agent.quiescer.freezes == 0


class SlowToFixCapturer(CountingCapturer):
    """s2's point is fixed 0.5 s after its call (a busy nova-compute)."""

    def capture(self, member, labels):
        capture = super().capture(member, labels)
        if member['server_id'] == 's2':
            capture.artifacts = [{'type': 'image', 'id': 'img-s2',
                                  'ready_at': time.time() + 0.5}]
        return capture

    def is_fixed(self, artifact):
        return time.time() >= artifact['ready_at']


def test_a_slow_capture_of_an_unfrozen_guest_holds_no_frozen_one(
        conf, tmp_path):
    agent = _agent(conf, tmp_path, RecordingQuiescer)
    agent._injected_capturers = [SlowToFixCapturer(conf, None)]
    # Only s1 asks for a freeze; s2 is captured as it runs. (Named as a
    # coordinator before 1.4 names it: require_quiesce.)
    members = [dict(MEMBERS[0], require_quiesce='its image sets '
                    'os_require_quiesce'), MEMBERS[1]]
    for phase in ('capture', 'freeze'):
        snapshot_id = 'gs-slow-%s' % phase
        report = getattr(agent, phase)(None, snapshot_id, members, None,
                                       None, False, 2000)
        if phase == 'freeze':
            report = agent.commit(None, snapshot_id)
        s1, s2 = sorted(report['members'], key=lambda m: m['server_id'])
        assert (s1['consistency'], s2['consistency']) == (
            'filesystem', 'crash')
        assert {s1['status'], s2['status']} == {'captured'}
        assert s1['thawed_at'] - s1['frozen_at'] < 0.3, phase
        assert s2['fixed_at'] - s2['captured_at'] >= 0.5
        assert s2['fixed_at'] > s1['thawed_at']
        assert (s2['frozen_at'], s2['thawed_at']) == (None, None)


class LateFreezeQuiescer(RecordingQuiescer):
    """s2's guest agent answers its freeze too late, then freezes anyway.

    As qemu-guest-agent does: the thaw is served after the freeze it
    queued behind, so until the freeze lands the thaw fails too.
    """

    def __init__(self, conf):
        super().__init__(conf)
        self.lands = None
        self.failed_thaws = 0

    def freeze(self, member, timeout):
        if member['server_id'] != 's2':
            return super().freeze(member, timeout)
        self.lands = threading.Timer(0.3, self.frozen.add, ('s2',))
        self.lands.start()
        return (states.Member.CRASH, 'guest agent freeze failed: Guest '
                'agent is not responding')

    def thaw(self, member):
        if member['server_id'] == 's2' and self.lands.is_alive():
            self.failed_thaws += 1
            raise RuntimeError('Guest agent is not responding')
        super().thaw(member)


def test_a_freeze_that_failed_is_thawed_until_the_guest_is_thawed(
        conf, tmp_path):
    agent = _agent(conf, tmp_path, LateFreezeQuiescer)
    report = agent.capture(None, 'gs11', MEMBERS, None, None, True, 2000)
    by_id = {m['server_id']: m for m in report['members']}
    assert (by_id['s2']['status'], by_id['s2']['consistency'],
            by_id['s2']['thawed_at']) == ('captured', 'crash', None)
    assert agent.quiescer.failed_thaws >= 1
    # Its late freeze landed after the reply; the thaw went on until it
    # was undone, and only then was it forgotten.
    assert agent.deadman.wait_idle(5)
    assert agent.quiescer.frozen == set()
    assert agent.deadman.recover() == 0


class HungAgentQuiescer(RecordingQuiescer):
    """s1's guest agent hangs: each thaw fails after a while, until healed."""

    def __init__(self, conf):
        super().__init__(conf)
        self.healed = threading.Event()

    def thaw(self, member):
        if member['server_id'] == 's1' and not self.healed.is_set():
            time.sleep(0.2)
            raise RuntimeError('Guest agent is not responding')
        super().thaw(member)


def test_one_hung_guest_agent_keeps_no_other_guest_frozen(conf, tmp_path):
    agent = _agent(conf, tmp_path, HungAgentQuiescer)
    agent.freeze(None, 'gs12', MEMBERS, None, None, True, 2000)
    committing = threading.Thread(target=agent.commit, args=(None, 'gs12'))
    committing.start()
    committing.join(2)
    try:
        assert not committing.is_alive()
        assert agent.quiescer.frozen == {'s1'}
        # No snapshot waits on it, nor does an abort.
        assert agent.abort(None, 'gs12')['members']
    finally:
        agent.quiescer.healed.set()
        committing.join()
    assert agent.deadman.wait_idle(5)
    assert agent.quiescer.frozen == set()


def test_an_agent_serves_at_once_whatever_its_predecessor_left_frozen(
        conf, tmp_path):
    quiescer = HungAgentQuiescer(conf)
    first = _agent(conf, tmp_path, lambda conf: quiescer)
    first.freeze(None, 'gs13', MEMBERS, None, None, True, 60000)
    first.deadman.disarm('gs13', first._snapshots['gs13'].arming)
    started = threading.Thread(target=_agent,
                               args=(conf, tmp_path, lambda conf: quiescer))
    started.start()
    started.join(1)
    try:
        assert not started.is_alive()
        assert quiescer.frozen == {'s1'}
    finally:
        quiescer.healed.set()
        started.join()
    deadline = time.monotonic() + 5
    while quiescer.frozen:
        assert time.monotonic() < deadline
        time.sleep(0.05)


class SlowFreezeQuiescer(RecordingQuiescer):
    """Each freeze takes longer than max_freeze.

    blocks = False: the fence clock runs the members one after the other.
    """

    blocks = False

    def freeze(self, member, timeout):
        time.sleep(0.3)
        return super().freeze(member, timeout)


def test_nothing_stays_frozen_that_was_frozen_after_max_freeze(conf,
                                                               tmp_path):
    agent = _agent(conf, tmp_path, SlowFreezeQuiescer)
    report = agent.freeze(None, 'gs14', MEMBERS, None, None, True, 150)
    by_id = {m['server_id']: m for m in report['members']}
    # s1's freeze returned after the timer fired: it is thawed all the
    # same. s2's began after: it was not frozen at all.
    assert by_id['s2']['status'] == 'error'
    assert by_id['s2']['error'] == (
        'freeze failed on host compute-1: not frozen: its dead-man timer '
        'had already fired before its freeze began')
    assert agent.quiescer.freezes == 1
    assert agent.deadman.wait_idle(5)
    assert agent.quiescer.frozen == set()


class _Inbox:
    """Stands in for the coordinator's RPC client: what a host reports."""

    def __init__(self):
        self.reports = []

    def fence_report(self, context, coordinator, snapshot_id, phase, host,
                     report):
        self.reports.append((phase, host, report))


def test_a_broadcast_is_for_the_hosts_that_prepared_its_snapshot(agent):
    agent._coordinators = inbox = _Inbox()
    args = dict(offsets={}, at=None, deadline=None, quiesce=True,
                max_freeze_ms=2000, trust_id=None, reply_to='coordinator')
    agent.fence_broadcast(None, 'gs-other', 'capture', **args)
    assert inbox.reports == []
    assert agent.counting_capturer.captures == 0

    agent.prepare(None, 'gs-bcast', MEMBERS)
    fence_at = time.time() + 0.05
    # Its clock is not off, so it is not in offsets: T is taken as is.
    agent.fence_broadcast(None, 'gs-bcast', 'capture',
                          **dict(args, offsets={'compute-9': 0.5},
                                 at=fence_at))
    [(phase, host, report)] = inbox.reports
    assert (phase, host) == ('capture', 'compute-1')
    for member in report['members']:
        assert member['status'] == 'captured'
        assert fence_at <= member['started_at'] < fence_at + 0.5


def test_a_server_frozen_by_one_snapshot_is_refused_to_another(agent):
    """Two coordinators each granted the server (K5): the host refuses."""
    agent.freeze(None, 'gs-first', MEMBERS[:1], None, None, True, 2000)
    refused = agent.freeze(None, 'gs-second', MEMBERS, None, None, True,
                           2000)
    assert {m['status'] for m in refused['members']} == {'error'}
    assert refused['members'][0]['error'] == (
        'freeze failed on host compute-1: server s1 may still be frozen by '
        'group snapshot gs-first on this host, and one snapshot at a time '
        'may freeze a server: nothing was frozen for this one. Try again '
        'once that snapshot has ended.')
    # Its abort thaws nothing of the first's.
    agent.abort(None, 'gs-second')
    assert agent.quiescer.frozen == {'s1'}
    agent.commit(None, 'gs-first')
    assert agent.quiescer.frozen == set()
    # Thawed and forgotten: the server is free again.
    assert agent.deadman.wait_idle(5)
    again = agent.capture(None, 'gs-third', MEMBERS, None, None, True, 2000)
    assert {m['status'] for m in again['members']} == {'captured'}


class WarmingCapturer(CountingCapturer):
    """Records warm_up, or fails it as an unreachable Keystone would."""

    def __init__(self, conf, connection, error=None):
        super().__init__(conf, connection)
        self.error, self.warmed = error, 0

    def warm_up(self, members):
        if self.error:
            raise self.error
        self.warmed += 1


def _warming_agent(conf, tmp_path, capturer):
    conf.set_override('check_host', False, group='agent')
    conf.set_override('state_path', str(tmp_path))
    agent = manager.AgentManager(conf, 'compute-1',
                                 quiescer=RecordingQuiescer(conf),
                                 capturers=[capturer])
    agent.start()
    return agent


def test_prepare_warms_the_capturers_up_so_nothing_authenticates_after_t(
        conf, tmp_path):
    capturer = WarmingCapturer(conf, None)
    agent = _warming_agent(conf, tmp_path, capturer)
    agent.prepare(None, 'gs1', MEMBERS, trust_id='t1')
    assert (capturer.warmed, capturer.captures) == (1, 0)
    report = agent.capture(None, 'gs1', MEMBERS, None, None, True, 2000)
    assert {m['status'] for m in report['members']} == {'captured'}
    assert capturer.warmed == 1


def test_a_capturer_that_cannot_authenticate_fails_prepare_freezing_nothing(
        conf, tmp_path):
    capturer = WarmingCapturer(conf, None, error=RuntimeError(
        'Unable to establish connection to http://keystone/v3/auth/tokens'))
    agent = _warming_agent(conf, tmp_path, capturer)
    with pytest.raises(messaging.ExpectedException) as raised:
        agent.prepare(None, 'gs1', MEMBERS, trust_id='t1')
    error = raised.value.exc_info[1]
    assert isinstance(error, exception.CloudUnreachable)
    assert str(error) == (
        "host compute-1 could not reach the cloud's APIs as the snapshot's "
        "requester (WarmingCapturer, through the request's trust): Unable "
        "to establish connection to http://keystone/v3/auth/tokens. Nothing "
        "was frozen; check Keystone and the agent's [service_credentials], "
        "then try again.")
    assert agent.quiescer.freezes == 0


def test_capturers_act_through_the_trust_the_capture_brings(
        conf, tmp_path, monkeypatch):
    # A coordinator older than RPC 1.3 sends no trust with prepare: the
    # capture's trust must still be the one the artifacts are made with.
    monkeypatch.setattr(manager.trusts, 'connection',
                        lambda conf, trust_id: 'as the requester ' + trust_id)
    monkeypatch.setattr(manager.clients, 'service_connection',
                        lambda conf: 'as the service')
    conf.set_override('check_host', False, group='agent')
    conf.set_override('state_path', str(tmp_path))
    conf.set_override('capturers', ['fake'], group='agent')
    agent = manager.AgentManager(conf, 'compute-1',
                                 quiescer=RecordingQuiescer(conf))
    agent.start()
    agent.prepare(None, 'gs1', MEMBERS)
    assert [c.conn for c in agent._snapshots['gs1'].capturers] == [
        'as the service']
    agent.capture(None, 'gs1', MEMBERS, None, None, True, 2000,
                  trust_id='t1')
    assert [c.conn for c in agent._snapshots['gs1'].capturers] == [
        'as the requester t1']


def test_run_phase_takes_and_reports_instants_on_the_coordinators_clock(
        agent):
    # This host's clock is 5 s ahead of the coordinator's: T on the
    # coordinator's clock is T + 5 here, and the report comes back as the
    # coordinator reads its clock.
    offset = 5.0
    fence_at = time.time() + 0.05
    report = agent.run_phase(None, 'gs-clock', 'capture', {
        'members': MEMBERS, 'at': fence_at - offset, 'deadline': None,
        'quiesce': True, 'max_freeze_ms': 2000, 'offset': offset})
    for member in report['members']:
        assert member['status'] == 'captured'
        assert (fence_at - offset <= member['started_at'] <
                fence_at - offset + 0.5)
    # The 1.0-1.3 endpoint: this host's clock both ways.
    fence_at = time.time() + 0.05
    report = agent.capture(None, 'gs-local', MEMBERS, fence_at, None, True,
                           2000)
    assert all(fence_at <= m['started_at'] < fence_at + 0.5
               for m in report['members'])


def test_an_unknown_phase_is_refused_naming_what_to_do(agent):
    with pytest.raises(exception.UnknownPhase) as refused:
        agent.run_phase(None, 'gs-x', 'hook', {'offset': 0.0})
    assert 'upgrade its consistent-snap-agent' in str(refused.value)
