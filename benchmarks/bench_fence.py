"""How tight is the fence? Skew, fan-out, end-to-end time and freeze window.

Run with the project's venv, the test cloud's RabbitMQ up
(``bash tests/cloud/up.sh``)::

    .venv/bin/python benchmarks/bench_fence.py --hosts 3 8 --rounds 20 \\
        --members-per-host 2

It starts one real consistent-snap-agent process per simulated compute host
(host names bench-1..N, fake capturer, none quiescer, no Nova check), drives
consistent_snap.coordinator.fence.Fence in this process as the coordinator
would, over the real broker, and stops its agents at the end whatever
happens. For every host count N it runs, interleaved round by round:

    sequential     baseline: one host after another, each host's capture
                   waited for before the next is sent (fence_at None)
    uncoordinated  baseline: Fence.capture(consistent=False): every host at
                   once, no prepare, no fence instant
    shared_start   prepare, clock probes, one instant T for every host
    priority       prepare, clock probes, capture now on the priority topic
    barrier        prepare, clock probes, freeze at T on every host, then
                   commit

benchmarks/README.md says what each figure means. Results go to stdout and
to benchmarks/results/fence-<timestamp>.json. Nothing here asserts on times.
"""

import argparse
import collections
import concurrent.futures
import datetime
import json
import os
import pathlib
import platform
import signal
import socket
import sys
import threading
import time
import urllib.parse
import uuid

import oslo_messaging as messaging

from consistent_snap.agent import rpcapi as agent_rpcapi
from consistent_snap import conf as cs_conf
from consistent_snap import context as cs_context
from consistent_snap.coordinator import fence as cs_fence
from consistent_snap import rpc
from consistent_snap import states

ROOT = pathlib.Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / 'benchmarks' / 'results'
sys.path.insert(0, str(ROOT / 'tests' / 'cloud'))
import plugin as cloud_plugin  # noqa: E402
import stats  # noqa: E402

CONF = cs_conf.CONF
BASELINES = ('sequential', 'uncoordinated')
VARIANTS = BASELINES + states.MODES
INSTANTS = states.Member.INSTANTS
METRICS = ('skew_ms', 'fanout_ms', 'e2e_ms', 'freeze_ms')
AGENT_PREFIX = 'bench-agent-'
HOST_PREFIX = 'bench-'
# A dead agent costs one round this long, not the 30 minutes of the
# production finalize_timeout: the run stays bounded.
RPC_TIMEOUT = 30.0
# A variant that failed this many rounds is not worth more rounds.
MAX_ERRORS = 3


class BenchError(Exception):
    """Stops the benchmark with a message for the user, no traceback."""


# Machine and broker


def machine():
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = None
    return {
        'nproc': os.cpu_count(),
        'cpus_usable': affinity,
        'load_average': [round(x, 2) for x in os.getloadavg()],
        'python': '%s %s' % (platform.python_implementation(),
                             platform.python_version()),
        'platform': platform.platform(),
        'oslo.messaging': _version('oslo.messaging'),
    }


def _version(distribution):
    from importlib import metadata
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def masked_url(url):
    parts = urllib.parse.urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(':%s@' % parts.password, ':***@')
        parts = parts._replace(netloc=netloc)
    return urllib.parse.urlunsplit(parts)


def check_broker(url):
    """Fail fast and clearly: oslo.messaging would retry for ever."""
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname, parts.port or 5672
    try:
        with socket.create_connection((host, port), timeout=3):
            pass
    except OSError as e:
        raise BenchError(
            'RabbitMQ is not reachable at %s:%s (%s).\n'
            'Start the test cloud first:  bash tests/cloud/up.sh\n'
            'and check it with:           bash tests/cloud/up.sh status'
            % (host, port, e))


# Agents as processes


def agent_name(index):
    return '%s%d' % (AGENT_PREFIX, index)


def host_name(index):
    return '%s%d' % (HOST_PREFIX, index)


def _log_tail(name, chars=2000):
    path = cloud_plugin.CS_DIR / 'log' / ('%s.log' % name)
    try:
        return path.read_text(errors='replace')[-chars:]
    except FileNotFoundError:
        return '(no log at %s)' % path


