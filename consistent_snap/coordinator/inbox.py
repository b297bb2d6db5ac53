"""Where the agents' reports of a broadcast phase come back.

A phase sent to many hosts goes as one fanout message rather than a call
per host (AgentAPI.broadcast): the hosts then answer with a cast each, to
the coordinator that sent it, and the Fence waits for them here.
"""

import threading
import time

import oslo_messaging as messaging


class BroadcastFailed(Exception):
    """What a host reported instead of its members."""


class FenceInbox:
    """RPC endpoint of the coordinator: the hosts' answers, by phase."""

    target = messaging.Target(version='1.1')

    def __init__(self):
        self._arrived = threading.Condition()
        self._expected = {}

    def expect(self, snapshot_id, phase, hosts):
        """Before sending: an answer that comes first is not lost."""
        with self._arrived:
            self._expected[(snapshot_id, phase)] = (set(hosts), {})

    @messaging.expose
    def fence_report(self, context, snapshot_id, phase, host, report):
        with self._arrived:
            hosts, reports = self._expected.get((snapshot_id, phase),
                                                ((), None))
            # The first answer counts: a redelivery repeats it.
            if host in hosts and host not in reports:
                reports[host] = report
                self._arrived.notify_all()

    def wait(self, snapshot_id, phase, timeout):
        """{host: report, or the exception standing for its answer}."""
        key = (snapshot_id, phase)
        end = time.monotonic() + timeout
        with self._arrived:
            hosts, reports = self._expected[key]
            self._arrived.wait_for(lambda: len(reports) == len(hosts),
                                   max(0.0, end - time.monotonic()))
            del self._expected[key]
        results = {}
        for host in hosts:
            report = reports.get(host)
            if report is None:
                results[host] = messaging.MessagingTimeout(
                    'no answer from %s to %s' % (host, phase))
            elif 'error' in report:
                results[host] = BroadcastFailed(report['error'])
            else:
                results[host] = report
        return results
