import oslo_messaging as messaging

from consistent_snap import rpc
from consistent_snap import states


class AgentAPI:
    """Client side of the agent RPC API: one message reaches one host and
    carries every member of the snapshot on that host.

    API version history:

        1.0 - ping, prepare, capture, freeze, commit, finalize, abort
        1.1 - commit takes capture_at; fence_broadcast
        1.2 - fence_broadcast: the hosts that prepared the snapshot act;
              offsets holds only the clocks that are off
        1.3 - prepare takes trust_id
        1.4 - run_phase: a fence phase's arguments as one dict, instants on
              the coordinator's clock both ways (with the host's offset);
              fence_broadcast takes args likewise; abort takes offset
        1.5 - guest_check: a verification's checks in a restored guest
        1.6 - run_phase 'hooks' (args when, stage): the members' hooks of
              one stage; prepare checks that members with hooks can run
              them (HooksNotPossible)
    """

    RPC_API_VERSION = '1.6'

    def __init__(self, timeout=None, inbox=None, reply_to=None):
        # With an inbox (coordinator.inbox.FenceInbox served as reply_to),
        # a phase can be broadcast to every host at once.
        self.inbox = inbox
        self.reply_to = reply_to
        cap = rpc.version_cap('agent', self.RPC_API_VERSION)
        self.client = rpc.get_client(
            messaging.Target(topic=rpc.AGENT_TOPIC, version='1.0'),
            version_cap=cap, timeout=timeout)
        # Own queue and own executor on the agent: never behind other work.
        self.priority_client = rpc.get_client(
            messaging.Target(topic=rpc.AGENT_PRIORITY_TOPIC, version='1.0'),
            version_cap=cap, timeout=timeout)

    def _call(self, context, host, method, timeout=None, priority=False,
              version=None, **kwargs):
        client = self.priority_client if priority else self.client
        # timeout=None would mean the transport's default, not the client's.
        options = {'timeout': timeout} if timeout is not None else {}
        if version is not None:
            options['version'] = version
        return client.prepare(server=host, **options).call(
            context, method, **kwargs)

    def ping(self, context, host, timeout=None):
        """The agent's host name and wall clock, for health and offsets."""
        return self._call(context, host, 'ping', timeout=timeout)

    def prepare(self, context, host, snapshot_id, members, timeout,
                trust_id=None):
        """Check the members run here; answer with the agent's clock.

        With a trust, the agent also authenticates through it now, so
        that its first call after T does not wait for Keystone.
        """
        if trust_id is None:
            return self._call(context, host, 'prepare', timeout=timeout,
                              snapshot_id=snapshot_id, members=members)
        return self._call(context, host, 'prepare', timeout=timeout,
                          version='1.3', snapshot_id=snapshot_id,
                          members=members, trust_id=trust_id)

    def run_phase(self, context, host, snapshot_id, phase, args, timeout,
                  priority=False):
        """A fence phase on one host: capture, freeze, commit, finalize.

        args: members (else those of prepare), at, deadline, quiesce,
        max_freeze_ms, trust_id, and offset (the host's clock minus ours).
        Instants, in args and in the report, are on our clock: an agent of
        1.4 converts them; for an older one, this does.
        """
        if self.client.can_send_version('1.4'):
            return self._call(context, host, 'run_phase', timeout=timeout,
                              priority=priority, version='1.4',
                              snapshot_id=snapshot_id, phase=phase,
                              args=args)
        offset = args.get('offset') or 0.0
        at, deadline = (None if t is None else t + offset
                        for t in (args.get('at'), args.get('deadline')))
        if phase == 'commit':
            kwargs = {'version': '1.1', 'capture_at': at}
        elif phase == 'finalize':
            kwargs = {'deadline': deadline}
        else:
            kwargs = {'members': args['members'], 'fence_at': at,
                      'deadline': deadline, 'quiesce': args['quiesce'],
                      'max_freeze_ms': args['max_freeze_ms'],
                      'trust_id': args.get('trust_id')}
        return states.Member.moved(self._call(
            context, host, phase, timeout=timeout, priority=priority,
            snapshot_id=snapshot_id, **kwargs), -offset)

    def guest_check(self, context, host, server_id, ping_timeout_s,
                    commands):
        """Checks in a guest of host through its qemu-guest-agent.

        None if that host's agent is older than 1.5 (or capped below it).
        """
        if not self.client.can_send_version('1.5'):
            return None
        timeout = ping_timeout_s + sum(c['timeout_s'] + 10 for c in commands)
        return self._call(context, host, 'guest_check', timeout=timeout,
                          version='1.5', server_id=server_id,
                          ping_timeout_s=ping_timeout_s, commands=commands)

    def abort(self, context, host, snapshot_id, timeout, offset=0.0):
        """Thaw, and delete what this host made for the snapshot.

        offset: the host's clock minus ours; the report's instants are on
        our clock.
        """
        if self.client.can_send_version('1.4'):
            return self._call(context, host, 'abort', timeout=timeout,
                              version='1.4', snapshot_id=snapshot_id,
                              offset=offset)
        return states.Member.moved(self._call(
            context, host, 'abort', timeout=timeout,
            snapshot_id=snapshot_id), -offset)

    def broadcast(self, context, phase, snapshot_id, hosts, offsets, args,
                  timeout):
        """One message for every host of a prepared snapshot at once.

        phase: 'ping', or a phase of run_phase; hosts: the snapshot's,
        whose answers are awaited (a host knows the message is for it from
        prepare, so it is not sent: the message's size does not grow with
        the hosts); offsets: {host: its clock minus ours}, where not 0;
        args: as run_phase's, without members or offset, instants on our
        clock, as in the reports. Each host answers with a cast to the
        inbox: {host: report or exception}, as the per-host calls give.
        """
        self.inbox.expect(snapshot_id, phase, hosts)
        new = self.client.can_send_version('1.4')
        sent = {'args': args} if new else {
            'at': args.get('at'), 'deadline': args.get('deadline'),
            'quiesce': args.get('quiesce'),
            'max_freeze_ms': args.get('max_freeze_ms'),
            'trust_id': args.get('trust_id')}
        self.client.prepare(fanout=True, version='1.4' if new else '1.2').cast(
            context, 'fence_broadcast', snapshot_id=snapshot_id, phase=phase,
            offsets=offsets, reply_to=self.reply_to, **sent)
        answers = self.inbox.wait(snapshot_id, phase, timeout)
        if new:
            return answers
        # An agent before 1.4 reports on its own clock.
        return {host: answer if isinstance(answer, Exception) else
                states.Member.moved(answer, -offsets.get(host, 0.0))
                for host, answer in answers.items()}