def start_agents(indexes):
    """One consistent-snap-agent process per simulated host."""
    binary = cloud_plugin.BIN / 'consistent-snap-agent'
    if not binary.exists():
        raise BenchError('%s not found: run this with the project venv, '
                         '.venv/bin/python benchmarks/bench_fence.py'
                         % binary)
    for index in indexes:
        name = agent_name(index)
        # A bench agent left by a killed earlier run would keep its old
        # options: ours by name, so replace it.
        cloud_plugin.stop(name)
        conf = cloud_plugin.write_config(
            name='%s.conf' % name,
            extra='[DEFAULT]\nhost = %s\n'
                  '[agent]\ncapturers = fake\ncheck_host = false\n'
                  'quiescer = none\n' % host_name(index))
        cloud_plugin.start(name, [str(binary), '--config-file', str(conf)])
        _reap(name)


def _reap(name):
    """Wait for the agent in a thread, so its exit is seen at once.

    plugin.start makes each agent a child of this process and nobody waits
    for it: an agent that exited would stay a zombie, which plugin.alive
    and plugin.stop's kill(pid, 0) take for alive (stop would then wait
    its whole 15 s timeout).
    """
    pid = int((cloud_plugin.CS_DIR / 'run' / ('%s.pid' % name)).read_text())

    def wait():
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass  # Not our child: an agent of an earlier run.
    threading.Thread(target=wait, name='reap-%s' % name, daemon=True).start()


