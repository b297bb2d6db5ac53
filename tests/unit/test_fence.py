import threading
import time

import oslo_messaging as messaging
import pytest

from consistent_snap.coordinator import fence
from consistent_snap.coordinator import snapshot
from consistent_snap.coordinator import transport
from consistent_snap import figures as cs_figures
from consistent_snap import states


def test_offset_is_read_half_way_through_the_round_trip():
    probe = fence.Probe('h', sent_at=100.0, received_at=100.010,
                        agent_time=100.025)
    assert round(probe.rtt, 6) == 0.010
    assert round(probe.offset, 6) == 0.020


def _probe(sent_at, received_at, agent_time):
    return fence.Probe('h', sent_at, received_at, agent_time)


def test_a_clock_within_the_round_trip_is_not_moved():
    # The midpoint says +3 ms, but a 10 ms round trip cannot tell that
    # from an asymmetric delay: zero is allowed, so nothing is corrected.
    assert fence.clock_offset([_probe(100.0, 100.010, 100.008)]) == 0.0


def test_a_clock_proven_off_is_moved_to_the_middle_of_what_is_allowed():
    # Agent read 100.025 between 100.0 and 100.010: offset in [15, 25] ms.
    offset = fence.clock_offset([_probe(100.0, 100.010, 100.025)])
    assert round(offset, 6) == 0.020


def test_every_probe_narrows_the_offset():
    # [15, 25] ms and [18, 30] ms: [18, 25].
    offset = fence.clock_offset([_probe(100.0, 100.010, 100.025),
                                 _probe(200.0, 200.012, 200.030)])
    assert round(offset, 6) == 0.0215
    # A clock behind: [-25, -15] ms and [-22, -20] ms: [-22, -20].
    offset = fence.clock_offset([_probe(100.0, 100.010, 99.985),
                                 _probe(200.0, 200.002, 199.980)])
    assert round(offset, 6) == -0.021


def test_probes_that_disagree_fall_back_to_the_fastest_midpoint():
    # [15, 25] ms, then the clock stepped: [-6, -4] ms.
    offset = fence.clock_offset([_probe(100.0, 100.010, 100.025),
                                 _probe(200.0, 200.002, 199.996)])
    assert round(offset, 6) == -0.005


def test_lead_grows_with_the_slowest_host():
    probes = [fence.Probe('a', 0.0, 0.002, 0.0),
              fence.Probe('b', 0.0, 0.010, 0.0)]
    assert fence.lead_seconds(probes, 4.0, 50.0) == 0.010 * 4 + 0.050
    assert fence.lead_seconds([], 4.0, 50.0) == 0.050


def test_lead_covers_sending_to_every_host_once():
    probes = [fence.Probe('a', 0.0, 0.002, 0.0)]
    assert fence.lead_seconds(probes, 4.0, 50.0, dispatch=0.3) == (
        0.002 * 4 + 0.3 + 0.050)


class _Conf:
    class coordinator:
        fanout_workers = 2

    class agent:
        max_freeze_ms = 5000


def test_a_phase_that_blocks_until_t_has_a_thread_per_host():
    import threading
    hosts = ['h%d' % i for i in range(5)]
    f = fence.Fence(_Conf, None, None, 'id', {h: [] for h in hosts}, False)
    barrier = threading.Barrier(len(hosts), timeout=5)
    # Every call waits for all the others: only a thread each lets it end.
    results = f._fanout(lambda host: barrier.wait(), workers=len(hosts))
    assert not [r for r in results.values() if isinstance(r, Exception)]


def test_skew_is_the_spread_of_known_instants():
    assert fence.skew_ms([10.0, 10.002, None, 10.001]) == (
        10.002 - 10.0) * 1000
    assert fence.skew_ms([10.0]) == 0.0
    assert fence.skew_ms([None]) is None


def _member(frozen, called, fixed, thawed):
    return {'frozen_at': frozen, 'captured_at': called, 'fixed_at': fixed,
            'thawed_at': thawed}


def test_points_fixed_inside_one_common_freeze_are_frozen_together():
    # Calls 3 s apart, each fixed while both guests were still frozen.
    both = [_member(0.0, 1.0, 2.0, 5.0), _member(0.5, 4.0, 4.5, 5.1)]
    assert fence.frozen_together(both)
    # One point fixed after the other guest had thawed.
    assert not fence.frozen_together(
        [_member(0.0, 1.0, 2.0, 3.0), _member(0.5, 1.0, 3.5, 5.0)])
    # A capture called before the last guest was frozen.
    assert not fence.frozen_together(
        [_member(0.0, 0.2, 0.3, 3.0), _member(0.5, 1.0, 1.5, 5.0)])
    # A guest nothing froze claims no freeze, so nothing is together.
    assert not fence.frozen_together(
        both[:1] + [_member(None, 1.0, 1.5, None)])
    assert not fence.frozen_together([])


