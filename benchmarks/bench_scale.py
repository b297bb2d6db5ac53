"""The fence against today's ways, from 3 to 1,000 hosts.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_scale.py \\
        --transport-url rabbit://guest:guest@127.0.0.1:5682/

For each host count N (default 3 8 32 100 300 1000) it measures, round by
round and interleaved, the three fenced modes (shared_start, priority,
barrier) and three baselines (sequential, an uncoordinated parallel burst,
a Freezer-like poll scheduler) on the same simulated hosts, over a real
RabbitMQ and real oslo.messaging RPC servers; then, at one N, the same with
a clock offset injected on every host (shared_start with the offsets
measured in prepare, and a naive shared start that ignores them). It prints
tables, writes benchmarks/results/scale-<UTC>.json and a PNG plot of skew
and fan-out against N. benchmarks/README.md says what each figure means.

Hosts are simulated by benchmarks/sim_agents.py: up to --hosts-per-process
host identities per OS process, each with its own AgentManager and RPC
servers. This process is the coordinator: it drives
consistent_snap.coordinator.fence.Fence as the coordinator service does.
"""

import argparse
import concurrent.futures
import datetime
import json
import os
import pathlib
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import oslo_messaging as messaging

from consistent_snap.agent import rpcapi as agent_rpcapi
from consistent_snap import conf as cs_conf
from consistent_snap import context as cs_context
from consistent_snap.coordinator import fence as cs_fence
from consistent_snap.coordinator import inbox as cs_inbox
from consistent_snap.coordinator import transport
from consistent_snap import rpc
from consistent_snap import states

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_fence as bf  # noqa: E402
import stats  # noqa: E402

CONF = cs_conf.CONF
BASELINES = ('sequential', 'uncoordinated', 'poll')
# shared_start_calls: shared_start with one call per host even where the
# fence would broadcast, to show what the broadcast saves.
VARIANTS = BASELINES + states.MODES + ('shared_start_calls',)
OFFSET_VARIANTS = ('shared_start', 'naive_shared_start', 'barrier')
METRICS = ('skew_ms', 'fanout_ms', 'e2e_ms', 'freeze_ms')
EXTRA = ('est_skew_ms', 'start_skew_ms', 'lead_ms', 'late_ms',
         'dispatch_ms', 'prepare_ms', 'offset_error_ms', 'all_frozen_ms')
HOST_PREFIX = 'bench-'
RPC_TIMEOUT = 30.0
MAX_ERRORS = 3


def host_name(index):
    return '%s%d' % (HOST_PREFIX, index)


def rss_mib(pid='self'):
    """Resident and peak resident memory of a process, MiB."""
    values = {}
    try:
        with open('/proc/%s/status' % pid) as f:
            for line in f:
                if line.startswith(('VmRSS:', 'VmHWM:')):
                    key, kb = line.split()[:2]
                    values[key[:-1]] = int(kb) / 1024.0
    except FileNotFoundError:
        pass
    return values


def machine():
    info = bf.machine()
    with open('/proc/meminfo') as f:
        mem = {k: int(v.split()[0]) // 1024 for k, v in
               (line.split(':', 1) for line in f)}
    info['mem_total_mib'] = mem.get('MemTotal')
    info['mem_available_mib'] = mem.get('MemAvailable')
    return info


