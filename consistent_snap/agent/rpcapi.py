import oslo_messaging as messaging

from consistent_snap import rpc


class AgentAPI:
    """Client side of the agent RPC API: one message reaches one host and
    carries every member of the snapshot on that host.

    API version history:

        1.0 - ping, prepare, capture, freeze, commit, finalize, abort
        1.1 - commit takes capture_at; fence_broadcast
        1.2 - fence_broadcast: the hosts that prepared the snapshot act;
              offsets holds only the clocks that are off
        1.3 - prepare takes trust_id
    """

    RPC_API_VERSION = '1.3'

    def __init__(self, timeout=None, inbox=None, reply_to=None):
        # With an inbox (coordinator.inbox.FenceInbox served as reply_to),
        # a phase can be broadcast to every host at once.
        self.inbox = inbox
        self.reply_to = reply_to
        self.client = rpc.get_client(
            messaging.Target(topic=rpc.AGENT_TOPIC, version='1.0'),
            version_cap=self.RPC_API_VERSION, timeout=timeout)
        # Own queue and own executor on the agent: never behind other work.
        self.priority_client = rpc.get_client(
            messaging.Target(topic=rpc.AGENT_PRIORITY_TOPIC, version='1.0'),
            version_cap=self.RPC_API_VERSION, timeout=timeout)

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

    def capture(self, context, host, snapshot_id, members, fence_at,
                deadline, quiesce, max_freeze_ms, timeout, priority=False,
                trust_id=None):
        """Freeze at fence_at (agent clock; None: now), capture, thaw.

        Returns once every member's point in time is fixed. A message that
        arrives after ``deadline`` (agent clock) freezes nothing. With a
        trust, artifacts are made as the user who asked, in their project.
        """
        return self._call(context, host, 'capture', timeout=timeout,
                          priority=priority, snapshot_id=snapshot_id,
                          members=members, fence_at=fence_at,
                          deadline=deadline, quiesce=quiesce,
                          max_freeze_ms=max_freeze_ms, trust_id=trust_id)

    def freeze(self, context, host, snapshot_id, members, fence_at,
               deadline, quiesce, max_freeze_ms, timeout, trust_id=None):
        """Barrier phase 2: freeze every member at fence_at, then answer."""
        return self._call(context, host, 'freeze', timeout=timeout,
                          snapshot_id=snapshot_id, members=members,
                          fence_at=fence_at, deadline=deadline,
                          quiesce=quiesce, max_freeze_ms=max_freeze_ms,
                          trust_id=trust_id)

    def commit(self, context, host, snapshot_id, capture_at, timeout):
        """Barrier phase 3: capture the frozen members, then thaw.

        capture_at: when, on the agent's clock; None: now.
        """
        return self._call(context, host, 'commit', timeout=timeout,
                          version='1.1', snapshot_id=snapshot_id,
                          capture_at=capture_at)

    def finalize(self, context, host, snapshot_id, deadline, timeout):
        """Wait, thawed, until every artifact is available.

        deadline: epoch seconds on the agent's clock.
        """
        return self._call(context, host, 'finalize', timeout=timeout,
                          snapshot_id=snapshot_id, deadline=deadline)

    def abort(self, context, host, snapshot_id, timeout):
        """Thaw, and delete what this host made for the snapshot."""
        return self._call(context, host, 'abort', timeout=timeout,
                          snapshot_id=snapshot_id)

    def broadcast(self, context, phase, snapshot_id, hosts, offsets, at,
                  deadline, quiesce, max_freeze_ms, timeout, trust_id=None):
        """One message for every host of a prepared snapshot at once.

        phase: 'ping', 'capture', 'freeze' or 'commit'; hosts: the
        snapshot's, whose answers are awaited (a host knows the message is
        for it from prepare, so it is not sent: the message's size does not
        grow with the hosts); offsets: {host: its clock minus ours}, where
        not 0; at, deadline: our clock. Each host answers with a cast to
        the inbox: {host: report or exception}, as the per-host calls give.
        """
        self.inbox.expect(snapshot_id, phase, hosts)
        self.client.prepare(fanout=True, version='1.2').cast(
            context, 'fence_broadcast', snapshot_id=snapshot_id, phase=phase,
            offsets=offsets, at=at, deadline=deadline, quiesce=quiesce,
            max_freeze_ms=max_freeze_ms, trust_id=trust_id,
            reply_to=self.reply_to)
        return self.inbox.wait(snapshot_id, phase, timeout)