def test_the_headline_is_the_bound_not_the_spread_of_the_calls():
    rows = [dict(_member(None, 10.000, 12.0, None), consistency='crash'),
            dict(_member(None, 10.004, 14.5, None), consistency='crash')]
    figures = snapshot.summary(rows)
    assert figures['skew_ms'] == pytest.approx(4.0)
    assert figures['skew_bound_ms'] == pytest.approx(4500.0)
    assert figures['frozen_together'] is False
    assert figures['max_freeze_ms'] is None
    assert cs_figures.cut_text(figures) == 'within 4500.0 ms'
    frozen = [dict(_member(9.0, 10.000, 12.0, 15.0), consistency='filesystem'),
              dict(_member(9.5, 10.004, 14.5, 15.2),
                   consistency='filesystem')]
    assert cs_figures.cut_text(snapshot.summary(frozen)) == 'frozen together'
    # A member whose point was never fixed: no bound can be claimed.
    rows[1]['fixed_at'] = None
    assert snapshot.summary(rows)['skew_bound_ms'] is None
    assert cs_figures.cut_text(snapshot.summary(rows)) == '-'


def test_the_group_is_as_consistent_as_its_weakest_member():
    assert states.Member.weakest(['application', 'crash', 'filesystem']) == (
        'crash')
    assert states.Member.weakest(['application', 'filesystem']) == 'filesystem'
    assert states.Member.weakest([None]) is None


class _Broadcasts:
    """Answers a broadcast ping as hosts that took it in at given delays."""

    inbox = object()

    def __init__(self, delays):
        self.delays = delays
        self.sent = None

    def broadcast(self, context, phase, snapshot_id, hosts, offsets, *args,
                  **kwargs):
        self.sent = (phase, hosts, offsets)
        now = time.time()
        return {h: {'host': h, 'time': now + self.delays[h] + offsets.get(
            h, 0.0)} for h in hosts}


def test_the_broadcast_lead_is_the_way_to_the_last_host_only():
    agents = _Broadcasts({'h1': 0.010, 'h2': 0.300, 'h3': 0.050})
    f = fence.Fence(_Conf, agents, None, 'id', {h: [] for h in agents.delays},
                    False)
    # h2's clock is 2 s ahead, the others' are right: only h2's is sent.
    f.offsets = {'h1': 0.0, 'h2': 2.0, 'h3': 0.0}
    f.transport = transport.Broadcast(f)
    f._time_broadcast(timeout=10)
    assert agents.sent == ('ping', ['h1', 'h2', 'h3'], {'h2': 2.0})
    assert 0.300 <= f.broadcast_delay < 0.400
    # As a round trip: rtt_factor times it, whatever the per-host probes.
    assert fence.lead_seconds([fence.Probe('h1', 0.0, 0.5, 0.0)], 4.0, 50.0,
                              dispatch=2.0, broadcast=0.3) == (
        0.3 * 4 + 0.050)


class _BarrierConf:
    class coordinator:
        fanout_workers = 2
        lead_rtt_factor = 4.0
        lead_margin_ms = 10.0
        capture_timeout = 10

    class agent:
        max_freeze_ms = 5000


class _Barrier:
    """Agents that freeze and commit at once, and log what they were sent."""

    inbox = None

    def __init__(self, log):
        self.log = log

    def run_phase(self, context, host, snapshot_id, phase, args, timeout,
                  priority=False):
        self.log.append((phase, host))
        return {'host': host, 'members': [{'server_id': host, 'status': {
            'freeze': 'frozen', 'commit': 'captured'}[phase]}]}


def test_no_database_write_while_a_barrier_holds_the_guests_frozen():
    log = []
    commits_sent = threading.Event()

    def on_phase(status, **values):
        log.append(('phase', status))
        # A slow database: the commit must not wait for this write.
        commits_sent.wait(5)
        log.append(('phase written', status, commits_sent.is_set()))

    def on_reports(reports):
        log.append(('reports', sorted(
            m['status'] for r in reports.values() for m in r['members'])))

    class Agents(_Barrier):
        def run_phase(self, *args, **kwargs):
            report = super().run_phase(*args, **kwargs)
            if len([e for e in log if e[0] == 'commit']) == 2:
                commits_sent.set()
            return report
    f = fence.Fence(_BarrierConf, Agents(log), None, 'id',
                    {'h1': [], 'h2': []}, True, on_phase=on_phase,
                    on_reports=on_reports)
    f._barrier(time.time())
    assert ('phase written', 'capturing', True) in log
    first_commit = min(i for i, e in enumerate(log) if e[0] == 'commit')
    assert not [e for e in log[:first_commit] if e[0] == 'reports']
    # One batch, after the thaw: the commits' reports.
    assert [e for e in log if e[0] == 'reports'] == [
        ('reports', ['captured', 'captured'])]


