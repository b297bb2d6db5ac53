"""The per-host agent: acts on the members of its own compute host.

Every phase is idempotent per (snapshot, phase): a redelivered message gets
the first answer back and never captures twice.
"""

import concurrent.futures
import functools
import os
import threading
import time

from oslo_log import log as logging
import oslo_messaging as messaging

from consistent_snap.agent import deadman
from consistent_snap.agent import fence_clock
from consistent_snap.agent import guard as freeze_guard
from consistent_snap.agent import tombstones
from consistent_snap.capturers import base as capturer_base
from consistent_snap import clients
from consistent_snap.coordinator import rpcapi as coordinator_rpcapi
from consistent_snap import drivers
from consistent_snap import exception
from consistent_snap import hooks
from consistent_snap import rpc
from consistent_snap import states
from consistent_snap import trusts
from consistent_snap.virt import guest_agent
from consistent_snap.virt import libvirt_host

LOG = logging.getLogger(__name__)
# Long enough to answer any redelivery with the first answer.
FORGET_AFTER_S = 3600
M = states.Member


class _HostSnapshot:
    """One group snapshot's members on this host, and their progress."""

    def __init__(self, snapshot_id, members):
        self.id = snapshot_id
        self.created = time.monotonic()
        self.lock = threading.Lock()
        self.replies = {}
        self.captures = {}
        self.capturers = None
        self.capturers_trust_id = None  # The trust they act through.
        self.trust_id = None
        self.frozen = []
        self.held = []  # The members a freeze may have reached.
        self.arming = None  # The dead-man timer's token for them.
        self.members = {m['server_id']: dict(m, status=M.PENDING,
                                             artifacts=[], hook_results=[])
                        for m in members}

    def report(self, host):
        return {'host': host, 'members': [
            {k: m.get(k) for k in M.REPORT_KEYS}
            for m in self.members.values()]}


def _moved(instant, delta):
    return None if instant is None else instant + delta


def _quiesce_reason(member):
    """Why the member must be quiesced, or None.

    require_quiesce: as a coordinator before 1.4 names it.
    """
    return member.get('quiesce_reason', member.get('require_quiesce'))


def _fence_args(members, at, deadline, quiesce, max_freeze_ms, trust_id):
    """A capture's or freeze's arguments, as 1.0-1.3 gave them, as args."""
    return {'members': members, 'at': at, 'deadline': deadline,
            'quiesce': quiesce, 'max_freeze_ms': max_freeze_ms,
            'trust_id': trust_id}