class TimedAgentAPI(agent_rpcapi.AgentAPI):
    """AgentAPI noting when each message leaves, to see the dispatch."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sends = []

    def _call(self, context, host, method, *args, **kwargs):
        # A fence phase goes as run_phase: noted by its phase.
        self.sends.append((kwargs.get('phase', method), time.time()))
        return super()._call(context, host, method, *args, **kwargs)

    def broadcast(self, context, phase, *args, **kwargs):
        self.sends.append((phase, time.time()))
        return super().broadcast(context, phase, *args, **kwargs)


class NaiveFence(cs_fence.Fence):
    """Shared start that sends T on the coordinator's clock to every host.

    The clocks are probed (same cost) but the offsets are thrown away.
    """

    def prepare(self):
        probes = super().prepare()
        self.offsets = {}
        return probes


# Simulated hosts


class Fleet:
    """sim_agents.py processes, started as N grows, stopped by pid."""

    def __init__(self, workdir, config, hosts_per_process, poll_interval,
                 priority):
        self.workdir = workdir
        self.config = config
        self.per_process = hosts_per_process
        self.poll_interval = poll_interval
        self.priority = priority
        self.board = workdir / 'board.json'
        self.procs = []
        self.hosts = []
        self.layout = []

    def grow(self, n):
        new = [host_name(i) for i in range(len(self.hosts) + 1, n + 1)]
        started = []
        for at in range(0, len(new), self.per_process):
            chunk = new[at:at + self.per_process]
            log = open(self.workdir / ('sim-%d.log' % len(self.procs)), 'ab')
            argv = [sys.executable, str(HERE / 'sim_agents.py'),
                    '--config-file', str(self.config), '--board',
                    str(self.board), '--poll-interval',
                    str(self.poll_interval), '--hosts'] + chunk
            if not self.priority:
                argv.append('--no-priority')
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                    stderr=log, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
            self.procs.append(proc)
            self.layout.append(len(chunk))
            started.append(proc)
        for proc in started:
            line = proc.stdout.readline().decode()
            if not line.startswith('ready'):
                raise bf.BenchError('a sim_agents process (pid %d) did not '
                                    'start; see %s' % (proc.pid,
                                                       self.workdir))
        self.hosts.extend(new)
        return new

    def rss_mib(self):
        return sum(rss_mib(p.pid).get('VmRSS', 0) for p in self.procs)

    def stop(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in self.procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def fanout(hosts, call):
    with concurrent.futures.ThreadPoolExecutor(min(len(hosts), 500)) as pool:
        return dict(zip(hosts, pool.map(call, hosts)))


def wait_answering(ctx, hosts, timeout=120.0):
    """Ping until every host answers as itself.

    Messages sent before a host's queue exists are dropped, hence short
    timeouts and retries.
    """
    pinger = agent_rpcapi.AgentAPI(timeout=2)
    deadline = time.monotonic() + timeout
    left = list(hosts)
    while left:
        def ping(host):
            try:
                return pinger.ping(ctx, host)['host'] == host
            except messaging.MessagingTimeout:
                return False
        answers = fanout(left, ping)
        left = [h for h in left if not answers[h]]
        if left and time.monotonic() > deadline:
            raise bf.BenchError('%d hosts did not answer ping, e.g. %s'
                                % (len(left), left[0]))


class Bench:
    def __init__(self, args, fleet):
        self.args = args
        self.fleet = fleet
        self.ctx = cs_context.RequestContext()
        # The coordinator's inbox, for the hosts' answers to a broadcast.
        inbox = cs_inbox.FenceInbox()
        self.inbox_server = rpc.get_server(messaging.Target(
            topic=rpc.REPORTS_TOPIC, server=CONF.host), [inbox])
        self.inbox_server.start()
        self.agents = TimedAgentAPI(inbox=inbox, reply_to=CONF.host)
        self.bench = rpc.get_client(messaging.Target(
            topic=rpc.AGENT_TOPIC, version='1.0'))
        # Injected clock offsets, seconds; the Fence never sees them.
        self.injected = {}

    def set_offsets(self, hosts, spread_ms):
        rand = random.Random(self.args.seed)
        offsets = {h: rand.uniform(-spread_ms, spread_ms) / 1000.0
                   for h in hosts}

        def set_one(host):
            return self.bench.prepare(server=host, timeout=10).call(
                self.ctx, 'bench_set_offset', offset=offsets[host])
        fanout(hosts, set_one)
        self.injected = offsets if spread_ms else {}

    def poll_round(self, fence):
        """Freezer-like: post the request, let each host's poller find it."""
        board = self.fleet.board
        tmp = board.with_suffix('.tmp')
        tmp.write_text(json.dumps({'id': fence.id, 'by_host': fence.by_host}))
        timeout = self.args.poll_interval + RPC_TIMEOUT
        posted_at = time.time()
        os.replace(tmp, board)

        def report(host):
            return self.bench.prepare(server=host, timeout=timeout).call(
                self.ctx, 'bench_poll_report', snapshot_id=fence.id,
                timeout=timeout - 1)
        results = fanout(fence.hosts, report)
        for host, result in results.items():
            if not result or result.get('error'):
                raise cs_fence.Failed('poll capture on %s: %s' % (
                    host, result and result.get('error')))
        return results, posted_at

    def run_round(self, by_host, variant):
        phases = {}

        def on_phase(status, **values):
            phases.setdefault(status, time.time())
        fence_class = (NaiveFence if variant == 'naive_shared_start'
                       else cs_fence.Fence)
        # One call per host, never a broadcast, for its own variant.
        fence = fence_class(CONF, self.agents, self.ctx, str(uuid.uuid4()),
                            by_host, quiesce=True, on_phase=on_phase,
                            transport=(transport.Calls if variant ==
                                       'shared_start_calls' else None))
        self.agents.sends = []
        began = time.time()
        try:
            if variant == 'sequential':
                sent_at = time.time()
                results = bf.capture_sequentially(fence)
                start_method = 'capture'
            elif variant == 'uncoordinated':
                results = fence.capture(consistent=False, mode=None)
                sent_at = phases['capturing']
                start_method = 'capture'
            elif variant == 'poll':
                results, sent_at = self.poll_round(fence)
                start_method = None
            else:
                mode = ('shared_start' if variant in (
                    'naive_shared_start', 'shared_start_calls') else variant)
                results = fence.capture(consistent=True, mode=mode)
                sent_at = phases['fencing' if mode == 'barrier'
                                 else 'capturing']
                start_method = 'freeze' if mode == 'barrier' else 'capture'
            fence.finalize()
            elapsed = time.time() - began
        except Exception:
            fence.abort()
            raise
        sends = [t for m, t in self.agents.sends if m == start_method]
        return self.metrics(fence, results, phases, began, sent_at, elapsed,
                            sends)

    def metrics(self, fence, results, phases, began, sent_at, elapsed,
                sends):
        true, est = [], []
        for host, report in results.items():
            # Reports come on the coordinator's clock, moved by the
            # estimated offset: the true clock differs by the error.
            error = fence.offsets.get(host, 0.0) - self.injected.get(host,
                                                                     0.0)
            for member in report['members']:
                true.append({k: (None if member.get(k) is None
                                 else member[k] + error)
                             for k in bf.INSTANTS})
                est.append(member.get('captured_at'))
        started = [m['started_at'] for m in true if m['started_at']]
        last_start = max(started) if started else None
        freezes = [cs_fence.window_ms(m['frozen_at'], m['thawed_at'])
                   for m in true]
        errors = [abs(fence.offsets[h] - self.injected.get(h, 0.0))
                  for h in fence.offsets]
        fig = {
            'members': len(true),
            # On the true clock: the figure that matters.
            'skew_ms': cs_fence.skew_ms([m['captured_at'] for m in true]),
            # What the coordinator records, on its estimated offsets.
            'est_skew_ms': cs_fence.skew_ms(est) if fence.offsets else None,
            'start_skew_ms': cs_fence.skew_ms(started),
            'fanout_ms': bf._ms(last_start - sent_at) if last_start else None,
            'e2e_ms': bf._ms(elapsed),
            'freeze_ms': max((f for f in freezes if f is not None),
                             default=None),
            'dispatch_ms': bf._ms(max(sends) - sent_at) if sends else None,
            'prepare_ms': (bf._ms(phases['fencing'] - began)
                           if 'fencing' in phases else None),
            'offset_error_ms': bf._ms(max(errors)) if errors else None,
            'lead_ms': None, 'late_ms': None,
            'all_frozen_ms': bf._ms(
                min(m['thawed_at'] for m in true) -
                max(m['frozen_at'] for m in true))
            if all(m['thawed_at'] and m['frozen_at'] for m in true) else None,
        }
        if fence.fence_at is not None and last_start is not None:
            fig['lead_ms'] = bf._ms(fence.fence_at - sent_at)
            fig['late_ms'] = bf._ms(last_start - fence.fence_at)
        return fig

    def measure(self, n, by_host, variants, rounds, label, out):
        for variant in variants:
            for _ in range(self.args.warmup):
                try:
                    self.run_round(by_host, variant)
                except (cs_fence.Failed, messaging.MessagingException) as e:
                    print('  N=%d %s: warm-up failed: %s' % (n, variant, e),
                          file=out, flush=True)
        per = {v: {'hosts': n, 'variant': v, 'set': label, 'rounds': [],
                   'errors': [], 'rounds_asked': rounds} for v in variants}
        began = time.monotonic()
        for index in range(rounds):
            if time.monotonic() - began > self.args.budget_per_n:
                print('  N=%d: budget of %.0f s reached after %d rounds'
                      % (n, self.args.budget_per_n, index), file=out)
                break
            for variant in variants:
                entry = per[variant]
                if len(entry['errors']) >= MAX_ERRORS:
                    continue
                try:
                    entry['rounds'].append(self.run_round(by_host, variant))
                except (cs_fence.Failed, messaging.MessagingException) as e:
                    entry['errors'].append(str(e))
                    print('  N=%d %s: round failed: %s' % (n, variant, e),
                          file=out, flush=True)
        for entry in per.values():
            entry['rounds_ok'] = len(entry['rounds'])
            entry['summary'] = {k: bf.summarize(entry['rounds'], k)
                                for k in METRICS + EXTRA}
        return list(per.values())


