"""The fence: one message per host per phase, sent to every host at once.

Fence drives the agents through a group snapshot's phases and knows no
database, so benchmarks drive it too; the planning (clock offsets, the lead
before T, the skew) is in pure functions of measured numbers.
"""

import collections
import concurrent.futures
import dataclasses
import time

import oslo_messaging as messaging

from consistent_snap.coordinator import transport as transports
from consistent_snap import exception
from consistent_snap import hooks
from consistent_snap import rpc
from consistent_snap import states

# Beyond a stage's longest hook: the messages' way and the guest agent's.
HOOK_GRACE_S = 15


class Failed(Exception):
    """Ends the snapshot in error with this message."""


@dataclasses.dataclass(frozen=True)
class Probe:
    """One prepare round trip to a host, on the coordinator's wall clock."""
    host: str
    sent_at: float
    received_at: float
    agent_time: float

    @property
    def rtt(self):
        return self.received_at - self.sent_at

    @property
    def offset(self):
        # The agent read its clock about half-way through the round trip.
        return self.agent_time - (self.sent_at + self.received_at) / 2

    @property
    def bounds(self):
        """(lowest, highest) offset this probe allows.

        The agent read its clock at some instant between sent_at and
        received_at.
        """
        return (self.agent_time - self.received_at,
                self.agent_time - self.sent_at)


def clock_offset(probes):
    """One host's clock offset from its probes.

    Each probe bounds the offset (``Probe.bounds``); together they bound it
    to the intersection. If zero is in it, the clock is not moved: the
    midpoint of a round trip is off by up to half of it on a loaded
    machine, while clocks that NTP keeps in step are usually closer than
    that, so correcting them would add more error than it removes. A clock
    proven off is moved to the middle of what the probes allow, which is
    off by half the difference of the two ways, not by a whole way. If the
    probes disagree (the clock stepped), the fastest probe's midpoint is
    used.
    """
    low = max(p.bounds[0] for p in probes)
    high = min(p.bounds[1] for p in probes)
    if low > high:
        return min(probes, key=lambda p: p.rtt).offset
    if low <= 0.0 <= high:
        return 0.0
    return (low + high) / 2


# Clock probes in flight at once: a probe sent in a burst to every host
# waits behind the others, and its round trip (so the offset's error and
# the lead) becomes the whole burst's time.
PROBE_WORKERS = 8


def lead_seconds(probes, rtt_factor, margin_ms, dispatch=0.0,
                 broadcast=None):
    """How far ahead T must be for every host to hold its message at T.

    Per-host calls: rtt_factor times the slowest round trip, plus
    dispatch, the spread of their sends measured in prepare (the last
    leaves that much after the first). A broadcast leaves once:
    rtt_factor times its way to the last host (``broadcast``, measured in
    prepare), which varies from one message to the next as a round trip
    does.
    """
    if broadcast is not None:
        return broadcast * rtt_factor + margin_ms / 1000.0
    slowest = max((p.rtt for p in probes), default=0.0)
    return slowest * rtt_factor + dispatch + margin_ms / 1000.0


def skew_ms(instants):
    """Spread of capture instants (max - min), in milliseconds."""
    instants = [i for i in instants if i is not None]
    if len(instants) < 2:
        return 0.0 if instants else None
    return (max(instants) - min(instants)) * 1000.0


def frozen_together(members):
    """Whether every point was fixed while every member was frozen.

    Then the members' disks did not change between their points: they
    form one cut, however far apart the calls were. members: dicts with
    frozen_at, captured_at, fixed_at and thawed_at, on one clock.
    """
    keys = states.Member.FENCE_INSTANTS
    if not members or any(m.get(k) is None for m in members for k in keys):
        return False
    return (max(m['frozen_at'] for m in members) <=
            min(m['captured_at'] for m in members) and
            max(m['fixed_at'] for m in members) <=
            min(m['thawed_at'] for m in members))


def window_ms(start, end):
    if start is None or end is None:
        return None
    return (end - start) * 1000.0