class AgentManager:
    RPC_API_VERSION = '1.6'
    target = messaging.Target(version=RPC_API_VERSION)

    def __init__(self, conf, host, quiescer=None, capturers=None,
                 guard=None):
        self.conf = conf
        self.host = host
        self.started_at = time.time()
        if guard is None and quiescer is None:
            # The guard process loads the quiescer the configuration
            # names: it cannot stand for one given to this process.
            self.quiescer = drivers.load('consistent_snap.quiescers',
                                         conf.agent.quiescer, conf)
            if self.quiescer.freezes:
                guard = freeze_guard.Guard.for_agent(conf)
        else:
            self.quiescer = quiescer
        self.guard = guard
        self._injected_capturers = capturers
        self._snapshots = {}
        self._lock = threading.Lock()
        self._coordinators = None
        journal = os.path.join(conf.state_path,
                               'agent-%s-frozen.json' % host)
        self.deadman = deadman.Deadman(self.quiescer.thaw, journal,
                                       guard=guard)
        # Beside the journal: a restart must not forget what was aborted.
        self.tombstones = tombstones.Tombstones(
            os.path.join(conf.state_path, 'agent-%s-aborted.json' % host),
            conf.agent.tombstone_hours * 3600)

    def start(self):
        """Before serving: undo what a killed predecessor left half done.

        Its frozen guests are thawed (in the background: one that does not
        thaw keeps no snapshot waiting); each capturer recovers what it
        left (libvirt: overlays merged back).
        """
        os.makedirs(self.conf.state_path, exist_ok=True)
        if self.guard is not None:
            # In the process that serves: the guard learns of its death.
            self.guard.start()
        self.deadman.recover()
        for name in self.conf.agent.capturers:
            drivers.load_class('consistent_snap.capturers',
                               name).recover(self.conf)
        if self.conf.agent.check_host:
            threading.Thread(target=self._warm_up, name='warm-up',
                             daemon=True).start()

    def stop(self):
        if self.guard is not None:
            self.guard.stop()

    def _warm_up(self):
        """Authenticate and find Nova before the first prepare needs to.

        On a loaded host that took seconds of prepare's 10 s timeout.
        """
        try:
            clients.service_connection(self.conf).compute.get_endpoint()
        except Exception as e:
            LOG.warning('Could not reach Keystone or Nova yet (%s); the '
                        'first prepare will try again', e)

    def _capturers(self, snap):
        """The snapshot's capturers: as its requester, through the trust.

        Made again if the trust changed: a coordinator older than 1.3
        sends none with prepare, and artifacts made through the service's
        own connection would land in the wrong project.
        """
        if (snap.capturers is None or
                snap.capturers_trust_id != snap.trust_id):
            snap.capturers_trust_id = snap.trust_id
            if self._injected_capturers is not None:
                snap.capturers = self._injected_capturers
            else:
                conn = (trusts.connection(self.conf, snap.trust_id)
                        if snap.trust_id else
                        clients.service_connection(self.conf))
                snap.capturers = [
                    drivers.load('consistent_snap.capturers', name,
                                 self.conf, conn)
                    for name in self.conf.agent.capturers]
        return snap.capturers

    def _snapshot(self, snapshot_id, phase, members=None):
        with self._lock:
            self._refuse_if_aborted(snapshot_id, phase)
            if snapshot_id not in self._snapshots:
                self._forget_old()
                if members is None:
                    raise exception.SnapshotUnknownOnHost(
                        snapshot=snapshot_id, host=self.host)
                self._snapshots[snapshot_id] = _HostSnapshot(snapshot_id,
                                                             members)
            return self._snapshots[snapshot_id]

    def _forget_old(self):
        now = time.monotonic()
        for old in [s for s in self._snapshots.values()
                    if now - s.created > FORGET_AFTER_S and not s.frozen]:
            del self._snapshots[old.id]

    def _once(self, snap, phase, work):
        with snap.lock:
            # Checked again under the lock abort holds while it lays the
            # tombstone: a phase ends before the abort undoes it, or is
            # refused.
            self._refuse_if_aborted(snap.id, phase)
            if phase not in snap.replies:
                snap.replies[phase] = work()
            return snap.replies[phase]

    def _refuse_if_aborted(self, snapshot_id, phase):
        """A phase that comes after its snapshot's abort does nothing."""
        aborted_at = self.tombstones.aborted_at(snapshot_id)
        if aborted_at is not None:
            raise exception.SnapshotAborted(
                snapshot=snapshot_id, host=self.host, phase=phase,
                aborted_at=time.strftime('%Y-%m-%d %H:%M:%S UTC',
                                         time.gmtime(aborted_at)))

    @messaging.expose
    def guest_check(self, context, server_id, ping_timeout_s, commands):
        """A verification's checks in a guest on this host (1.5).

        commands: [{'argv', 'timeout_s'}], run through qemu-guest-agent
        once it answers guest-ping; see virt.guest_agent.check. A host
        whose guests are not quiesced through their agent says so
        ('skipped'): it is not known to run any.
        """
        if self.conf.agent.quiescer != 'libvirt':
            skipped = 'host %s reaches no guest agent (its quiescer is %s)' % (
                self.host, self.conf.agent.quiescer)
            return {'skipped': skipped, 'error': None, 'ping_s': None,
                    'results': []}
        try:
            dom = libvirt_host.domain(self.conf, server_id)
        except Exception as e:
            return {'error': 'no guest agent reachable on host %s: %s' % (
                self.host, e), 'ping_s': None, 'results': []}
        if dom is None:
            return {'error': 'server %s has no libvirt domain on host %s' % (
                server_id, self.host), 'ping_s': None, 'results': []}
        return guest_agent.check(dom, ping_timeout_s, commands)

    @messaging.expose
    def ping(self, context):
        # started_at tells this run of the agent from a restarted one,
        # which has forgotten every snapshot in progress.
        return {'host': self.host, 'time': time.time(),
                'started_at': self.started_at}

    @messaging.expose
    @messaging.expected_exceptions(exception.CloudUnreachable,
                                   exception.MembersNotOnHost,
                                   exception.HooksNotPossible,
                                   exception.SnapshotAborted)
    def prepare(self, context, snapshot_id, members, trust_id=None):
        snap = self._snapshot(snapshot_id, 'prepare', members)
        snap.trust_id = trust_id

        def check():
            if self.conf.agent.check_host:
                self._check_host(snap)
            self._check_hooks(snap)
            self._warm_up_capturers(snap)
            return {'host': self.host, 'members': len(snap.members)}
        return self._once(snap, 'prepare', check)

    def _warm_up_capturers(self, snap):
        """The capturers' first calls as the requester, now, not after T."""
        for capturer in self._capturers(snap):
            try:
                capturer.warm_up(list(snap.members.values()))
            except Exception as e:
                raise exception.CloudUnreachable(
                    host=self.host, driver=type(capturer).__name__,
                    reason=rpc.remote_message(e)) from e

    def _check_hooks(self, snap):
        """Each member with hooks has a guest agent that runs commands.

        And the in-freeze runner, where it has in-freeze hooks: they are
        handed to the runner now.
        """
        for member in snap.members.values():
            if not member.get('hooks'):
                continue
            try:
                dom = self._domain(member['server_id'])
                reason = guest_agent.preflight(dom, 5) or self._give_runner(
                    dom, member['hooks'])
            except Exception as e:
                reason = str(e)
            if reason:
                raise exception.HooksNotPossible(
                    server='%s (%s)' % (member.get('name'),
                                        member['server_id']),
                    host=self.host, reason=reason)

    def _give_runner(self, dom, member_hooks):
        """Write the in-freeze steps for the guest's runner; or why not."""
        if not any(h['when'] == hooks.IN_FREEZE for h in member_hooks):
            return None
        # Used once, and not after this snapshot could still freeze (its
        # pre-freeze hooks fit in max_freeze); an abort removes it too.
        expires = time.time() + self.conf.agent.max_freeze_ms / 1000 + 60
        result = guest_agent.run(dom, ['/bin/sh', '-c', (
            'grep -qs "%s" /etc/qemu/fsfreeze-hook '
            '/etc/qemu/fsfreeze-hook.d/* || exit 3; mkdir -p %s && '
            'cat >%s/in-freeze.steps && rm -f %s/in-freeze.results') % (
                hooks.RUNNER_MARK, hooks.RUNNER_DIR, hooks.RUNNER_DIR,
                hooks.RUNNER_DIR)], 10,
            stdin=hooks.steps_file(member_hooks, expires))
        if result.get('exitcode') == 3:
            return ('its guest has no in-freeze hook runner: install '
                    'etc/guest/consistent-snap-fsfreeze-hook as '
                    '/etc/qemu/fsfreeze-hook.d/consistent-snap and start '
                    'qemu-ga with --fsfreeze-hook')
        if result.get('exitcode') != 0:
            return 'the in-freeze steps could not be written: %s' % (
                guest_agent.describe(result))
        return None

    def _domain(self, server_id):
        """The server's libvirt domain, for its guest agent."""
        if self.conf.agent.quiescer != 'libvirt':
            raise guest_agent.GuestAgentError(
                'this host reaches no guest agent (its quiescer is %s)' %
                self.conf.agent.quiescer)
        dom = libvirt_host.domain(self.conf, server_id)
        if dom is None:
            raise guest_agent.GuestAgentError('it has no libvirt domain here')
        return dom

    def _check_host(self, snap):
        here = {s.id for s in clients.service_connection(self.conf).compute
                .servers(all_projects=True, compute_host=self.host)}
        elsewhere = sorted(set(snap.members) - here)
        if elsewhere:
            raise exception.MembersNotOnHost(
                servers=', '.join(elsewhere), host=self.host)

    # -- the fence phases ---------------------------------------------------
    #
    # A phase is one _phase_<name>(snapshot_id, args) method: per-host calls
    # (run_phase) and broadcasts (fence_broadcast) both dispatch to it. args:
    # members (else those of prepare), at, deadline (this host's clock),
    # quiesce, max_freeze_ms, trust_id.

    @messaging.expose
    @messaging.expected_exceptions(exception.SnapshotAborted)
    def run_phase(self, context, snapshot_id, phase, args):
        """A fence phase on this host (1.4).

        Its instants, and its report's, are on the coordinator's clock:
        args['offset'] (this host's clock minus the coordinator's)
        converts them, here and nowhere else.
        """
        return self._on_coordinator_clock(snapshot_id, phase, args,
                                          args.get('offset') or 0.0)

    def _on_coordinator_clock(self, snapshot_id, phase, args, offset):
        report = self._dispatch(snapshot_id, phase, dict(
            args, at=_moved(args.get('at'), offset),
            deadline=_moved(args.get('deadline'), offset)))
        return M.moved(report, -offset)

    def _dispatch(self, snapshot_id, phase, args):
        work = getattr(self, '_phase_%s' % phase, None)
        if work is None:
            raise exception.UnknownPhase(phase=phase, host=self.host)
        return work(snapshot_id, args)

    def _phase_ping(self, snapshot_id, args):
        return self.ping(None)

    def _phase_capture(self, snapshot_id, args):
        return self._fence(snapshot_id, args, 'capture', capture=True)

    def _phase_freeze(self, snapshot_id, args):
        return self._fence(snapshot_id, args, 'freeze', capture=False)

    def _phase_commit(self, snapshot_id, args):
        """Capture the frozen members at args['at'], then thaw."""
        snap = self._snapshot(snapshot_id, 'commit')

        def run():
            ready = [m for m in snap.members.values()
                     if m['status'] == M.FROZEN]
            self._at(args.get('at'), snap, ready,
                     lambda member: self._start_capture(snap, member))
            self._fix_then_thaw(snap, ready)
            return snap.report(self.host)
        return self._once(snap, 'commit', run)

    def _phase_hooks(self, snapshot_id, args):
        """The members' hooks of one stage (args: when, stage), at once."""
        snap = self._snapshot(snapshot_id, 'hooks')
        when, stage = args['when'], args['stage']

        def run():
            ready = [m for m in snap.members.values()
                     if m['status'] not in (M.ERROR, M.ABORTED)]
            _each_at_once(ready, lambda member: self._run_hooks(
                member, when, stage))
            return snap.report(self.host)
        return self._once(snap, 'hooks %s %s' % (when, stage), run)

    def _run_hooks(self, member, when, stage):
        if when == hooks.POST_THAW and not self._read_in_freeze(member,
                                                                stage):
            return
        for hook in member.get('hooks') or ():
            if (hook['when'], hook['stage']) != (when, stage):
                continue
            record = self._run_hook(member, hook)
            member['hook_results'].append(record)
            if not record['passed'] and hook['on_error'] == hooks.FAIL:
                self._fail(member, 'hook', 'hook %s (%s) of server %s: %s' % (
                    hook['name'], when, member.get('name'),
                    record['output']))
                return
        self._hooks_level(member)

    def _read_in_freeze(self, member, stage):
        """Record the runner's results of the member's in-freeze hooks.

        Those of stage; False if one that may not fail did.
        """
        wanted = [h for h in member.get('hooks') or ()
                  if (h['when'], h['stage']) == (hooks.IN_FREEZE, stage)]
        if not wanted:
            return True
        try:
            result = guest_agent.run(
                self._domain(member['server_id']),
                ['/bin/cat', hooks.RUNNER_DIR + '/in-freeze.results'], 10)
            found = hooks.parse_results(result.get('out') or '')
        except Exception as e:
            found, result = {}, {'error': str(e)}
        # Run at the start of the freeze call; timed in the guest.
        started = member.get('started_at') or time.time()
        for hook in wanted:
            code, took, output = found.get(hook['name'], (
                None, 0.0, 'not run: the freeze stopped before it, or no '
                'runner ran (%s)' % guest_agent.describe(result)))
            record = _hook_record(
                hook, started, started + took, code, code == 0,
                'exit %s; output: %s' % (code, output) if code is not None
                else output)
            member['hook_results'].append(record)
            if not record['passed'] and hook['on_error'] == hooks.FAIL:
                self._fail(member, 'hook', 'hook %s (in_freeze) of server '
                           '%s failed inside the freeze, which it stopped: '
                           '%s' % (hook['name'], member.get('name'),
                                   record['output']))
                return False
        return True

    def _run_hook(self, member, hook):
        started = time.time()
        try:
            result = guest_agent.run(self._domain(member['server_id']),
                                     ['/bin/sh', '-c', hook['command']],
                                     hook['timeout_s'])
        except Exception as e:
            result = {'error': str(e)}
        passed = not result.get('error') and not result.get(
            'timed_out') and result.get('exitcode') == 0
        return _hook_record(hook, started, time.time(),
                            result.get('exitcode'), passed,
                            guest_agent.describe(result))

    @staticmethod
    def _hooks_level(member):
        level = hooks.level(member)
        if level:
            member.update(consistency=level[0], consistency_reason=level[1])

    def _undo_hooks(self, snap):
        """An abort runs the post-thaw hooks the pre-freeze ones called for.

        Those of members whose pre-freeze hooks ran and whose post-thaw
        hooks did not (a paused application is resumed); failures are
        recorded and passed over. In-freeze steps not run are taken back
        from the guest's runner.
        """
        for member in snap.members.values():
            if any(h['when'] == hooks.IN_FREEZE
                   for h in member.get('hooks') or ()):
                try:
                    guest_agent.run(self._domain(member['server_id']), [
                        '/bin/rm', '-f', hooks.RUNNER_DIR +
                        '/in-freeze.steps'], 10)
                except Exception:
                    LOG.exception('Snapshot %s: could not take the in-freeze '
                                  'steps back from server %s', snap.id,
                                  member['server_id'])
            ran = {r['when'] for r in member['hook_results']}
            if hooks.PRE_FREEZE not in ran or hooks.POST_THAW in ran:
                continue
            for hook in sorted((h for h in member.get('hooks') or ()
                                if h['when'] == hooks.POST_THAW),
                               key=lambda h: -h['stage']):
                member['hook_results'].append(self._run_hook(member, hook))

    def _phase_finalize(self, snapshot_id, args):
        """Wait, thawed, until every artifact is available."""
        snap = self._snapshot(snapshot_id, 'finalize')

        def run():
            for member in snap.members.values():
                if member['status'] != M.CAPTURED:
                    continue
                try:
                    for capturer, capture in snap.captures[
                            member['server_id']]:
                        capturer.wait_done(capture, args['deadline'])
                    member['status'] = M.AVAILABLE
                except Exception as e:
                    self._fail(member, 'finalize', e)
            return snap.report(self.host)
        return self._once(snap, 'finalize', run)

    # The endpoints of 1.0-1.3, for coordinators not yet upgraded:
    # instants on this host's clock, both ways.

    @messaging.expose
    @messaging.expected_exceptions(exception.SnapshotAborted)
    def capture(self, context, snapshot_id, members, fence_at, deadline,
                quiesce, max_freeze_ms, trust_id=None):
        return self._dispatch(snapshot_id, 'capture', _fence_args(
            members, fence_at, deadline, quiesce, max_freeze_ms, trust_id))

    @messaging.expose
    @messaging.expected_exceptions(exception.SnapshotAborted)
    def freeze(self, context, snapshot_id, members, fence_at, deadline,
               quiesce, max_freeze_ms, trust_id=None):
        return self._dispatch(snapshot_id, 'freeze', _fence_args(
            members, fence_at, deadline, quiesce, max_freeze_ms, trust_id))

    @messaging.expose
    @messaging.expected_exceptions(exception.SnapshotAborted)
    def commit(self, context, snapshot_id, capture_at=None):
        return self._dispatch(snapshot_id, 'commit', {'at': capture_at})

    @messaging.expose
    @messaging.expected_exceptions(exception.SnapshotAborted)
    def finalize(self, context, snapshot_id, deadline):
        return self._dispatch(snapshot_id, 'finalize',
                              {'deadline': deadline})

    def _fence(self, snapshot_id, args, phase, capture):
        """Freeze at args['at']; with ``capture``, also capture and thaw."""
        received_at = time.time()
        snap = self._snapshot(snapshot_id, phase, args.get('members'))
        snap.trust_id = args.get('trust_id')

        def run():
            self._freeze_at(snap, args.get('at'), args.get('deadline'),
                            args.get('quiesce'), args.get('max_freeze_ms'),
                            received_at, capture)
            if capture:
                self._fix_then_thaw(snap, list(snap.members.values()))
            return snap.report(self.host)
        return self._once(snap, phase, run)

    @messaging.expose
    def fence_broadcast(self, context, snapshot_id, phase, offsets,
                        reply_to, args=None, at=None, deadline=None,
                        quiesce=None, max_freeze_ms=None, trust_id=None):
        """A phase sent to every agent at once (AgentAPI.broadcast).

        Only the hosts that prepared the snapshot act; each answers
        reply_to with a cast. offsets: {host: its clock minus the
        coordinator's}, for the clocks that are off. phase: one of the
        _phase_ methods ('ping' times the broadcast). From 1.4 the
        arguments come as args and the report goes back on the
        coordinator's clock; before, as at, deadline... and on this host's.
        """
        with self._lock:
            # An aborted one is refused, not ignored: its sender learns
            # why at once.
            if (snapshot_id not in self._snapshots and
                    self.tombstones.aborted_at(snapshot_id) is None):
                return
        offset = offsets.get(self.host, 0.0)
        try:
            self._refuse_if_aborted(snapshot_id, phase)
            if args is not None:
                report = self._on_coordinator_clock(snapshot_id, phase,
                                                    args, offset)
            else:
                report = self._dispatch(snapshot_id, phase, _fence_args(
                    None, _moved(at, offset), _moved(deadline, offset),
                    quiesce, max_freeze_ms, trust_id))
        except Exception as e:
            if isinstance(e, messaging.ExpectedException):
                e = e.exc_info[1]  # As the RPC server would unwrap it.
            report = {'host': self.host, 'error': '%s failed on host %s: '
                      '%s' % (phase, self.host, rpc.remote_message(e))}
        if self._coordinators is None:
            self._coordinators = coordinator_rpcapi.CoordinatorAPI()
        self._coordinators.fence_report(context, reply_to, snapshot_id,
                                        phase, self.host, report)

    @messaging.expose
    @messaging.expected_exceptions(exception.AbortRefused)
    def abort(self, context, snapshot_id, offset=0.0):
        """Undo the snapshot here; any later phase of it is refused.

        offset (1.4): this host's clock minus the coordinator's, to report
        on the coordinator's clock.
        """
        with self._lock:
            snap = self._snapshots.get(snapshot_id)
            if snap is None:
                # It overtook its prepare, or this agent restarted: nothing
                # to undo, but nothing of it may begin later either.
                self.tombstones.add(snapshot_id)
        report = {'host': self.host, 'members': []}
        if snap is not None:
            # After the phase in progress, if any: it is bounded, and the
            # dead-man timer covers the guests meanwhile.
            with snap.lock:
                if 'finalize' in snap.replies and all(
                        m['status'] == M.AVAILABLE
                        for m in snap.members.values()):
                    # Complete and thawed here: an abort may come from a
                    # coordinator acting on a stale view, and must not
                    # destroy it. The coordinator deletes what it owns by
                    # its records.
                    raise exception.AbortRefused(snapshot=snap.id,
                                                 host=self.host)
                self.tombstones.add(snap.id)
                report = self._abort(snap)
        self._save_tombstones()
        return M.moved(report, -(offset or 0.0))

    def _save_tombstones(self):
        """On disk before the abort answers: a restart refuses too."""
        try:
            self.tombstones.save()
        except OSError:
            # The abort is done all the same; only a restart forgets it.
            LOG.exception('Could not write the aborted snapshots to %s',
                          self.conf.state_path)

    def _abort(self, snap):
        self._thaw(snap)
        self._undo_hooks(snap)
        for server_id, captures in snap.captures.items():
            for capturer, capture in captures:
                for artifact in capture.artifacts:
                    try:
                        capturer.delete(artifact)
                        artifact['status'] = 'deleted'
                    except Exception:
                        LOG.exception('Snapshot %s: could not delete %s %s',
                                      snap.id, artifact['type'],
                                      artifact['id'])
        for member in snap.members.values():
            if member['status'] != M.ERROR:
                member['status'] = M.ABORTED
        return snap.report(self.host)

    def _freeze_at(self, snap, fence_at, deadline, quiesce, max_freeze_ms,
                   received_at, capture):
        """Freeze every member at fence_at (this host's clock); with
        ``capture``, each member is captured as soon as it is frozen.

        received_at: when the message that starts the freeze arrived, from
        which the coordinator reads its fan-out.
        """
        for member in snap.members.values():
            member['received_at'] = received_at
        if deadline is not None and time.time() > deadline:
            # Late (a broker outage, a redelivery): the coordinator has
            # given up on this snapshot, so nothing may be frozen for it.
            for member in snap.members.values():
                self._fail(member, 'freeze', 'the message arrived %.1f s '
                           'after its deadline; nothing was frozen' %
                           (time.time() - deadline))
            return
        members = list(snap.members.values())
        limit_ms = min(max_freeze_ms or self.conf.agent.max_freeze_ms,
                       self.conf.agent.max_freeze_ms)
        wait = max(0.0, fence_at - time.time()) if fence_at else 0.0
        # Armed before the first freeze, whatever happens next, it thaws;
        # and before T, so that neither its journal's fsync nor the
        # guard's answer delays T.
        snap.held = [m for m in members
                     if quiesce or _quiesce_reason(m)]
        try:
            snap.arming = self.deadman.arm(
                snap.id, snap.held, time.time() + wait + limit_ms / 1000.0)
        except exception.ServerFrozenByAnother as e:
            for member in members:
                self._fail(member, 'freeze', e)
            return
        snap.frozen = members
        # Also before T: the capturers' drivers and connections.
        self._capturers(snap)

        def freeze(member):
            self._freeze_member(snap, member, quiesce, limit_ms)
            if capture and member['status'] == M.FROZEN:
                self._start_capture(snap, member)
        self._at(fence_at, snap, members, freeze)

    def _at(self, instant, snap, members, work):
        """work(member) for every member at instant (None: now).

        In the process's fence clock, one member after the other, where
        the drivers do not wait on I/O; else in a thread each, started
        now so that no thread start comes after T.
        """
        drivers = [self.quiescer] + list(self._capturers(snap))
        if any(driver.blocks for driver in drivers):
            def at_instant(member):
                _sleep_until(instant)
                work(member)
            _each_at_once(members, at_instant)
        else:
            fence_clock.CLOCK.run_at(
                instant or 0.0,
                [functools.partial(work, member) for member in members])

    def _freeze_member(self, snap, member, quiesce, limit_ms):
        member['started_at'] = time.time()
        if quiesce or _quiesce_reason(member):
            refused = self.deadman.begin_freeze(snap.id, snap.arming)
            if refused == deadman.EXPIRED:
                # Too late: frozen now, it would outlive max_freeze.
                self._fail(member, 'freeze', 'not frozen: %s before its '
                           'freeze began' % refused)
                return
            if refused:
                level, reason = M.CRASH, 'not frozen: ' + refused
            else:
                try:
                    level, reason = self.quiescer.freeze(member,
                                                         limit_ms / 1000)
                finally:
                    self.deadman.end_freeze(snap.id, snap.arming, member)
        else:
            level, reason = (M.CRASH,
                             'quiesce was not asked for')
        quiesced = level != M.CRASH
        # A freeze window only for a guest that was frozen: one that was
        # not has none to report, however long its capture takes.
        member.update(consistency=level, consistency_reason=reason,
                      frozen_at=time.time() if quiesced else None,
                      status=M.FROZEN, quiesced=quiesced)
        self._hooks_level(member)
        if level == M.CRASH and _quiesce_reason(member):
            # Refused, not downgraded: the abort thaws the others.
            self._fail(member, 'freeze', 'a quiesce is required (%s) but '
                       '%s' % (_quiesce_reason(member), reason))

    def _start_capture(self, snap, member):
        """Fix the member's point in time now; _wait_fixed waits for it."""
        labels = {
            'name': 'cs-%s-%s' % (snap.id[:8], member.get('name') or
                                  member['server_id'][:8]),
            'properties': {
                capturer_base.LABEL: snap.id,
                'consistent_snap_server_id': member['server_id'],
                'consistent_snap_fence_at': '%.6f' % member['started_at'],
            },
        }
        captures = []
        snap.captures[member['server_id']] = captures
        # Not max_freeze: the dead-man timer thaws at max_freeze anyway,
        # and _thaw tells which points were fixed too late to count.
        member['fix_by'] = time.time() + self.conf.agent.fix_timeout
        try:
            for capturer in self._capturers(snap):
                try:
                    captures.append((capturer,
                                     capturer.capture(member, labels)))
                except capturer_base.PartialCapture as e:
                    captures.append((capturer, e.capture))
                    raise
                finally:
                    # Recorded as soon as made, before any wait: an
                    # abort or a reap then deletes it even if this
                    # capture, or a later one, fails.
                    member['artifacts'] = [a for _, c in captures
                                           for a in c.artifacts]
            member['captured_at'] = min(c.called_at for _, c in captures)
        except Exception as e:
            self._fail(member, 'capture', e)

    def _wait_fixed(self, snap, member):
        if member['status'] != M.FROZEN or member.get('captured_at') is None:
            return  # Failed, or never reached its capture.
        try:
            for capturer, capture in snap.captures[member['server_id']]:
                capturer.wait_fixed(capture, member['fix_by'])
            member['fixed_at'] = max(
                c.fixed_at for _, c in snap.captures[member['server_id']])
            member['status'] = M.CAPTURED
        except Exception as e:
            self._fail(member, 'capture', e)

    def _fix_then_thaw(self, snap, members):
        """Thaw once the frozen members' points are fixed.

        A member that was not frozen is waited for after the thaw: its
        capture, however slow, holds no guest frozen.
        """
        frozen = [m for m in members if m.get('frozen_at') is not None]
        unfrozen = [m for m in members if m.get('frozen_at') is None]
        for member in frozen:
            self._wait_fixed(snap, member)
        self._thaw(snap)
        for member in unfrozen:
            self._wait_fixed(snap, member)

    def _thaw(self, snap):
        frozen, snap.frozen = snap.frozen, []
        if not frozen:
            return
        if self.deadman.disarm(snap.id, snap.arming):
            # Each member's first try, all at once; a guest that did not
            # thaw is retried in the background and thawed_at stays None.
            thawed = self.deadman.thaw(snap.id, snap.held)
            for member in frozen:
                if self._maybe_frozen(member):
                    member['thawed_at'] = thawed.get(member['server_id'])
            return
        # The dead-man timer thawed them: what was fixed after that is
        # only crash-consistent, whatever the freeze achieved.
        thawed_at = self.deadman.expired_at(snap.id)
        held = {m['server_id'] for m in snap.held}
        for member in frozen:
            if member['server_id'] in held and self._maybe_frozen(member):
                member['thawed_at'] = thawed_at
            late = member.get('fixed_at') is None or (
                member['fixed_at'] > thawed_at)
            if late and member['consistency'] != M.CRASH:
                member.update(consistency=M.CRASH,
                              consistency_reason=(
                                  'point in time fixed after max_freeze '
                                  'thawed the guest'))

    def _maybe_frozen(self, member):
        """Whether a thaw of member is worth reporting.

        It was frozen, or its freeze failed in a way that may still have
        frozen it; never for a quiescer that freezes nothing.
        """
        return member.get('frozen_at') is not None or self.quiescer.freezes

    def _fail(self, member, phase, error):
        LOG.error('%s of server %s on %s failed: %s', phase,
                  member['server_id'], self.host, error)
        member.update(status=M.ERROR, error='%s failed on host %s: %s' % (
            phase, self.host, error))


def _hook_record(hook, started_at, ended_at, exitcode, passed, output):
    """What a member's hook_results keep of one hook that ran."""
    return {'name': hook['name'], 'when': hook['when'],
            'stage': hook['stage'], 'on_error': hook['on_error'],
            'started_at': started_at, 'ended_at': ended_at,
            'exitcode': exitcode, 'passed': passed,
            'output': output[:hooks.OUTPUT_MAX]}


def _sleep_until(instant):
    """Sleep until instant (epoch seconds, this host's clock), if given."""
    if instant is not None:
        delay = instant - time.time()
        if delay > 0:
            time.sleep(delay)


def _each_at_once(members, work):
    """work(member) for every member, each in a thread of its own.

    The threads start now, so that work which sleeps until an instant
    pays for no thread start after it. One member needs no thread.
    """
    if len(members) == 1:
        work(members[0])
        return
    with concurrent.futures.ThreadPoolExecutor(
            max_workers=max(1, len(members))) as pool:
        for future in [pool.submit(work, m) for m in members]:
            future.result()