# Output


def p50(entry, key):
    found = entry['summary'].get(key) if entry else None
    return found['p50'] if found else None


def print_main(entries, out):
    rows = [('hosts', 'variant', 'ok', 'skew ms', 'fan-out ms',
             'end-to-end ms', 'longest freeze ms', 'lead ms', 'dispatch ms'),
            ('', '', '', 'p50/p99/max', 'p50/p99/max', 'p50/p99/max',
             'p50/p99/max', 'p50', 'p50')]
    for e in entries:
        rows.append((str(e['hosts']), e['variant'],
                     '%d/%d' % (e['rounds_ok'], e['rounds_asked']))
                    + tuple(stats.cell(e['summary'].get(m)) for m in METRICS)
                    + (stats.fmt(p50(e, 'lead_ms')),
                       stats.fmt(p50(e, 'dispatch_ms'))))
    stats.table(rows, out, rule_after=1)


def ratio_rows(entries):
    by = {(e['hosts'], e['variant']): e for e in entries}
    found = []
    for e in entries:
        if e['variant'] not in states.MODES:
            continue
        row = {'hosts': e['hosts'], 'mode': e['variant']}
        for metric in ('skew_ms', 'freeze_ms'):
            for base in BASELINES:
                row['%s_vs_%s' % (metric, base)] = bf.ratio(
                    p50(by.get((e['hosts'], base)), metric), p50(e, metric))
        found.append(row)
    return found