class _FinalizeConf:
    class coordinator:
        fanout_workers = 4
        finalize_timeout = 30
        prepare_timeout = 1
        liveness_interval = 0.05


class _Finalizing:
    """h1 finalizes at once; h2's call never returns.

    h2's agent was killed with the message; it answers pings as
    ``h2_ping`` says.
    """

    inbox = None

    def __init__(self, h2_ping):
        self.h2_ping = h2_ping
        self.lost = threading.Event()

    def run_phase(self, context, host, snapshot_id, phase, args, timeout,
                  priority=False):
        assert phase == 'finalize'
        if host == 'h2':
            self.lost.wait(10)
            raise messaging.MessagingTimeout()
        return {'host': host, 'members': []}

    def ping(self, context, host, timeout=None):
        if host == 'h2':
            return self.h2_ping()
        return {'host': host, 'time': time.time(), 'started_at': 1.0}


def _finalize(agents):
    f = fence.Fence(_FinalizeConf, agents, None, 'gs', {'h1': [], 'h2': []},
                    True)
    f.agent_runs = {'h1': 1.0, 'h2': 1.0}  # As prepare read them.
    started = time.monotonic()
    try:
        with pytest.raises(fence.Failed) as failed:
            f.finalize()
    finally:
        agents.lost.set()
    return str(failed.value), time.monotonic() - started


def test_an_agent_restarted_while_finalizing_fails_the_snapshot_at_once():
    message, took = _finalize(_Finalizing(
        lambda: {'host': 'h2', 'time': time.time(), 'started_at': 2.0}))
    assert message == ('The agent of host h2 restarted while it finalized '
                       'its members, and what it was waiting for is lost')
    assert took < 5  # Not finalize_timeout.


def test_an_agent_gone_while_finalizing_fails_it_after_two_pings():
    def gone():
        raise messaging.MessagingTimeout()
    message, took = _finalize(_Finalizing(gone))
    assert message == ('Host h2 stopped answering while it finalized its '
                       'members: is its consistent-snap-agent running?')
    assert took < 5


class _Hooked(_Barrier):
    """_Barrier's agents, running hooks at once; prepare and ping too."""

    class client:
        version = '1.6'

        @classmethod
        def can_send_version(cls, version):
            return tuple(map(int, version.split('.'))) <= tuple(
                map(int, cls.version.split('.')))

    def prepare(self, context, host, snapshot_id, members, timeout,
                trust_id=None):
        return {'host': host, 'members': len(members)}

    def ping(self, context, host, timeout=None):
        return {'host': host, 'time': time.time(), 'started_at': 1.0}

    def run_phase(self, context, host, snapshot_id, phase, args, timeout,
                  priority=False):
        if phase != 'hooks':
            return super().run_phase(context, host, snapshot_id, phase,
                                     args, timeout, priority)
        self.log.append(('hooks %s %d' % (args['when'], args['stage']),
                         host))
        return {'host': host, 'members': [{'server_id': host,
                                           'status': 'pending'}]}


class _HookedConf(_BarrierConf):
    class coordinator(_BarrierConf.coordinator):
        prepare_timeout = 1
        clock_probes = 1
        broadcast_min_hosts = 100


def _hooked_payloads():
    flush = {'name': 'flush', 'when': 'pre_freeze', 'stage': 1,
             'command': 'f', 'timeout_s': 1, 'on_error': 'fail'}
    pause = dict(flush, name='pause', stage=2)
    resume = dict(flush, name='resume', when='post_thaw', stage=2)
    return {'h1': [{'server_id': 'h1', 'hooks': [flush]}],
            'h2': [{'server_id': 'h2', 'hooks': [pause, resume]}]}


def test_hooks_run_stage_by_stage_around_the_barrier():
    log = []
    f = fence.Fence(_HookedConf, _Hooked(log), None, 'gs',
                    _hooked_payloads(), True)
    f.capture(True, states.BARRIER)
    phases = []
    for phase, _ in log:
        if phase not in phases:
            phases.append(phase)
    # Every host gets each stage; the next only once all answered.
    assert phases == ['hooks pre_freeze 1', 'hooks pre_freeze 2', 'freeze',
                      'commit', 'hooks post_thaw 2']
    assert [p for p, _ in log[:4]] == ['hooks pre_freeze 1'] * 2 + [
        'hooks pre_freeze 2'] * 2


def test_hooks_need_agents_that_take_them():
    log = []
    agents = _Hooked(log)
    agents.client = type('client', (_Hooked.client,), {'version': '1.5'})
    f = fence.Fence(_HookedConf, agents, None, 'gs', _hooked_payloads(),
                    True)
    with pytest.raises(fence.Failed) as refused:
        f.capture(True, states.BARRIER)
    assert 'Hooks need consistent-snap-agents of RPC 1.6' in str(
        refused.value)
    assert log == []
