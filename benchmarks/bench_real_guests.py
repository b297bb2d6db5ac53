"""Real guests: freeze window, frozen-instant spread and capture time.

Run with the project's venv, the test cloud up with its libvirt hosts and
consistent-snap on it (``bash tests/run.sh --co -q`` does both)::

    .venv/bin/python benchmarks/bench_real_guests.py --rounds 10

It boots one guest (image ``guest``, flavor ``m1.guest``) on each of
compute-real and compute-real-2, then, as the tenant demo through the API,
snapshots both guests round after round, interleaving:

    barrier       freeze both at T, capture only when both are frozen
    barrier+hooks the same with application hooks: a pre-freeze `sync` in
                  each guest, one stage after the other, an in-freeze step
                  (the guest's in-freeze runner) and a post-thaw step each
    shared_start  each host freezes and captures at T
    priority      each host freezes and captures on receipt
    sequential    baseline: one guest's snapshot, then the other's

and prints, per variant, p50/p95/max of: the freeze window of each member
(frozen -> thawed), the spread of the frozen instants across the two guests,
the capture time (the snapshot call, from called to fixed), the end to
end time of the request and, with hooks, how long the hooks held the
application (first pre-freeze hook to last post-thaw one). The guests and
every snapshot are deleted at the end. Nothing here asserts on times.
"""

import argparse
import datetime
import json
import os
import pathlib
import platform
import sys
import time

import openstack

ROOT = pathlib.Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / 'benchmarks' / 'results'
sys.path.insert(0, str(ROOT / 'tests' / 'cloud'))
import plugin as cloud_plugin  # noqa: E402
import stats  # noqa: E402

HOSTS = ('compute-real', 'compute-real-2')
VARIANTS = ('barrier', 'barrier+hooks', 'shared_start', 'priority',
            'sequential')
# Cheap steps on each side of the freeze and in it: what the hooks' own
# machinery costs (guest-exec, stages, the runner, the read-back).
HOOKS = [{'name': 'sync-a', 'when': 'pre_freeze', 'stage': 1,
          'command': 'sync', 'timeout_s': 1, 'name_pattern': '*-0'},
         {'name': 'sync-b', 'when': 'pre_freeze', 'stage': 2,
          'command': 'sync', 'timeout_s': 1, 'name_pattern': '*-1'},
         {'name': 'mark', 'when': 'in_freeze', 'command': 'true',
          'timeout_s': 1},
         {'name': 'resume', 'when': 'post_thaw', 'command': 'true',
          'timeout_s': 1}]
SNAPSHOTS = '/v1/group-snapshots'


def _epoch(instant):
    return datetime.datetime.fromisoformat(
        instant.replace('Z', '+00:00')).timestamp()


class Api:
    def __init__(self, conn):
        self.conn = conn
        self.url = conn.session.get_endpoint(
            service_type=cloud_plugin.SERVICE_TYPE, interface='public')

    def __call__(self, method, path, body=None, raise_exc=True):
        """The answer's body; with raise_exc=False, the response itself."""
        response = self.conn.session.request(
            self.url + path, method, json=body, raise_exc=False)
        if not raise_exc:
            return response
        if response.status_code >= 400:
            raise RuntimeError('%s %s: %s' % (method, path, response.text))
        return response.json() if response.content else None

    def snapshot(self, body):
        started = time.time()
        snap = self('POST', SNAPSHOTS, {'group_snapshot': body})[
            'group_snapshot']
        while snap['status'] not in ('available', 'error'):
            time.sleep(0.2)
            snap = self('GET', '%s/%s' % (SNAPSHOTS, snap['id']))[
                'group_snapshot']
        if snap['status'] != 'available':
            raise RuntimeError('snapshot %s: %s' % (snap['id'],
                                                    snap['error']))
        return snap, time.time() - started

    def delete(self, snap):
        self('DELETE', '%s/%s' % (SNAPSHOTS, snap['id']))