def print_ratios(rows, out):
    def x(value):
        return '-' if value is None else (
            '%.0fx' % value if value >= 100 else '%.1fx' % value)
    lines = [('hosts', 'mode') + tuple('skew vs %s' % b for b in BASELINES)]
    for r in rows:
        lines.append((str(r['hosts']), r['mode']) + tuple(
            x(r['skew_ms_vs_%s' % b]) for b in BASELINES))
    stats.table(lines, out)


def print_scale(entries, scale, out):
    rows = [('hosts', 'processes x hosts', 'coord RSS MiB', 'agents RSS MiB',
             'prepare ms', 'lead ms', 'shared_start fan-out ms',
             'per host us', 'skew p50/p99 ms', 'start skew p50 ms')]
    by = {(e['hosts'], e['variant']): e for e in entries}
    for n in sorted(scale):
        s = scale[n]
        e = by.get((n, 'shared_start'))
        fan = p50(e, 'fanout_ms')
        dispatch = p50(e, 'dispatch_ms')
        skew = e['summary'].get('skew_ms') if e else None
        rows.append((str(n), s['layout'], '%.0f/%.0f' % (
            s['coordinator_rss_mib'], s['coordinator_peak_rss_mib']),
            '%.0f' % s['agents_rss_mib'], stats.fmt(p50(e, 'prepare_ms')),
            stats.fmt(p50(e, 'lead_ms')), stats.fmt(fan),
            stats.fmt(dispatch * 1000 / n) if dispatch else '-',
            '%s/%s' % (stats.fmt(skew and skew['p50']),
                       stats.fmt(skew and skew['p99'])),
            stats.fmt(p50(e, 'start_skew_ms'))))
    stats.table(rows, out)


def print_offsets(entries, out):
    rows = [('hosts', 'clock offsets', 'variant', 'ok', 'true skew ms',
             'coordinator skew ms', 'worst offset error ms'),
            ('', '', '', '', 'p50/p99/max', 'p50', 'p50/max')]
    for e in entries:
        err = e['summary'].get('offset_error_ms')
        rows.append((str(e['hosts']), e['set'], e['variant'],
                     '%d/%d' % (e['rounds_ok'], e['rounds_asked']),
                     stats.cell(e['summary'].get('skew_ms')),
                     stats.fmt(p50(e, 'est_skew_ms')),
                     '%s/%s' % (stats.fmt(err['p50']), stats.fmt(err['max']))
                     if err else '-'))
    stats.table(rows, out, rule_after=1)


