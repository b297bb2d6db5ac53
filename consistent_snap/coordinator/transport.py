"""How a fence phase reaches the hosts: a call each, or one broadcast.

Chosen once per snapshot (Fence.prepare), then used for every phase with
one method: run(phase, args, timeout) -> {host: report or exception}.
Instants go and come back on the coordinator's clock; each host's offset
travels with them and the agent converts.
"""

import concurrent.futures


def fanout(call, hosts, workers, meanwhile=None):
    """call(host) on every host at once: {host: result or exception}.

    workers: threads; a phase whose calls block until T needs one per
    host, or the hosts beyond the first workers would get their message
    after T. meanwhile: (interval, check): check(hosts not answered yet)
    every interval seconds of the wait. What it raises is raised at once;
    the calls still out end by their own timeouts.
    """
    workers = min(len(hosts), workers) or 1
    interval, check = meanwhile or (None, None)
    pool = concurrent.futures.ThreadPoolExecutor(workers)
    futures = {pool.submit(call, host): host for host in hosts}
    pool.shutdown(wait=False)
    pending = set(futures)
    while pending:
        _, pending = concurrent.futures.wait(pending, timeout=interval)
        if pending:
            check({futures[f] for f in pending})
    results = {}
    for future, host in futures.items():
        try:
            results[host] = future.result()
        except Exception as e:
            results[host] = e
    return results


class Calls:
    """A call per host, each in a thread of its own (they block until T).

    The only way before prepare (an unfenced capture), for the priority
    topic, and for finalize, which waits long and is given fewer threads.
    """

    def __init__(self, fence, priority=False):
        self.fence = fence
        self.priority = priority

    def run(self, phase, args, timeout, workers=None, meanwhile=None):
        fence = self.fence

        def call(host):
            return fence.agents.run_phase(
                fence.context, host, fence.id, phase,
                dict(args, members=fence.by_host[host],
                     offset=fence.offsets.get(host, 0.0)),
                timeout=timeout, priority=self.priority)
        return fanout(call, fence.hosts, workers or len(fence.hosts),
                      meanwhile)


class Broadcast:
    """One fanout message for every host of a prepared snapshot.

    Each host knows its members from prepare, and answers with a cast to
    the coordinator's inbox (coordinator/inbox.py).
    """

    def __init__(self, fence):
        self.fence = fence

    def run(self, phase, args, timeout):
        fence = self.fence
        offsets = {host: offset for host, offset in fence.offsets.items()
                   if offset}
        return fence.agents.broadcast(fence.context, phase, fence.id,
                                      fence.hosts, offsets, args, timeout)