def count_processes(names):
    """OS processes in the agents' process groups (master and workers)."""
    groups = set()
    for name in names:
        try:
            groups.add(int((cloud_plugin.CS_DIR / 'run' /
                            ('%s.pid' % name)).read_text()))
        except (FileNotFoundError, ValueError):
            pass
    count = 0
    for stat in pathlib.Path('/proc').glob('[0-9]*/stat'):
        try:
            # pgrp is the 3rd field after the ")" closing the command name.
            fields = stat.read_text().rsplit(')', 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != 'Z' and int(fields[2]) in groups:
            count += 1
    return count


def wait_answering(ctx, indexes, timeout=90.0):
    """Ping with a short timeout until each agent answers as its host.

    A message to a server whose queue does not exist yet is dropped.
    """
    pinger = agent_rpcapi.AgentAPI(timeout=1)
    deadline = time.monotonic() + timeout
    for index in indexes:
        name, host = agent_name(index), host_name(index)
        while True:
            try:
                reply = pinger.ping(ctx, host)
            except messaging.MessagingTimeout:
                if not cloud_plugin.alive(name):
                    raise BenchError('Agent %s exited; its log ends:\n%s'
                                     % (name, _log_tail(name)))
                if time.monotonic() > deadline:
                    raise BenchError(
                        'Agent %s did not answer ping as %s within %.0f s; '
                        'its log ends:\n%s' % (name, host, timeout,
                                               _log_tail(name)))
                continue
            if reply.get('host') != host:
                raise BenchError('Server %s answered as %r' % (
                    host, reply.get('host')))
            break


# One round


def _fanout(hosts, call):
    # Same shape as Fence._fanout: every host at once, one thread each.
    with concurrent.futures.ThreadPoolExecutor(len(hosts)) as pool:
        return dict(zip(hosts, pool.map(call, hosts)))


def probe_offsets(agents, ctx, hosts):
    """Clock offsets measured as Fence.prepare measures them.

    clock_probes parallel pings per host, reduced by the Fence's own
    fence.clock_offset, for the baselines, which send no prepare; done
    before the round's timer.
    """
    probes = collections.defaultdict(list)
    timeout = CONF.coordinator.prepare_timeout

    def ping(host):
        sent_at = time.time()
        reply = agents.ping(ctx, host, timeout=timeout)
        return cs_fence.Probe(host, sent_at, time.time(), reply['time'])
    for _ in range(CONF.coordinator.clock_probes):
        for host, probe in _fanout(hosts, ping).items():
            probes[host].append(probe)
    return {host: cs_fence.clock_offset(found)
            for host, found in probes.items()}


def capture_sequentially(fence):
    """Baseline: one host's capture answered before the next is sent.

    As a script looping over the hosts would do it.
    """
    results = {}
    timeout = CONF.coordinator.capture_timeout
    for host in fence.hosts:
        # The same deadline as Fence gives a capture with no fence instant.
        results[host] = fence.agents.run_phase(
            fence.context, host, fence.id, 'capture', {
                'members': fence.by_host[host], 'at': None,
                'deadline': time.time() + timeout, 'quiesce': fence.quiesce,
                'max_freeze_ms': CONF.agent.max_freeze_ms,
                'offset': fence.offsets.get(host, 0.0)}, timeout=timeout)
    for host in sorted(results):
        for member in results[host]['members']:
            if member.get('status') == 'error':
                raise cs_fence.Failed('Server %s on host %s: %s' % (
                    member['server_id'], host, member.get('error')))
    return results


def _ms(seconds):
    return None if seconds is None else seconds * 1000.0


def round_metrics(variant, fence, results, phases, sent_at, elapsed):
    """Figures of one round, every instant on the coordinator's clock."""
    # Reports come on the coordinator's clock; raw: as the hosts read it.
    local, raw = [], []
    for host, report in results.items():
        offset = fence.offsets.get(host, 0.0)
        for member in report['members']:
            local.append(member)
            raw.append({k: (None if member.get(k) is None
                            else member[k] + offset) for k in INSTANTS})
    started = [m['started_at'] for m in local if m['started_at']]
    last_start = max(started) if started else None
    freezes = [cs_fence.window_ms(m['frozen_at'], m['thawed_at'])
               for m in local]
    figures = {
        'members': len(local),
        'skew_ms': cs_fence.skew_ms([m['captured_at'] for m in local]),
        # All agents share this machine's clock: with no offset applied,
        # the spread is the true one, and the difference from skew_ms is
        # the error of the offsets the coordinator estimated.
        'true_skew_ms': cs_fence.skew_ms([m['captured_at'] for m in raw]),
        'start_skew_ms': cs_fence.skew_ms([m['started_at'] for m in local]),
        # Every true offset is 0 here (one machine, one clock): the spread
        # of the estimated ones is pure estimation error, added to the
        # true skew and invisible on the coordinator's clock.
        'offset_spread_ms': cs_fence.skew_ms(list(fence.offsets.values())),
        'fanout_ms': _ms(last_start - sent_at) if last_start else None,
        'e2e_ms': _ms(elapsed),
        'freeze_ms': max((f for f in freezes if f is not None),
                         default=None),
        'lead_ms': None,
        'late_ms': None,
        'commit_fanout_ms': None,
        # How long every member was frozen at the same time (negative: no
        # instant had them all frozen). The barrier is built to make it
        # positive; with a real quiescer that common instant is the
        # consistent point, whatever the spread of captured_at.
        'all_frozen_ms': _ms(
            min(m['thawed_at'] for m in local) -
            max(m['frozen_at'] for m in local))
        if all(m['thawed_at'] and m['frozen_at'] for m in local) else None,
    }
    if fence.fence_at is not None and last_start is not None:
        figures['lead_ms'] = _ms(fence.fence_at - sent_at)
        figures['late_ms'] = _ms(last_start - fence.fence_at)
    if variant == 'barrier' and 'capturing' in phases:
        # The barrier announces capturing as it sends the commit, whose
        # arrival (not T) is when each host captures.
        captured = [m['captured_at'] for m in local if m['captured_at']]
        if captured:
            figures['commit_fanout_ms'] = _ms(max(captured) -
                                              phases['capturing'])
    return figures


def run_round(agents, ctx, by_host, variant):
    phases = {}

    def on_phase(status, **values):
        phases.setdefault(status, time.time())
    fence = cs_fence.Fence(CONF, agents, ctx, str(uuid.uuid4()), by_host,
                           quiesce=True, on_phase=on_phase)
    if variant in BASELINES:
        fence.offsets = probe_offsets(agents, ctx, fence.hosts)
    began = time.time()
    try:
        if variant == 'sequential':
            sent_at = time.time()
            results = capture_sequentially(fence)
        elif variant == 'uncoordinated':
            results = fence.capture(consistent=False, mode=None)
            sent_at = phases['capturing']
        else:
            results = fence.capture(consistent=True, mode=variant)
            # The message whose arrival starts the freeze: freeze for the
            # barrier, capture for the other two.
            sent_at = phases['fencing' if variant == 'barrier'
                             else 'capturing']
        fence.finalize()
        elapsed = time.time() - began
    except Exception:
        # Thaw and forget on every host, as the coordinator would.
        fence.abort()
        raise
    return round_metrics(variant, fence, results, phases, sent_at, elapsed)


# Statistics and output


def summarize(rounds, key):
    return stats.summary(r[key] for r in rounds)


def ratio(numerator, denominator):
    if not numerator or not denominator:
        return None
    return numerator / denominator


def print_table(entries, out):
    header = ('hosts', 'variant', 'ok', 'skew ms', 'fan-out ms',
              'end-to-end ms', 'longest freeze ms')
    rows = [header, ('', '', '', 'p50/p99/max', 'p50/p99/max',
                     'p50/p99/max', 'p50/p99/max')]
    for entry in entries:
        rows.append((str(entry['hosts']), entry['variant'],
                     '%d/%d' % (entry['rounds_ok'], entry['rounds_asked']))
                    + tuple(stats.cell(entry['summary'].get(m))
                            for m in METRICS))
    stats.table(rows, out, rule_after=1)


def ratios(entries):
    """Baseline skew p50 / mode skew p50, per host count."""
    by_key = {(e['hosts'], e['variant']): e for e in entries}

    def p50(entry, key):
        found = entry['summary'].get(key) if entry else None
        return found['p50'] if found else None
    found = []
    for entry in entries:
        if entry['variant'] not in states.MODES:
            continue
        row = {'hosts': entry['hosts'], 'mode': entry['variant'],
               'skew_p50_ms': p50(entry, 'skew_ms'),
               'true_skew_p50_ms': p50(entry, 'true_skew_ms')}
        for baseline in BASELINES:
            other = by_key.get((entry['hosts'], baseline))
            row['vs_%s' % baseline] = ratio(p50(other, 'skew_ms'),
                                            row['skew_p50_ms'])
            row['true_vs_%s' % baseline] = ratio(
                p50(other, 'true_skew_ms'), row['true_skew_p50_ms'])
        found.append(row)
    return found


def print_ratios(rows, out):
    def x(value):
        return '-' if value is None else '%.1fx' % value
    header = ('hosts', 'mode', 'skew p50 ms', 'vs sequential',
              'vs uncoordinated', 'true skew p50 ms', 'true vs seq',
              'true vs uncoord')
    lines = [header]
    for r in rows:
        lines.append((str(r['hosts']), r['mode'],
                      stats.fmt(r['skew_p50_ms']), x(r['vs_sequential']),
                      x(r['vs_uncoordinated']),
                      stats.fmt(r['true_skew_p50_ms']),
                      x(r['true_vs_sequential']),
                      x(r['true_vs_uncoordinated'])))
    stats.table(lines, out, rule_after=0)


def print_details(entries, out):
    """What the skew is made of: the fence's own figures, per variant."""
    header = ('hosts', 'variant', 'start skew ms', 'offset spread ms',
              'lead ms', 'late ms', 'commit fan-out ms', 'all frozen ms')
    rows = [header, ('', '', 'p50/max', 'p50/max', 'p50', 'p50/max',
                     'p50/max', 'p50/min')]

    def pair(found, second):
        if not found:
            return '-'
        return '%s/%s' % (stats.fmt(found['p50']), stats.fmt(found[second]))
    for entry in entries:
        summary = entry['summary']
        lead = summary.get('lead_ms')
        rows.append((str(entry['hosts']), entry['variant'],
                     pair(summary.get('start_skew_ms'), 'max'),
                     pair(summary.get('offset_spread_ms'), 'max'),
                     stats.fmt(lead['p50']) if lead else '-',
                     pair(summary.get('late_ms'), 'max'),
                     pair(summary.get('commit_fanout_ms'), 'max'),
                     pair(summary.get('all_frozen_ms'), 'min')))
    stats.table(rows, out, rule_after=1)


# Main


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description='Benchmark the fence against sequential and '
                    'uncoordinated captures, on real agent processes and '
                    'the test cloud\'s RabbitMQ.')
    parser.add_argument('--hosts', type=int, nargs='+', default=[3, 8],
                        help='host counts N to run (one agent process per '
                             'host); default: 3 8')
    parser.add_argument('--rounds', type=int, default=20,
                        help='measured rounds per (N, variant); default 20')
    parser.add_argument('--members-per-host', type=int, default=2,
                        help='members (fake servers) per host; default 2')
    parser.add_argument('--warmup', type=int, default=1,
                        help='unmeasured rounds per (N, variant) first: '
                             'the first capture on an agent loads its '
                             'drivers; default 1')
    parser.add_argument('--variants', nargs='+', default=list(VARIANTS),
                        choices=VARIANTS, help='default: all five')
    parser.add_argument('--time-budget', type=float, default=600.0,
                        help='seconds of measuring after which no new '
                             'round is started; default 600')
    parser.add_argument('--output', type=pathlib.Path,
                        help='JSON file; default '
                             'benchmarks/results/fence-<timestamp>.json')
    args = parser.parse_args(argv)
    if min(args.hosts) < 1 or args.rounds < 1 or args.members_per_host < 1:
        parser.error('--hosts, --rounds and --members-per-host must be >= 1')
    args.hosts = sorted(set(args.hosts))
    return args