def plot(entries, offsets, path):
    try:
        import matplotlib
        matplotlib.use('Agg')
        from matplotlib import pyplot
    except ImportError:
        return None
    fig, axes = pyplot.subplots(1, 3, figsize=(17, 5.5))
    variants = [v for v in VARIANTS if any(e['variant'] == v
                                           for e in entries)]
    for variant in variants:
        rows = sorted((e['hosts'], e) for e in entries
                      if e['variant'] == variant and e['rounds_ok'])
        ns = [n for n, _ in rows]
        for ax, key, style in ((axes[0], 'skew_ms', 'p50'),
                               (axes[1], 'fanout_ms', 'p50'),
                               (axes[2], 'e2e_ms', 'p50')):
            ys = [e['summary'][key][style] if e['summary'][key] else None
                  for _, e in rows]
            line, = ax.plot(ns, ys, marker='o', label=variant)
            if key == 'skew_ms':
                ax.plot(ns, [e['summary'][key]['p99'] if e['summary'][key]
                             else None for _, e in rows], linestyle=':',
                        color=line.get_color())
    leads = sorted((e['hosts'], e['summary']['lead_ms']['p50'])
                   for e in entries if e['variant'] == 'shared_start'
                   and e['summary'].get('lead_ms'))
    if leads:
        axes[1].plot([n for n, _ in leads], [v for _, v in leads],
                     linestyle='--', color='black', label='lead of T')
    # Slope 1 on log-log axes: a cost that is the same for every host.
    ends = sorted((e['hosts'], e['summary']['e2e_ms']['p50'])
                  for e in entries if e['variant'] == 'shared_start'
                  and e['summary'].get('e2e_ms'))
    if len(ends) > 1:
        (n0, y0), n1 = ends[0], ends[-1][0]
        axes[2].plot([n0, n1], [y0, y0 * n1 / n0], linestyle='--',
                     color='grey', label='proportional to N')
        axes[2].legend(fontsize=8)
    titles = ('capture skew, ms (p50 solid, p99 dotted)',
              'fan-out, ms (p50)', 'end-to-end, ms (p50)')
    for ax, title in zip(axes, titles):
        ax.set_xscale('log')
        ax.set_yscale('log')
        ax.set_xlabel('hosts N')
        ax.set_title(title)
        ax.grid(True, which='both', alpha=0.3)
    axes[1].legend(fontsize=8)
    fig.suptitle('consistent-snap fence vs baselines (%s)' % path.stem)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    pyplot.close(fig)
    return path


# Main


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--transport-url', default=os.environ.get(
        'CS_BENCH_TRANSPORT_URL', 'rabbit://guest:guest@127.0.0.1:5682/'),
        help='a broker of your own (see benchmarks/README.md)')
    p.add_argument('--hosts', type=int, nargs='+',
                   default=[3, 8, 32, 100, 300, 1000])
    p.add_argument('--rounds', type=int, default=20)
    p.add_argument('--warmup', type=int, default=1)
    p.add_argument('--members-per-host', type=int, default=2)
    p.add_argument('--hosts-per-process', type=int, default=50)
    p.add_argument('--variants', nargs='+', default=list(VARIANTS),
                   choices=VARIANTS)
    p.add_argument('--poll-interval', type=float, default=1.0,
                   help='seconds between two polls of one host in the '
                        'poll baseline (Freezer: 60)')
    p.add_argument('--offset-hosts', type=int, default=32,
                   help='N at which the clock-offset set runs (0: none)')
    p.add_argument('--offset-ms', type=float, default=20.0,
                   help='injected clock offsets are uniform in +-this')
    p.add_argument('--budget-per-n', type=float, default=240.0,
                   help='seconds of measuring per N after which no new '
                        'round starts')
    p.add_argument('--no-priority-above', type=int, default=1000,
                   help='above this N the priority topic is not served '
                        '(half the RPC servers) and priority is skipped')
    p.add_argument('--fanout-workers', type=int,
                   help='override [coordinator] fanout_workers')
    p.add_argument('--broadcast-min-hosts', type=int,
                   help='override [coordinator] broadcast_min_hosts')
    p.add_argument('--seed', type=int, default=7)
    p.add_argument('--output', type=pathlib.Path)
    args = p.parse_args(argv)
    args.hosts = sorted(set(args.hosts))
    return args


