"""Restore as a set, beside restoring one VM after another, in one run.

Run with the project's venv, the test cloud up (``bash tests/run.sh --co
-q`` brings it up)::

    .venv/bin/python benchmarks/bench_restore.py --sizes 3 10 30

As the admin project (its compute quota raised for the run, then set
back), for each size N it boots N servers spread over the fake compute
hosts, each with a port on a network made for the run, takes one group
snapshot of them, and times from the request to the restore `available`
(every server ACTIVE with its port):

    group        one restore of all N members
    one-by-one   N restores of one member each, each requested when the
                 previous one is available: restoring VM after VM

It also prints the restore's own ready_s (from its creation to the last
member ACTIVE) and the mean of the one-member restores: the aim is a group
restore about as long as one member alone, not the sum. Restores are
deleted, and the deletion waited for, outside the timed windows.

With --verify, the same for verifications (POST .../verify: a restore on
isolated copies of the network, checked): from the request to the verdict,
the whole group's against each member verified on its own, one after the
other; each verification's own clean-up is waited for outside the windows.
With --real-guests, the servers are QEMU guests (image guest, flavor
m1.guest, no network) on compute-real and compute-real-2, whose
verification also waits for each restored guest's agent and reads its
kernel log through it: use --sizes 2.
"""

import argparse
import os
import pathlib
import sys
import time

import openstack

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'tests' / 'cloud'))
import plugin as cloud_plugin  # noqa: E402

from bench_heat import _delete  # noqa: E402
from bench_heat import _until  # noqa: E402
from bench_real_guests import Api  # noqa: E402

FAKE = {'hosts': ('compute-1', 'compute-2', 'compute-3'), 'image': 'tiny',
        'flavor': 'm1.tiny'}
REAL = {'hosts': ('compute-real', 'compute-real-2'), 'image': 'guest',
        'flavor': 'm1.guest'}


def _servers(admin, run, size, net, kind):
    image = admin.image.find_image(kind['image'], ignore_missing=False)
    flavor = admin.compute.find_flavor(kind['flavor'], ignore_missing=False)
    hosts = kind['hosts']
    servers = [admin.compute.create_server(
        name='cs-bench-restore-%s-%d' % (run, i), image_id=image.id,
        flavor_id=flavor.id,
        networks=[{'uuid': net.id}] if kind is FAKE else 'none',
        availability_zone=hosts[i % len(hosts)]) for i in range(size)]
    return [admin.compute.wait_for_server(s, wait=600) for s in servers]


def _restore(api, body):
    """(seconds from the request to available, the restore)."""
    started = time.time()
    restore = api('POST', '/v1/restores', {'restore': body})['restore']
    path = '/v1/restores/%s' % restore['id']
    restore = _until(lambda: api('GET', path)['restore'],
                     lambda r: r['status'] in ('available', 'error'),
                     'restore %s' % restore['id'])
    elapsed = time.time() - started
    if restore['status'] != 'available':
        raise RuntimeError('restore %s: %s' % (restore['id'],
                                               restore['error']))
    return elapsed, restore


def _verify(api, snapshot_id, members=None):
    """(seconds from the request to the verdict, the verification)."""
    started = time.time()
    restore = api('POST', '/v1/group-snapshots/%s/verify' % snapshot_id, {
        'verify': {'members': members} if members else {}})['restore']
    path = '/v1/restores/%s' % restore['id']
    restore = _until(lambda: api('GET', path)['restore'],
                     lambda r: r['verdict'] is not None,
                     'verification %s' % restore['id'])
    elapsed = time.time() - started
    if restore['verdict'] != 'passed':
        raise RuntimeError('verification %s: %s' % (restore['id'],
                                                    restore['error']))
    _until(lambda: api('GET', path)['restore'],
           lambda r: r['status'] in ('deleted', 'error'),
           'clean-up of verification %s' % restore['id'])
    return elapsed, restore


