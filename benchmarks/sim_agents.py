"""Many simulated compute hosts in one process, for bench_scale.py only.

    python benchmarks/sim_agents.py --config-file F --hosts bench-1 bench-2

Each host name gets what a consistent-snap-agent gives its host: its own
AgentManager (fake capturer, none quiescer, no Nova check) served by real
oslo.messaging RPC servers on the agent topic and, unless told not to, the
priority topic, with ``server=`` the host name. A thousand agent processes
do not fit 2 CPUs; a thousand RPC servers in twenty processes do.

Two benchmark-only additions, beside the production endpoint:

* a clock offset per host, set over RPC (``bench_set_offset``): the host's
  manager sees "its" clock as the true clock + offset, in ping replies, in
  the instants it reports and in a phase's at/deadline, which it waits for
  on its own clock. Production code is untouched: a subclass shifts what
  its phase dispatcher takes and gives.
* a Freezer-like poller per host: every ``--poll-interval`` seconds, at a
  phase of its own, the host looks at a board file; a request it has not
  seen starts a capture there and then, with no fence instant.
  ``bench_poll_report`` answers once that capture is done.
"""

import argparse
import heapq
import json
import os
import random
import signal
import sys
import threading
import time

import oslo_messaging as messaging

from consistent_snap.agent import manager as agent_manager
from consistent_snap.capturers import fake
from consistent_snap import conf as cs_conf
from consistent_snap import rpc
from consistent_snap import states

CONF = cs_conf.CONF


def _back(instant, offset):
    return None if instant is None else instant - offset


class OffsetAgent(agent_manager.AgentManager):
    """An agent whose wall clock reads true time + ``offset``."""

    offset = 0.0

    @messaging.expose
    def ping(self, context):
        reply = super().ping(context)
        return dict(reply, time=reply['time'] + self.offset)

    def _dispatch(self, snapshot_id, phase, args):
        # Every phase's instants are on this host's clock here: waiting
        # for them on the true clock means waiting for them minus the
        # offset; what it reports reads this host's clock.
        offset = self.offset
        report = super()._dispatch(snapshot_id, phase, dict(
            args, at=_back(args.get('at'), offset),
            deadline=_back(args.get('deadline'), offset)))
        return states.Member.moved(report, offset)

    @messaging.expose
    def abort(self, context, snapshot_id, offset=0.0):
        return states.Member.moved(super().abort(context, snapshot_id),
                                   self.offset - (offset or 0.0))


class BenchEndpoint:
    """The benchmark's own calls to a simulated host."""

    target = messaging.Target(version='1.0')

    def __init__(self, agent, poller):
        self.agent = agent
        self.poller = poller

    @messaging.expose
    def bench_set_offset(self, context, offset):
        self.agent.offset = offset
        return {'host': self.agent.host, 'offset': offset}

    @messaging.expose
    def bench_poll_report(self, context, snapshot_id, timeout):
        return self.poller.report(self.agent.host, snapshot_id, timeout)


class Poller:
    """One thread plays every host's independent poll loop.

    Host h polls at phase_h + k * interval (phase_h fixed, uniform in
    [0, interval)), as jobs started at unrelated times would.
    """

    def __init__(self, board, interval, agents):
        self.board = board
        self.interval = interval
        self.agents = agents
        self.seen = {}
        self.done = {}
        self.cond = threading.Condition()
        self.stopped = False
        self._mtime = None
        self._request = None

    def _read(self):
        try:
            mtime = os.stat(self.board).st_mtime_ns
        except FileNotFoundError:
            return None
        if mtime != self._mtime:
            with open(self.board) as f:
                self._request = json.load(f)
            self._mtime = mtime
        return self._request

    def run(self):
        now = time.time()
        heap = []
        for host in self.agents:
            phase = random.Random('poll-' + host).uniform(0, self.interval)
            ahead = (phase - now) % self.interval
            heap.append((now + ahead, host))
        heapq.heapify(heap)
        while not self.stopped:
            at, host = heap[0]
            delay = at - time.time()
            if delay > 0:
                time.sleep(min(delay, 0.5))
                continue
            heapq.heapreplace(heap, (at + self.interval, host))
            request = self._read()
            if not request or self.seen.get(host) == request['id']:
                continue
            members = request['by_host'].get(host)
            self.seen[host] = request['id']
            if members is not None:
                threading.Thread(target=self._capture,
                                 args=(host, request['id'], members),
                                 daemon=True).start()

    def _capture(self, host, snapshot_id, members):
        agent = self.agents[host]
        try:
            report = agent.capture(None, snapshot_id, members, None, None,
                                   True, CONF.agent.max_freeze_ms)
        except Exception as e:
            report = {'host': host, 'members': [], 'error': str(e)}
        with self.cond:
            self.done[(host, snapshot_id)] = report
            self.cond.notify_all()

    def report(self, host, snapshot_id, timeout):
        with self.cond:
            self.cond.wait_for(lambda: (host, snapshot_id) in self.done,
                               timeout)
            return self.done.pop((host, snapshot_id), None)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--config-file', required=True)
    parser.add_argument('--hosts', nargs='+', required=True)
    parser.add_argument('--board', required=True)
    parser.add_argument('--poll-interval', type=float, default=1.0)
    parser.add_argument('--no-priority', action='store_true',
                        help='serve the agent topic only (half the '
                             'connections)')
    args = parser.parse_args()
    CONF([], project='consistent_snap',
         default_config_files=[args.config_file])
    rpc.init(CONF)
    capturer = fake.FakeCapturer(CONF, None)
    agents = {host: OffsetAgent(CONF, host, capturers=[capturer])
              for host in args.hosts}
    poller = Poller(args.board, args.poll_interval, agents)
    topics = [rpc.AGENT_TOPIC]
    if not args.no_priority:
        topics.append(rpc.AGENT_PRIORITY_TOPIC)
    servers = []
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    for host, agent in agents.items():
        agent.start()
        endpoint = BenchEndpoint(agent, poller)
        for topic in topics:
            server = rpc.get_server(
                messaging.Target(topic=topic, server=host),
                [agent, endpoint])
            server.start()
            servers.append(server)
            if stop.is_set():
                break
    threading.Thread(target=poller.run, daemon=True).start()
    print('ready %d hosts, %d rpc servers' % (len(agents), len(servers)),
          flush=True)
    stop.wait()
    poller.stopped = True
    for server in servers:
        server.stop()
    for server in servers:
        server.wait()
    rpc.cleanup()
    return 0


if __name__ == '__main__':
    sys.exit(main())
