"""End to end beside Heat: a group snapshot and Heat's own stack snapshot.

Run with the project's venv, the test cloud up (``bash tests/run.sh --co
-q`` brings it up)::

    .venv/bin/python benchmarks/bench_heat.py --rounds 4

As the demo project, it creates one Heat stack of --servers servers (one
per fake compute host, compute-1..N) and an app group of that stack, then,
round after round on the same servers, times from the request to the
final status:

    heat          POST /stacks/{name}/{id}/snapshots, until COMPLETE
    cs-<mode>     POST /v1/group-snapshots, consistent in that mode, until
                  available

Both poll every 0.1 s. For each consistent-snap mode it also prints where
the time went, from what the snapshot recorded: request to T (resolving,
prepare, clock probes, the lead), T to the last point fixed (the capture
calls and Nova fixing the images), and the last point fixed to available
(waiting for the images to become active, then the final write). The
snapshots are deleted outside the timed window, and each deletion is
waited for before the next round; the stack is deleted at the end.
"""

import argparse
import datetime
import os
import pathlib
import statistics
import sys
import time

import openstack

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'tests' / 'cloud'))
import plugin as cloud_plugin  # noqa: E402

from bench_real_guests import _epoch  # noqa: E402
from bench_real_guests import Api  # noqa: E402

POLL_S = 0.1
WAIT_S = 300
MODES = ('shared_start', 'barrier')


def _stack(demo, run, servers):
    def server(i):
        return {'type': 'OS::Nova::Server',
                'properties': {'name': 'cs-bench-heat-%s-%d' % (run, i),
                               'image': 'tiny', 'flavor': 'm1.tiny',
                               'networks': [{'allocate_network': 'none'}],
                               'availability_zone': 'compute-%d' % i}}
    template = {'heat_template_version': '2018-08-31',
                'resources': {'server%d' % i: server(i)
                              for i in range(1, servers + 1)}}
    stack = demo.orchestration.create_stack(
        name='cs-bench-heat-%s' % run, template=template, timeout_mins=10)
    return demo.orchestration.wait_for_status(
        stack, 'CREATE_COMPLETE', failures=['CREATE_FAILED'], wait=WAIT_S)


def _until(read, done, what):
    deadline = time.monotonic() + WAIT_S
    while True:
        value = read()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise RuntimeError('%s still %s after %d s' % (what, value,
                                                           WAIT_S))
        time.sleep(POLL_S)


def heat_round(demo, stack):
    """Heat's stack snapshot: (seconds, its id)."""
    base = '/stacks/%s/%s/snapshots' % (stack.name, stack.id)
    started = time.time()
    made = demo.orchestration.post(base, json={'name': 'bench'}).json()

    def status():
        return demo.orchestration.get('%s/%s' % (base, made['id'])).json()[
            'snapshot']['status']
    final = _until(status, lambda s: s in ('COMPLETE', 'FAILED'),
                   'Heat snapshot')
    elapsed = time.time() - started
    if final != 'COMPLETE':
        raise RuntimeError('Heat snapshot %s: %s' % (made['id'], final))
    path = '%s/%s' % (base, made['id'])
    return elapsed, lambda: _delete(
        lambda method: demo.orchestration.request(path, method,
                                                  raise_exc=False),
        path, _not_found)


def _delete(request, path, gone):
    """request('DELETE'), then wait until gone(request('GET')).

    A deletion still running would load the cloud in the next round's
    timed window.
    """
    request('DELETE')
    _until(lambda: request('GET'), gone, 'the deletion of %s' % path)


def _not_found(response):
    return response.status_code == 404


def cs_round(api, group_id, mode):
    """A group snapshot: (seconds, {phase: seconds}, its delete)."""
    started = time.time()
    snap = api('POST', '/v1/group-snapshots', {'group_snapshot': {
        'app_group': group_id, 'consistent': True,
        'mode': mode}})['group_snapshot']
    path = '/v1/group-snapshots/%s' % snap['id']
    snap = _until(lambda: api('GET', path)['group_snapshot'],
                  lambda s: s['status'] in ('available', 'error'),
                  'group snapshot')
    elapsed = time.time() - started
    if snap['status'] != 'available':
        raise RuntimeError('group snapshot %s: %s' % (snap['id'],
                                                      snap['error']))
    fixed = max(_epoch(m['fixed_at']) for m in snap['members'])
    fence_at = _epoch(snap['fence_at'])
    phases = {'request to T': fence_at - started,
              'T to last fixed': fixed - fence_at,
              'last fixed to available': started + elapsed - fixed}

    def gone(response):
        return _not_found(response) or response.json()['group_snapshot'][
            'status'] in ('deleted', 'error')
    return elapsed, phases, lambda: _delete(
        lambda method: api(method, path, raise_exc=False), path, gone)


def _row(name, values):
    return '%-38s %3d %9.2f %9.2f %9.2f' % (
        name, len(values), statistics.median(values), min(values),
        max(values))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rounds', type=int, default=4)
    parser.add_argument('--servers', type=int, default=3, choices=(1, 2, 3))
    args = parser.parse_args()
    os.environ.update(cloud_plugin.env())
    demo = openstack.connect(cloud='minicloud-demo')
    api = Api(demo)
    run = '%x' % int(time.time())
    stack = _stack(demo, run, args.servers)
    group = api('POST', '/v1/app-groups', {'app_group': {
        'name': 'cs-bench-heat-%s' % run, 'source_type': 'heat',
        'source': {'stack': stack.id}}})['app_group']
    seconds = {'heat': []}
    seconds.update({'cs-' + mode: [] for mode in MODES})
    phases = {mode: {} for mode in MODES}
    try:
        for _ in range(args.rounds):
            elapsed, delete = heat_round(demo, stack)
            seconds['heat'].append(elapsed)
            delete()
            for mode in MODES:
                elapsed, parts, delete = cs_round(api, group['id'], mode)
                seconds['cs-' + mode].append(elapsed)
                for name, value in parts.items():
                    phases[mode].setdefault(name, []).append(value)
                delete()
    finally:
        api('DELETE', '/v1/app-groups/%s' % group['id'])
        demo.orchestration.delete_stack(stack, ignore_missing=True)
    print('%d servers on %d hosts, %d rounds, %s, load %.2f %.2f %.2f' % (
        args.servers, args.servers, args.rounds,
        datetime.datetime.now(datetime.timezone.utc).strftime(
            '%Y-%m-%d %H:%M UTC'), *os.getloadavg()))
    print('request to final (s)')
    print('%-38s %3s %9s %9s %9s' % ('variant', 'n', 'median', 'min', 'max'))
    for name, values in seconds.items():
        print(_row(name, values))
    heat = statistics.median(seconds['heat'])
    for mode in MODES:
        print('cs-%s / heat: %.2fx' % (
            mode, statistics.median(seconds['cs-' + mode]) / heat))
    print('where a group snapshot\'s time went (s)')
    for mode in MODES:
        for name, values in phases[mode].items():
            print(_row('%s: %s' % (mode, name), values))


if __name__ == '__main__':
    main()