def configure():
    """The coordinator's CONF, from a file the test cloud's plugin writes.

    So transport_url is the test cloud's broker.
    """
    path = cloud_plugin.write_config(
        name='bench-coordinator.conf',
        extra='[DEFAULT]\nhost = bench-coordinator\n')
    CONF([], project='consistent_snap', default_config_files=[str(path)])
    CONF.set_override('capture_timeout', RPC_TIMEOUT, group='coordinator')
    CONF.set_override('finalize_timeout', RPC_TIMEOUT, group='coordinator')
    rpc.init(CONF)
    return path


def _terminate(signum, frame):
    # SIGTERM unwinds like Ctrl-C, so the finally below stops the agents.
    raise KeyboardInterrupt('signal %d' % signum)


def measure(args, ctx, out, started, processes):
    """Every (N, variant).

    ``started`` gets the agents as they are started (for the caller to
    stop them), ``processes`` the OS processes they run as, by N.
    """
    agents = agent_rpcapi.AgentAPI()
    entries = []
    deadline = None
    for n in args.hosts:
        # Host counts ascend: only the agents for this N are running.
        new = list(range(len(started) + 1, n + 1))
        started.extend(new)
        start_agents(new)
        wait_answering(ctx, new)
        processes[n] = count_processes(agent_name(i) for i in started)
        if deadline is None:
            deadline = time.monotonic() + args.time_budget
        by_host = {host_name(i): [
            {'server_id': str(uuid.uuid4()),
             'name': '%s-m%d' % (host_name(i), m),
             'volume_backed': False, 'volumes': []}
            for m in range(args.members_per_host)]
            for i in range(1, n + 1)}
        print('N=%d: %d consistent-snap-agent services = %d OS processes '
              '(oslo.service master + worker each), %d hosts (one host '
              'identity per service), %d members: measuring' % (
                  n, n, processes[n], n, n * args.members_per_host),
              file=out, flush=True)
        for variant in args.variants:
            for _ in range(args.warmup):
                try:
                    run_round(agents, ctx, by_host, variant)
                except (cs_fence.Failed, messaging.MessagingException) as e:
                    print('  N=%d %s: warm-up round failed: %s'
                          % (n, variant, e), file=out, flush=True)
        per_variant = {v: {'hosts': n, 'variant': v, 'rounds': [],
                           'errors': [], 'rounds_asked': args.rounds}
                       for v in args.variants}
        truncated = False
        # Round-robin over the variants, so a change of machine load during
        # the run falls on every variant alike.
        for _ in range(args.rounds):
            if time.monotonic() > deadline:
                truncated = True
                break
            for variant in args.variants:
                entry = per_variant[variant]
                if len(entry['errors']) >= MAX_ERRORS:
                    continue
                try:
                    entry['rounds'].append(run_round(agents, ctx, by_host,
                                                     variant))
                except (cs_fence.Failed, messaging.MessagingException) as e:
                    entry['errors'].append(str(e))
                    print('  N=%d %s: round failed: %s' % (n, variant, e),
                          file=out, flush=True)
                    # Every later round would wait for it too.
                    dead = [agent_name(i) for i in started
                            if not cloud_plugin.alive(agent_name(i))]
                    if dead:
                        raise BenchError('Agent %s exited; its log ends:\n%s'
                                         % (dead[0], _log_tail(dead[0])))
        for variant in args.variants:
            entry = per_variant[variant]
            entry['rounds_ok'] = len(entry['rounds'])
            entry['truncated'] = truncated
            entry['summary'] = {key: summarize(entry['rounds'], key)
                                for key in METRICS + (
                                    'true_skew_ms', 'start_skew_ms',
                                    'offset_spread_ms', 'lead_ms', 'late_ms',
                                    'commit_fanout_ms', 'all_frozen_ms')}
            entries.append(entry)
        if truncated:
            print('  N=%d: time budget reached, fewer rounds than asked'
                  % n, file=out, flush=True)
    return entries