def _delete_restore(api, restore):
    path = '/v1/restores/%s' % restore['id']
    _delete(lambda method: api(method, path, raise_exc=False), path,
            lambda r: r.json()['restore']['status'] in ('deleted', 'error'))


def measure(admin, api, run, size, net, verify=False, kind=FAKE):
    servers = _servers(admin, run, size, net, kind)
    snap = None
    try:
        snap = api('POST', '/v1/group-snapshots', {'group_snapshot': {
            'servers': [s.id for s in servers], 'consistent': True,
            'mode': 'barrier'}})['group_snapshot']
        path = '/v1/group-snapshots/%s' % snap['id']
        snap = _until(lambda: api('GET', path)['group_snapshot'],
                      lambda s: s['status'] in ('available', 'error'),
                      'group snapshot')
        if snap['status'] != 'available':
            raise RuntimeError('group snapshot: %s' % snap['error'])

        def timed(members=None):
            if verify:
                return _verify(api, snap['id'], members)
            body = {'group_snapshot': snap['id']}
            if members:
                body['members'] = members
            elapsed, restore = _restore(api, body)
            _delete_restore(api, restore)
            return elapsed, restore
        group, restore = timed()
        one_by_one = sum(timed([server.id])[0] for server in servers)
        return group, restore['ready_s'], one_by_one
    finally:
        if snap:
            api('DELETE', '/v1/group-snapshots/%s' % snap['id'],
                raise_exc=False)
        for server in servers:
            admin.compute.delete_server(server, ignore_missing=True)
        for server in servers:
            admin.compute.wait_for_delete(server, wait=600)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sizes', type=int, nargs='+', default=[3, 10, 30])
    parser.add_argument('--verify', action='store_true',
                        help='Time verifications instead of restores')
    parser.add_argument('--real-guests', action='store_true',
                        help='QEMU guests on the libvirt hosts')
    args = parser.parse_args()
    kind = REAL if args.real_guests else FAKE
    os.environ.update(cloud_plugin.env())
    admin = openstack.connect(cloud='minicloud')
    api = Api(admin)
    run = '%x' % int(time.time())
    project = admin.current_project_id
    before = admin.compute.get_quota_set(project)
    room = 2 * max(args.sizes) + 10
    admin.compute.put('/os-quota-sets/%s' % project, json={'quota_set': {
        'instances': max(before.instances, room),
        'cores': max(before.cores, room)}}).raise_for_status()
    net = admin.network.create_network(name='cs-bench-restore-%s' % run)
    rows = []
    try:
        admin.network.create_subnet(network_id=net.id, ip_version=4,
                                    cidr='10.77.0.0/22', name=net.name)
        for size in args.sizes:
            rows.append((size,) + measure(admin, api, run, size, net,
                                          args.verify, kind))
    finally:
        for port in admin.network.ports(network_id=net.id):
            if not port.device_owner.startswith('network:'):
                admin.network.delete_port(port)
        admin.network.delete_network(net)
        admin.compute.put('/os-quota-sets/%s' % project, json={
            'quota_set': {'instances': before.instances,
                          'cores': before.cores}})
    print('\n%s (seconds), %s' % (
        'verification, request to the verdict' if args.verify else
        'restore, request to every server ACTIVE',
        'QEMU guests on %s' % ' and '.join(kind['hosts'])
        if args.real_guests else 'servers with a port each, on %d fake '
        'compute hosts' % len(kind['hosts'])))
    print('%7s %9s %9s %11s %14s %9s' % (
        'members', 'group', 'ready_s', 'one-by-one', 'one alone mean',
        'ratio'))
    for size, group, ready, one_by_one in rows:
        print('%7d %9.1f %9.1f %11.1f %14.1f %8.1fx' % (
            size, group, ready, one_by_one, one_by_one / size,
            one_by_one / group))


if __name__ == '__main__':
    main()