class Fence:
    """One group snapshot's members, by host, and the agents that hold them.

    on_phase(status, **values) is told when the snapshot changes phase;
    on_reports({host: report}) gets the agents' reports of a phase in one
    batch, instants on the coordinator's clock. transport: how phases reach
    the hosts (transport.Calls or .Broadcast); by default a broadcast for
    broadcast_min_hosts or more, once prepared. Neither
    is called between T's choice and its phase's sending, nor while a
    barrier holds the guests frozen: a database write there would stretch
    the freeze.
    """

    def __init__(self, conf, agents, context, snapshot_id, by_host, quiesce,
                 on_phase=None, on_reports=None, trust_id=None,
                 transport=None):
        self.conf = conf
        self.agents = agents
        self.context = context
        self.id = snapshot_id
        self.by_host = by_host
        self.hosts = sorted(by_host)
        self.quiesce = quiesce
        self.trust_id = trust_id
        self.offsets = {}
        self.probes = []
        self.agent_runs = {}
        self.fence_at = None
        self.dispatch = 0.0
        self._transport_class = transport
        # Per-host calls until prepare has chosen.
        self.transport = transports.Calls(self)
        # A broadcast's way to the last host, timed in prepare when the
        # phases are broadcast; None while they go as per-host calls.
        self.broadcast_delay = None
        self._on_phase = on_phase or (lambda status, **values: None)
        self._on_reports = on_reports or (lambda reports: None)

    def _fanout(self, call, hosts=None, workers=None):
        """call(host) on every host, fanout_workers at a time."""
        return transports.fanout(
            call, self.hosts if hosts is None else hosts,
            workers or self.conf.coordinator.fanout_workers)

    def _report_all(self, results):
        reports = {host: report for host, report in results.items()
                   if not isinstance(report, Exception)}
        if reports:
            self._on_reports(reports)

    def _meanwhile(self, status):
        """on_phase(status) in a thread of its own; returns its future.

        The phase sent next does not wait for the database.
        """
        pool = concurrent.futures.ThreadPoolExecutor(1)
        moving = pool.submit(self._on_phase, status)
        pool.shutdown(wait=False)
        return moving

    @staticmethod
    def _raise_first_error(phase, results):
        for host in sorted(results):
            error = results[host]
            if isinstance(error, messaging.MessagingTimeout):
                # A slow host looks the same as a dead one from here.
                raise Failed('Host %s did not answer %s in time: its '
                             'consistent-snap-agent is down, or too busy '
                             '(see its log there)' % (host, phase))
            if getattr(error, 'exc_type', None) == 'UnsupportedVersion':
                raise Failed('Host %s runs an older consistent-snap-agent '
                             'that cannot take %s as sent: upgrade it, or '
                             'set [upgrade_levels] agent to its version on '
                             'the coordinators until it is (%s)' % (
                                 host, phase, rpc.remote_message(error)))
            if isinstance(error, Exception):
                raise Failed('%s failed on host %s: %s' % (
                    phase, host, rpc.remote_message(error)))
        for host in sorted(results):
            for member in results[host]['members']:
                if member.get('status') == states.Member.ERROR:
                    raise Failed('Server %s on host %s: %s' % (
                        member['server_id'], host, member.get('error')))

    def _fence_args(self, at, deadline):
        return {'at': at, 'deadline': deadline, 'quiesce': self.quiesce,
                'max_freeze_ms': self.conf.agent.max_freeze_ms,
                'trust_id': self.trust_id}

    def prepare(self):
        """Every host checks its members; then its clock is probed."""
        timeout = self.conf.coordinator.prepare_timeout

        sent = []

        def prepare(host):
            sent.append(time.time())
            return self.agents.prepare(self.context, host, self.id,
                                       self.by_host[host], timeout=timeout,
                                       trust_id=self.trust_id)
        # fanout_workers at a time, not a thread per host: prepare does not
        # wait for T, and a thousand threads would queue for the
        # transport's connections rather than send.
        results = self._fanout(prepare)
        self.dispatch = max(sent) - min(sent) if sent else 0.0
        for host, result in sorted(results.items()):
            if isinstance(result, messaging.MessagingTimeout):
                raise Failed('Host %s did not answer prepare within %.0f s: '
                             'is consistent-snap-agent running there? '
                             'Nothing was frozen.' % (host, timeout))
            if isinstance(result, Exception):
                raise Failed('Prepare failed on host %s: %s' % (
                    host, rpc.remote_message(result)))
        # Clocks are read on ping round trips, which do no other work:
        # the fastest of a few gives the tightest offset.
        probes = collections.defaultdict(list)

        def ping(host):
            sent_at = time.time()
            reply = self.agents.ping(self.context, host, timeout=timeout)
            probes[host].append(
                Probe(host, sent_at, time.time(), reply['time']))
            # Which run of the agent holds the members (None: too old an
            # agent to say).
            self.agent_runs[host] = reply.get('started_at')
        for _ in range(self.conf.coordinator.clock_probes):
            self._fanout(ping, workers=PROBE_WORKERS)
        self.offsets = {h: clock_offset(p) for h, p in probes.items()}
        # The lead only needs each host's fastest round trip.
        self.probes = [min(p, key=lambda probe: probe.rtt)
                       for p in probes.values()]
        self.transport = self._choose_transport()
        if isinstance(self.transport, transports.Broadcast):
            self._time_broadcast(timeout)
        return self.probes

    def _choose_transport(self):
        if self._transport_class is not None:
            return self._transport_class(self)
        if (self.agents.inbox is not None and len(self.hosts) >=
                self.conf.coordinator.broadcast_min_hosts):
            return transports.Broadcast(self)
        return transports.Calls(self)

    def _time_broadcast(self, timeout):
        """How long a broadcast takes to reach the last host.

        It leaves once, but each host has to take it in; T's lead must
        cover the last one, as it covers the last per-host call. Each host
        says when it took the ping in, on its clock: the way there only,
        as the answers' way back (a thousand casts into this one process)
        is not before T.
        """
        sent = time.time()
        answers = self.transport.run('ping', {}, timeout)
        for host, answer in sorted(answers.items()):
            if isinstance(answer, Exception):
                raise Failed('Host %s did not answer a broadcast within '
                             '%.0f s: %s. Nothing was frozen.' % (
                                 host, timeout, rpc.remote_message(answer)))
        arrived = max(answer['time'] - self.offsets.get(host, 0.0)
                      for host, answer in answers.items())
        self.broadcast_delay = max(0.0, arrived - sent)

    def _deadline(self, fence_at):
        """When the capture phase is given up; and the RPC timeout."""
        lead = max(0.0, (fence_at or time.time()) - time.time())
        timeout = lead + self.conf.coordinator.capture_timeout
        return time.time() + timeout, timeout

    def _phase(self, phase, args, timeout, priority=False):
        """A phase on every host: {host: report or exception}."""
        # The priority topic takes per-host calls only.
        transport = (transports.Calls(self, priority=True) if priority
                     else self.transport)
        return transport.run(phase, args, timeout)

    def _capture(self, fence_at, priority=False):
        deadline, timeout = self._deadline(fence_at)
        return self._phase('capture', self._fence_args(fence_at, deadline),
                           timeout, priority)

    def _barrier(self, fence_at):
        deadline, timeout = self._deadline(fence_at)
        frozen = self._phase('freeze', self._fence_args(fence_at, deadline),
                             timeout)
        try:
            # Only when every member on every host is frozen: commit.
            self._raise_first_error('freeze', frozen)
        except Failed:
            self._report_all(frozen)
            raise
        moving = self._meanwhile(states.CAPTURING)
        # Every member is frozen now, so any instant is a consistent point;
        # one instant for all of them also lines up the members that
        # could not be quiesced, whose point is their capture.
        capture_at = self._fence_at()
        deadline, timeout = self._deadline(capture_at)
        committed = self._phase('commit', {'at': capture_at,
                                           'deadline': deadline}, timeout)
        moving.result()
        # Thawed now. A commit's report carries what the freeze did; a
        # host that did not answer it keeps its freeze report.
        self._report_all({host: frozen[host] if isinstance(
            committed[host], Exception) else committed[host]
            for host in committed})
        return committed

    def _fence_at(self):
        """T: late enough for every host to hold its message by then."""
        return time.time() + lead_seconds(
            self.probes, self.conf.coordinator.lead_rtt_factor,
            self.conf.coordinator.lead_margin_ms, self.dispatch,
            self.broadcast_delay)

    def capture(self, consistent, mode):
        """Fix every member's point in time; {host: report}."""
        if not consistent:
            # Not fenced: each host captures as soon as it can.
            self._on_phase(states.CAPTURING)
            results = self._capture(None)
        else:
            self._check_hooks_supported()
            self.prepare()
            self._hooks(hooks.PRE_FREEZE)
            # Before T is chosen: T is recorded with the phase after.
            self._on_phase(states.FENCING)
            if mode == states.BARRIER:
                self.fence_at = self._fence_at()
                results = self._barrier(self.fence_at)
                self._raise_first_error('capture', results)
                self._hooks(hooks.POST_THAW)
                return results
            moving = self._meanwhile(states.CAPTURING)
            if mode != states.PRIORITY:
                self.fence_at = self._fence_at()
            results = self._capture(self.fence_at,
                                    priority=(mode == states.PRIORITY))
            moving.result()
        self._report_all(results)
        self._raise_first_error('capture', results)
        if consistent:
            self._hooks(hooks.POST_THAW)
        return results

    def _payloads(self):
        return [m for members in self.by_host.values() for m in members]

    def _check_hooks_supported(self):
        if any(m.get('hooks') for m in self._payloads()) and not (
                self.agents.client.can_send_version('1.6')):
            raise Failed('Hooks need consistent-snap-agents of RPC 1.6 or '
                         'later ([upgrade_levels] agent allows older): '
                         'upgrade them, or snapshot without hooks. Nothing '
                         'was frozen.')

    def _hooks(self, when):
        """The members' hooks of `when`, one stage after the other.

        Every host runs a stage's hooks at once and answers when they are
        done; the next stage is sent only then.
        """
        payloads = self._payloads()
        for stage in hooks.stages(payloads, when):
            results = self._phase('hooks', {'when': when, 'stage': stage},
                                  hooks.stage_timeout_s(payloads, when, stage)
                                  + HOOK_GRACE_S)
            self._report_all(results)
            self._raise_first_error('%s hooks (stage %d)' % (
                when.replace('_', '-'), stage), results)

    def finalize(self):
        """Wait, thawed, for every artifact to be available.

        That may take finalize_timeout (a large upload): meanwhile the
        hosts not done yet are pinged, and one whose agent died, or came
        back without what it held, fails the snapshot at once rather than
        at the end of that wait.
        """
        timeout = self.conf.coordinator.finalize_timeout
        unanswered = collections.Counter()
        # A call per host, fanout_workers at a time: it does not wait for
        # T, and it takes long.
        results = transports.Calls(self).run(
            'finalize', {'deadline': time.time() + timeout}, timeout + 30,
            workers=self.conf.coordinator.fanout_workers, meanwhile=(
                self.conf.coordinator.liveness_interval,
                lambda pending: self._check_alive(pending, unanswered)))
        self._report_all(results)
        self._raise_first_error('finalize', results)
        return results

    def _check_alive(self, hosts, unanswered):
        """Fail if an agent of hosts restarted, or missed two pings."""
        timeout = self.conf.coordinator.prepare_timeout
        answers = self._fanout(
            lambda host: self.agents.ping(self.context, host,
                                          timeout=timeout), hosts=hosts)
        for host, answer in sorted(answers.items()):
            if isinstance(answer, Exception):
                unanswered[host] += 1
                if unanswered[host] >= 2:
                    raise Failed('Host %s stopped answering while it '
                                 'finalized its members: is its '
                                 'consistent-snap-agent running?' % host)
                continue
            unanswered[host] = 0
            started = self.agent_runs.get(host)
            if started is not None and answer.get('started_at') != started:
                raise Failed('The agent of host %s restarted while it '
                             'finalized its members, and what it was '
                             'waiting for is lost' % host)

    def abort(self):
        """Thaw everywhere and delete what was made; never raises.

        An agent answers an abort after the phase in progress there (a
        commit waits for its points to be fixed): it is given as long as
        a capture, or a busy host would be taken for an unreachable one.
        """
        timeout = max(self.conf.coordinator.prepare_timeout,
                      self.conf.coordinator.capture_timeout)

        def abort(host):
            return self.agents.abort(self.context, host, self.id,
                                     timeout=timeout,
                                     offset=self.offsets.get(host, 0.0))
        results = self._fanout(abort)
        self._report_all(results)
        # A host that finalized its members keeps them: they are complete,
        # thawed, and deleted by the caller from what they recorded.
        return {h: r for h, r in results.items() if isinstance(r, Exception)
                and not isinstance(r, exception.AbortRefused)}
