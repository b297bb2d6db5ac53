"""One group snapshot, driven from pending to available or error.

The coordinator decides, the agents work: one message per host per phase,
sent to every host at once; all or nothing at the end.
"""

import collections
import concurrent.futures
import time

from oslo_log import log as logging
import oslo_messaging as messaging

from consistent_snap import clients
from consistent_snap.coordinator import fence
from consistent_snap.db import api as db_api
from consistent_snap import exception
from consistent_snap import members as app_members
from consistent_snap import rpc
from consistent_snap import states

LOG = logging.getLogger(__name__)
MODES = ('shared_start', 'priority', 'barrier')


class Failed(Exception):
    """Ends the snapshot in error with this message."""


def _payload(member, include_volumes):
    """What an agent needs of a member: never the whole server."""
    return {'server_id': member['server_id'], 'name': member['name'],
            'volume_backed': member['volume_backed'],
            'volumes': member['volumes'] if include_volumes else []}


class GroupSnapshotRun:
    def __init__(self, conf, agents, notifier, context, snapshot_id):
        self.conf = conf
        self.agents = agents
        self.notifier = notifier
        self.context = context
        self.id = snapshot_id
        self.offsets = {}

    # ---- bookkeeping
    def _move(self, status, expected=None, **values):
        self.snapshot = db_api.group_snapshot_update(
            self.context, self.id, dict(values, status=status),
            expected=expected)

    def _record(self, host, report):
        """Agent instants -> coordinator clock, then into the database."""
        offset = self.offsets.get(host, 0.0)
        rows = []
        for member in report['members']:
            row = dict(member)
            for key in ('received_at', 'started_at', 'frozen_at',
                        'captured_at', 'fixed_at', 'thawed_at'):
                if row.get(key) is not None:
                    row[key] -= offset
            rows.append(row)
        db_api.member_snapshots_update(self.context, self.id, rows)
        return rows

    def _fanout(self, hosts, call):
        """call(host) on every host at once: {host: result or exception}."""
        results = {}
        workers = min(len(hosts), self.conf.coordinator.fanout_workers) or 1
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            futures = {pool.submit(call, host): host for host in hosts}
            for future in concurrent.futures.as_completed(futures):
                host = futures[future]
                try:
                    results[host] = future.result()
                except Exception as e:
                    results[host] = e
        return results

    def _raise_first_error(self, phase, results):
        for host in sorted(results):
            error = results[host]
            if isinstance(error, messaging.MessagingTimeout):
                raise Failed('Host %s did not answer %s in time: is '
                             'consistent-snap-agent running there?' %
                             (host, phase))
            if isinstance(error, Exception):
                raise Failed('%s failed on host %s: %s' % (
                    phase, host, rpc.remote_message(error)))
        for host in sorted(results):
            for member in results[host]['members']:
                if member.get('status') == 'error':
                    raise Failed('Server %s on host %s: %s' % (
                        member['server_id'], host, member.get('error')))

    # ---- the phases
    def _resolve(self):
        snap = self.snapshot
        conn = clients.service_connection(self.conf)
        if snap['app_group_id']:
            group = db_api.app_group_get(self.context, snap['app_group_id'])
        else:
            group = {'id': None, 'name': 'servers', 'project_id':
                     snap['project_id'], 'source_type': 'servers',
                     'source_ref': {'servers': snap['servers']}}
        resolved = app_members.resolve(self.conf, conn, group,
                                       show_host=True)
        if resolved['missing']:
            raise Failed('Server(s) %s named by %s no longer exist' % (
                ', '.join(resolved['missing']), group['name']))
        if not resolved['members']:
            raise Failed(str(exception.EmptyAppGroup(name=group['name'])))
        broken = ['%s (%s)' % (m['name'], m['server_id'])
                  for m in resolved['members'] if m['status'] == 'ERROR']
        if broken:
            raise Failed(str(exception.UnhealthyMembers(
                servers=', '.join(broken))))
        return resolved['members']

    def _prepare(self, by_host):
        timeout = self.conf.coordinator.prepare_timeout
        probes = {}

        def prepare(host):
            return self.agents.prepare(self.context, host, self.id,
                                       by_host[host], timeout=timeout)
        results = self._fanout(list(by_host), prepare)
        self._check_prepared(results, timeout)
        # Clocks are read on ping round trips, which do no other work:
        # the best of a few gives the tightest offset.
        for _ in range(self.conf.coordinator.clock_probes):
            self._fanout(list(by_host), self._probe(probes, timeout))
        self.offsets = {h: p.offset for h, p in probes.items()}
        return list(probes.values())

    def _probe(self, probes, timeout):
        def ping(host):
            sent_at = time.time()
            reply = self.agents.ping(self.context, host, timeout=timeout)
            probe = fence.Probe(host, sent_at, time.time(), reply['time'])
            if host not in probes or probe.rtt < probes[host].rtt:
                probes[host] = probe
        return ping

    def _check_prepared(self, results, timeout):
        for host, result in sorted(results.items()):
            if isinstance(result, messaging.MessagingTimeout):
                raise Failed('Host %s did not answer prepare within %.0f s: '
                             'is consistent-snap-agent running there? '
                             'Nothing was frozen.' % (host, timeout))
            if isinstance(result, Exception):
                raise Failed('Prepare failed on host %s: %s' % (
                    host, rpc.remote_message(result)))

    def _fence_at(self, probes):
        lead = fence.lead_seconds(probes,
                                  self.conf.coordinator.lead_rtt_factor,
                                  self.conf.coordinator.lead_margin_ms)
        return time.time() + lead

    def _capture(self, by_host, fence_at, priority=False):
        snap = self.snapshot
        lead = max(0.0, (fence_at or time.time()) - time.time())
        timeout = lead + self.conf.coordinator.capture_timeout

        def capture(host):
            local_t = None if fence_at is None else (
                fence_at + self.offsets.get(host, 0.0))
            return self.agents.capture(
                self.context, host, self.id, by_host[host], local_t,
                snap['quiesce'], self.conf.agent.max_freeze_ms,
                timeout=timeout, priority=priority)
        return self._fanout(list(by_host), capture)

    def _barrier(self, by_host, fence_at):
        snap = self.snapshot
        lead = max(0.0, fence_at - time.time())
        timeout = lead + self.conf.coordinator.capture_timeout

        def freeze(host):
            return self.agents.freeze(
                self.context, host, self.id, by_host[host],
                fence_at + self.offsets.get(host, 0.0), snap['quiesce'],
                self.conf.agent.max_freeze_ms, timeout=timeout)
        frozen = self._fanout(list(by_host), freeze)
        for host, report in frozen.items():
            if not isinstance(report, Exception):
                self._record(host, report)
        # Only when every member on every host is frozen: commit.
        self._raise_first_error('freeze', frozen)
        self._move(states.CAPTURING)

        def commit(host):
            return self.agents.commit(self.context, host, self.id,
                                      timeout=timeout)
        return self._fanout(list(by_host), commit)

    def _finalize(self, hosts):
        timeout = self.conf.coordinator.finalize_timeout

        def finalize(host):
            deadline = time.time() + timeout + self.offsets.get(host, 0.0)
            return self.agents.finalize(self.context, host, self.id,
                                        deadline, timeout=timeout + 30)
        return self._fanout(hosts, finalize)

    def _abort(self, hosts):
        def abort(host):
            return self.agents.abort(self.context, host, self.id,
                                     timeout=self.conf.coordinator.
                                     prepare_timeout * 3)
        for host, result in self._fanout(hosts, abort).items():
            if isinstance(result, Exception):
                # The agent's dead-man timer still thaws its guests.
                LOG.error('Snapshot %s: abort on host %s failed: %s',
                          self.id, host, result)
            else:
                self._record(host, result)

    def _summary(self, rows):
        freezes = [fence.window_ms(r['frozen_at'], r['thawed_at'])
                   for r in rows]
        uncertain = [fence.window_ms(r['captured_at'], r['fixed_at'])
                     for r in rows]
        return {
            'skew_ms': fence.skew_ms([r['captured_at'] for r in rows]),
            'uncertainty_ms': max((u for u in uncertain if u is not None),
                                  default=None),
            'max_freeze_ms': max((f for f in freezes if f is not None),
                                 default=None),
            'consistency': fence.consistency(r['consistency'] for r in rows),
        }

    # ---- the whole run
    def run(self):
        try:
            self._move(states.FENCING, expected=(states.PENDING,))
        except exception.InvalidState:
            LOG.info('Group snapshot %s is already being driven', self.id)
            return
        self._notify('start')
        hosts = []
        try:
            resolved = self._resolve()
            include_volumes = self.snapshot['include_volumes']
            db_api.member_snapshots_create(self.context, self.id, [
                {'server_id': m['server_id'], 'server_name': m['name'],
                 'server_status': m['status'], 'host': m['host'],
                 'host_id': m['host_id'], 'status': 'pending'}
                for m in resolved])
            by_host = collections.defaultdict(list)
            for member in resolved:
                by_host[member['host']].append(
                    _payload(member, include_volumes))
            hosts = sorted(by_host)
            results = self._fence(by_host)
            rows = [row for host, report in results.items()
                    for row in self._record(host, report)]
            self._move(states.FINALIZING, **self._summary(rows))
            final = self._finalize(hosts)
            for host, report in final.items():
                if not isinstance(report, Exception):
                    self._record(host, report)
            self._raise_first_error('finalize', final)
            self._move(states.AVAILABLE)
            LOG.info('Group snapshot %s available: %d members on %d hosts, '
                     'skew %.3f ms', self.id, len(rows), len(hosts),
                     self.snapshot['skew_ms'] or 0.0)
            self._notify('end')
        except Exception as e:
            message = str(e) if isinstance(e, Failed) else (
                'unexpected error: %s' % e)
            LOG.error('Group snapshot %s failed: %s', self.id, message)
            if not isinstance(e, Failed):
                LOG.exception('Group snapshot %s', self.id)
            self._abort(hosts)
            self._move(states.ERROR, error=message)
            self._notify('error')

    def _fence(self, by_host):
        snap = self.snapshot
        if not snap['consistent']:
            # Not fenced: each host captures as soon as it can.
            self._move(states.CAPTURING)
            results = self._capture(by_host, None)
        else:
            probes = self._prepare(by_host)
            mode = snap['mode']
            fence_at = None if mode == 'priority' else self._fence_at(probes)
            self._move(states.FENCING, fence_at=fence_at)
            if mode == 'barrier':
                results = self._barrier(by_host, fence_at)
            else:
                self._move(states.CAPTURING)
                results = self._capture(by_host, fence_at,
                                        priority=(mode == 'priority'))
        self._raise_first_error('capture', results)
        return results

    def _notify(self, event):
        snap = self.snapshot
        self.notifier.info(self.context, 'group_snapshot.create.%s' % event,
                           {k: snap.get(k) for k in (
                               'id', 'app_group_id', 'project_id', 'status',
                               'mode', 'consistent', 'fence_at', 'skew_ms',
                               'max_freeze_ms', 'consistency', 'error')})