def configure(args, workdir):
    state = pathlib.Path(tempfile.mkdtemp(prefix='cs-bench-state-',
                                          dir='/dev/shm'))
    path = workdir / 'bench.conf'
    path.write_text(
        '[DEFAULT]\nhost = bench-coordinator\nstate_path = %s\n'
        'transport_url = %s\n'
        '[agent]\ncapturers = fake\ncheck_host = false\nquiescer = none\n'
        '[coordinator]\ncapture_timeout = %s\nfinalize_timeout = %s\n'
        # 2,000 listener connections: no heartbeat thread for each.
        '[oslo_messaging_rabbit]\nheartbeat_timeout_threshold = 0\n'
        % (state, args.transport_url, RPC_TIMEOUT, RPC_TIMEOUT))
    # The simulated hosts only: a host's agent handles one phase at a
    # time, so needs two executor threads, not oslo.messaging's 64 per RPC
    # server (x 100 servers per process, each idle one waking every
    # second); and the replies of all its hosts at T need more than 30
    # sending connections. The coordinator keeps the production defaults.
    sim = workdir / 'sim.conf'
    sim.write_text(path.read_text().replace(
        '[DEFAULT]\n', '[DEFAULT]\nexecutor_thread_pool_size = 2\n') +
        'rpc_conn_pool_size = %d\n' % max(30, args.hosts_per_process))
    CONF([], project='consistent_snap', default_config_files=[str(path)])
    if args.fanout_workers:
        CONF.set_override('fanout_workers', args.fanout_workers,
                          group='coordinator')
    if args.broadcast_min_hosts:
        CONF.set_override('broadcast_min_hosts', args.broadcast_min_hosts,
                          group='coordinator')
    rpc.init(CONF)
    return sim, state