def _boot(demo, run):
    image = demo.image.find_image('guest', ignore_missing=False)
    flavor = demo.compute.find_flavor('m1.guest', ignore_missing=False)
    servers = [demo.compute.create_server(
        name='cs-bench-real-%s-%d' % (run, i), image_id=image.id,
        flavor_id=flavor.id, networks='none', availability_zone=host)
        for i, host in enumerate(HOSTS)]
    return [demo.compute.wait_for_server(s, wait=300) for s in servers]


def _wait_guest_agents(api, servers, timeout=120):
    """Until a quiesced snapshot of each guest really froze it."""
    deadline = time.time() + timeout
    for server in servers:
        while True:
            snap, _ = api.snapshot({'servers': [server.id], 'quiesce': True})
            api.delete(snap)
            if snap['members'][0]['consistency'] == 'filesystem':
                break
            if time.time() > deadline:
                raise RuntimeError('the guest agent of %s never answered'
                                   % server.name)
            time.sleep(2)


def _measure(members):
    frozen = [_epoch(m['frozen_at']) for m in members]
    return {
        'freeze_ms': [(_epoch(m['thawed_at']) - _epoch(m['frozen_at']))
                      * 1000 for m in members],
        'frozen_spread_ms': [(max(frozen) - min(frozen)) * 1000],
        'capture_ms': [(_epoch(m['fixed_at']) - _epoch(m['captured_at']))
                       * 1000 for m in members],
    }


def _round(api, servers, variant):
    ids = [s.id for s in servers]
    if variant == 'sequential':
        made, members, elapsed = [], [], 0.0
        for server_id in ids:
            snap, seconds = api.snapshot({'servers': [server_id],
                                          'quiesce': True})
            made.append(snap)
            members += snap['members']
            elapsed += seconds
    else:
        mode, _, hooks = variant.partition('+')
        snap, elapsed = api.snapshot({'servers': ids, 'quiesce': True,
                                      'consistent': True, 'mode': mode,
                                      'hooks': HOOKS if hooks else []})
        if hooks and snap['consistency'] != 'application':
            raise RuntimeError('hooks did not reach application: %s' % (
                [m['consistency_reason'] for m in snap['members']]))
        made, members = [snap], snap['members']
    for snap in made:
        api.delete(snap)
    figures = _measure(members)
    figures['end_to_end_ms'] = [elapsed * 1000]
    if made[0].get('hooks_window_ms') is not None:
        figures['hooks_window_ms'] = [made[0]['hooks_window_ms']]
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rounds', type=int, default=10)
    parser.add_argument('--variants', nargs='+', default=list(VARIANTS),
                        choices=VARIANTS)
    args = parser.parse_args()
    os.environ.update(cloud_plugin.env())
    demo = openstack.connect(cloud='minicloud-demo')
    api = Api(demo)
    run = '%x' % int(time.time())
    servers = _boot(demo, run)
    collected = {v: {} for v in args.variants}
    try:
        _wait_guest_agents(api, servers)
        for _ in range(args.rounds):
            for variant in args.variants:
                for key, values in _round(api, servers, variant).items():
                    collected[variant].setdefault(key, []).extend(values)
    finally:
        for server in servers:
            demo.compute.delete_server(server, ignore_missing=True)
    machine = {'cores': os.cpu_count(), 'load': os.getloadavg(),
               'python': platform.python_version(),
               'date': datetime.datetime.utcnow().isoformat() + 'Z'}
    summary = {v: {k: stats.summary(vals) for k, vals in figures.items()}
               for v, figures in collected.items()}
    print('machine: %(cores)s cores, load %(load)s, %(date)s' % machine)
    print('%-13s %-17s %9s %9s %9s %4s' % ('variant', 'figure (ms)', 'p50',
                                           'p95', 'max', 'n'))
    for variant, figures in summary.items():
        for key, s in figures.items():
            print('%-13s %-17s %9.1f %9.1f %9.1f %4d' % (
                variant, key, s['p50'], s['p95'], s['max'], s['n']))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / ('real-guests-%s.json' % run)
    out.write_text(json.dumps({'machine': machine, 'rounds': args.rounds,
                               'summary': summary, 'raw': collected},
                              indent=1))
    print('results: %s' % out)


if __name__ == '__main__':
    main()