def main(argv=None, out=sys.stdout):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, _terminate)
    began = datetime.datetime.now(datetime.timezone.utc)
    check_broker(cloud_plugin.TRANSPORT_URL)
    configure()
    ctx = cs_context.RequestContext()
    top = max(args.hosts)
    info = machine()
    print('consistent-snap fence benchmark, %s' % began.strftime(
        '%Y-%m-%d %H:%M:%S UTC'), file=out)
    print('machine: nproc %s (usable %s), load average %s, %s, %s, '
          'oslo.messaging %s' % (
              info['nproc'], info['cpus_usable'],
              ' '.join('%.2f' % x for x in info['load_average']),
              info['python'], info['platform'], info['oslo.messaging']),
          file=out)
    print('broker: %s' % masked_url(cloud_plugin.TRANSPORT_URL), file=out)
    print('agents: one consistent-snap-agent service per simulated host '
          '(%s..%s), started as N grows; this process is the coordinator'
          % (host_name(1), host_name(top)), file=out)
    print('members: %d per host, fake capturer, none quiescer, '
          'check_host false' % args.members_per_host, file=out)
    print('fence: clock_probes %d, lead_rtt_factor %.1f, lead_margin_ms '
          '%.0f, fanout_workers %d' % (
              CONF.coordinator.clock_probes,
              CONF.coordinator.lead_rtt_factor,
              CONF.coordinator.lead_margin_ms,
              CONF.coordinator.fanout_workers), file=out)
    print('rounds: %d per (N, variant) after %d warm-up, variants '
          'interleaved round by round' % (args.rounds, args.warmup),
          file=out, flush=True)
    started = []
    entries = []
    processes = {}
    try:
        entries = measure(args, ctx, out, started, processes)
    finally:
        if started:
            cloud_plugin.stop(*(agent_name(i) for i in started))
            print('stopped %d agent processes' % len(started), file=out,
                  flush=True)
        rpc.cleanup()
    print('', file=out)
    print_table(entries, out)
    print('', file=out)
    print('skew ratio = baseline skew p50 / mode skew p50 (higher: the '
          'mode is tighter)', file=out)
    ratio_rows = ratios(entries)
    print_ratios(ratio_rows, out)
    print('', file=out)
    print('fence details (start = freeze instant; all frozen = time every '
          'member was frozen at once)', file=out)
    print_details(entries, out)
    info_end = machine()
    result = {
        'started_at': began.isoformat(),
        'finished_at': datetime.datetime.now(
            datetime.timezone.utc).isoformat(),
        'machine': info,
        'load_average_at_end': info_end['load_average'],
        'broker': masked_url(cloud_plugin.TRANSPORT_URL),
        'args': {'hosts': args.hosts, 'rounds': args.rounds,
                 'members_per_host': args.members_per_host,
                 'warmup': args.warmup, 'variants': args.variants,
                 'time_budget': args.time_budget},
        'processes': {'agent_services': len(started),
                      'agent_os_processes_by_hosts': processes,
                      'hosts': len(started),
                      'host_identities_per_process': 1,
                      'coordinator': 'this process'},
        'config': {
            'clock_probes': CONF.coordinator.clock_probes,
            'lead_rtt_factor': CONF.coordinator.lead_rtt_factor,
            'lead_margin_ms': CONF.coordinator.lead_margin_ms,
            'fanout_workers': CONF.coordinator.fanout_workers,
            'capture_timeout': CONF.coordinator.capture_timeout,
            'finalize_timeout': CONF.coordinator.finalize_timeout,
            'max_freeze_ms': CONF.agent.max_freeze_ms,
        },
        'results': entries,
        'ratios': ratio_rows,
    }
    output = args.output or RESULTS_DIR / ('fence-%s.json' % began.strftime(
        '%Y%m%dT%H%M%SZ'))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=1) + '\n')
    print('', file=out)
    print('load average at end: %s' % ' '.join(
        '%.2f' % x for x in info_end['load_average']), file=out)
    print('results: %s' % output, file=out)
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except BenchError as e:
        sys.exit('bench_fence: %s' % e)
    except KeyboardInterrupt:
        sys.exit('bench_fence: interrupted; agents stopped')