def main(argv=None, out=sys.stdout):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, bf._terminate)
    began = datetime.datetime.now(datetime.timezone.utc)
    bf.check_broker(args.transport_url)
    workdir = pathlib.Path(tempfile.mkdtemp(prefix='cs-bench-scale-'))
    config, state = configure(args, workdir)
    info = machine()
    print('consistent-snap scale benchmark, %s' % began.strftime(
        '%Y-%m-%d %H:%M:%S UTC'), file=out)
    print('machine: nproc %s, load average %s, RAM %s MiB (%s available), '
          '%s, oslo.messaging %s' % (
              info['nproc'], ' '.join('%.2f' % x for x in
                                      info['load_average']),
              info['mem_total_mib'], info['mem_available_mib'],
              info['python'], info['oslo.messaging']), file=out)
    print('broker: %s; hosts: up to %d per sim_agents process; members: %d '
          'per host; fence: clock_probes %d, lead_rtt_factor %.1f, '
          'lead_margin_ms %.0f, fanout_workers %d, broadcast_min_hosts %d; '
          'poll interval %.1f s'
          % (bf.masked_url(args.transport_url), args.hosts_per_process,
             args.members_per_host, CONF.coordinator.clock_probes,
             CONF.coordinator.lead_rtt_factor,
             CONF.coordinator.lead_margin_ms,
             CONF.coordinator.fanout_workers,
             CONF.coordinator.broadcast_min_hosts, args.poll_interval),
          file=out, flush=True)
    priority = max(args.hosts) <= args.no_priority_above
    fleet = Fleet(workdir, config, args.hosts_per_process,
                  args.poll_interval, priority)
    bench = Bench(args, fleet)
    entries, offset_entries, scale = [], [], {}
    try:
        for n in args.hosts:
            t0 = time.monotonic()
            new = fleet.grow(n)
            wait_answering(bench.ctx, new)
            by_host = {host_name(i): [
                {'server_id': str(uuid.uuid4()),
                 'name': '%s-m%d' % (host_name(i), m),
                 'volume_backed': False, 'volumes': []}
                for m in range(args.members_per_host)]
                for i in range(1, n + 1)}
            variants = [v for v in args.variants
                        if priority or v != 'priority']
            print('N=%d: %d processes, %d hosts, %d members, ready in '
                  '%.0f s: measuring %s' % (
                      n, len(fleet.procs), n, n * args.members_per_host,
                      time.monotonic() - t0, ' '.join(variants)),
                  file=out, flush=True)
            t0 = time.monotonic()
            found = bench.measure(n, by_host, variants, args.rounds,
                                  'none', out)
            entries.extend(found)
            mem = rss_mib()
            scale[n] = {
                'processes': len(fleet.procs),
                'hosts_per_process': list(fleet.layout),
                'layout': '%d x <=%d' % (len(fleet.procs),
                                         max(fleet.layout)),
                'coordinator_rss_mib': mem.get('VmRSS'),
                'coordinator_peak_rss_mib': mem.get('VmHWM'),
                'agents_rss_mib': fleet.rss_mib(),
                'measure_s': time.monotonic() - t0,
                'load_average': list(os.getloadavg()),
            }
            print('  N=%d measured in %.0f s; coordinator RSS %.0f MiB '
                  '(peak %.0f); load %s' % (
                      n, scale[n]['measure_s'], mem.get('VmRSS'),
                      mem.get('VmHWM'), ' '.join(
                          '%.2f' % x for x in os.getloadavg())),
                  file=out, flush=True)
            if n == args.offset_hosts:
                label = '+-%g ms' % args.offset_ms
                bench.set_offsets(fleet.hosts[:n], args.offset_ms)
                try:
                    offset_entries = bench.measure(
                        n, by_host, list(OFFSET_VARIANTS), args.rounds,
                        label, out)
                finally:
                    bench.set_offsets(fleet.hosts, 0)
                base = bench.measure(n, by_host, ['naive_shared_start'],
                                     args.rounds, 'none', out)
                offset_entries = ([e for e in entries if e['hosts'] == n and
                                   e['variant'] in OFFSET_VARIANTS] +
                                  base + offset_entries)
    finally:
        fleet.stop()
        bench.inbox_server.stop()
        bench.inbox_server.wait()
        rpc.cleanup()
        print('stopped %d sim_agents processes' % len(fleet.procs),
              file=out, flush=True)
    print('', file=out)
    print_main(entries, out)
    print('\nskew ratio = baseline skew p50 / mode skew p50', file=out)
    rows = ratio_rows(entries)
    print_ratios(rows, out)
    print('\nscale (shared_start; per host = dispatch p50 / N)', file=out)
    print_scale(entries, scale, out)
    if offset_entries:
        print('\nclock offsets (skew on the true clock)', file=out)
        print_offsets(offset_entries, out)
    end = machine()
    stamp = began.strftime('%Y%m%dT%H%M%SZ')
    output = args.output or bf.RESULTS_DIR / ('scale-%s.json' % stamp)
    output.parent.mkdir(parents=True, exist_ok=True)
    png = plot(entries, offset_entries, output.with_suffix('.png'))
    output.write_text(json.dumps({
        'started_at': began.isoformat(),
        'finished_at': datetime.datetime.now(
            datetime.timezone.utc).isoformat(),
        'machine': info, 'machine_at_end': end,
        'broker': bf.masked_url(args.transport_url),
        'args': {k: (str(v) if isinstance(v, pathlib.Path) else v)
                 for k, v in vars(args).items()},
        'config': {k: getattr(CONF.coordinator, k) for k in (
            'clock_probes', 'lead_rtt_factor', 'lead_margin_ms',
            'fanout_workers', 'broadcast_min_hosts', 'capture_timeout',
            'finalize_timeout')},
        'scale': scale, 'results': entries, 'ratios': rows,
        'clock_offsets': offset_entries,
        'self_rusage_maxrss_mib':
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }, indent=1) + '\n')
    print('\nload average at end: %s; RAM available %s MiB' % (
        ' '.join('%.2f' % x for x in end['load_average']),
        end['mem_available_mib']), file=out)
    print('results: %s' % output, file=out)
    print('plot: %s' % (png or 'none (matplotlib not installed)'),
          file=out)
    # Kept on failure: the simulated hosts' logs are in workdir.
    shutil.rmtree(state, ignore_errors=True)
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except bf.BenchError as e:
        sys.exit('bench_scale: %s' % e)
    except KeyboardInterrupt:
        sys.exit('bench_scale: interrupted; sim agents stopped')
