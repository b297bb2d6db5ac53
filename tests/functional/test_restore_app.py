"""Restore a Heat app with its network, volume and server group; and faults.

The app: a Heat stack of three servers in an anti-affinity server group,
each with a port on demo-net (a real Neutron network with a subnet), one
of them with a 1 GiB volume attached, all with the app's metadata. It is
snapshotted once, with its volume; then:

- the plan finds nothing wrong, and the restore brings up three new ACTIVE
  servers in a new group of the same policy, each with a port on demo-net,
  the volume restored from its snapshot and attached to the right server;
  deleting the restore removes all of it, and nothing else;
- in place, the same servers come back with their ids and addresses; a
  volume Cinder could not revert is refused by the plan;
- --keep-ips is refused on demo-net, naming the addresses taken, and keeps
  every address in a copy of it;
- faults end the restore in error with nothing left behind: an image
  deleted after the plan, the project's quota exhausted by a concurrent
  restore, two restores racing for the same fixed IPs, the coordinator
  killed mid-restore and started again.
"""

import concurrent.futures
import os
import signal
import time
import uuid

import pytest

from tests.functional import test_cli
from tests.functional import test_restore

DEMO = test_cli.DEMO
LABEL = test_restore.LABEL
WAIT = test_restore.WAIT
_wait_restore = test_restore._wait_restore
cli = test_restore.cli
admin_conn = test_restore.admin_conn


def _template(name, net_id):
    server = {'type': 'OS::Nova::Server', 'properties': {
        'name': '%s-%%index%%' % name, 'image': 'tiny', 'flavor': 'm1.tiny',
        'networks': [{'network': net_id}],
        'scheduler_hints': {'group': {'get_resource': 'group'}},
        'metadata': {'app': name, 'tier': 'web'}}}
    return {
        'heat_template_version': '2018-08-31',
        'resources': {
            'group': {'type': 'OS::Nova::ServerGroup', 'properties': {
                'name': name, 'policies': ['anti-affinity']}},
            'web': {'type': 'OS::Heat::ResourceGroup', 'properties': {
                'count': 3, 'resource_def': server}},
            'data': {'type': 'OS::Cinder::Volume', 'properties': {
                'name': '%s-data' % name, 'size': 1}},
            'attach': {'type': 'OS::Cinder::VolumeAttachment',
                       'properties': {
                           'instance_uuid': {'get_attr': ['web', 'refs', 0]},
                           'volume_id': {'get_resource': 'data'}}}}}


@pytest.fixture(scope='module')
def heat_app(demo, run_id):
    name = 'cs-rapp-%s' % run_id
    net = demo.network.find_network('demo-net', ignore_missing=False,
                                    project_id=demo.current_project_id)
    stack = demo.orchestration.create_stack(
        name=name, template=_template(name, net.id), timeout_mins=10)
    try:
        stack = demo.orchestration.wait_for_status(
            stack, 'CREATE_COMPLETE', failures=['CREATE_FAILED'], wait=WAIT)
        servers = [s for s in demo.compute.servers()
                   if s.name.startswith(name + '-')]
        volume = demo.block_storage.find_volume(name + '-data',
                                                ignore_missing=False)
        assert len(servers) == 3, servers
        yield {'name': name, 'net': net, 'servers': servers,
               'volume': volume}
    finally:
        demo.orchestration.delete_stack(stack, ignore_missing=True)
        demo.orchestration.wait_for_delete(stack, wait=WAIT)


@pytest.fixture(scope='module')
def app_snapshot(cli, heat_app):
    cli.json(DEMO, 'appgroup', 'create', heat_app['name'], '--heat-stack',
             heat_app['name'], '--include-volumes')
    snap = cli.json(DEMO, 'appgroup', 'snapshot', 'create', heat_app['name'],
                    '--consistent', '--mode', 'barrier', '--wait')
    try:
        assert snap['status'] == 'available', snap
        yield snap
    finally:
        cli.run(DEMO, 'appgroup', 'snapshot', 'delete', snap['id'])
        cli.run(DEMO, 'appgroup', 'delete', heat_app['name'])


def _left(admin_conn, restore):
    """Everything in the cloud carrying the restore's label or plan name."""
    project = restore['project_id']
    label = restore['id']
    left = ['server %s' % s.id for s in admin_conn.compute.servers(
        all_projects=True, project_id=project)
        if (s.metadata or {}).get(LABEL) == label]
    left += ['volume %s' % v.id for v in admin_conn.block_storage.volumes(
        all_projects=True, project_id=project)
        if (v.metadata or {}).get(LABEL) == label]
    left += ['port %s' % p.id for p in admin_conn.network.ports(
        project_id=project) if p.description == '%s=%s' % (LABEL, label)]
    left += ['network %s' % n.id for n in admin_conn.network.networks(
        project_id=project) if n.description == '%s=%s' % (LABEL, label)]
    groups = (restore.get('plan') or {}).get('server_groups') or ()
    left += ['server group %s' % g.id
             for g in admin_conn.compute.server_groups(all_projects=True)
             if g.project_id == project and g.name in groups]
    return left


def _delete(cli, restore_id):
    restore = cli.json(DEMO, 'appgroup', 'restore', 'show', restore_id)
    if restore['status'] in ('available', 'error'):
        cli.ok(DEMO, 'appgroup', 'restore', 'delete', restore_id, '--wait')


def test_the_app_comes_back_with_its_network_volume_and_group(
        cli, admin_conn, demo, heat_app, app_snapshot):
    plan = cli.json(DEMO, 'appgroup', 'restore', 'create',
                    app_snapshot['id'], '--plan')
    assert plan['ok'] is True, plan['plan']['problems']
    stages = [s['stage'] for s in plan['plan']['steps']]
    assert stages == (['server_group'] + ['ports'] * 3 + ['volumes'] +
                      ['servers'] * 3 + ['attachments'])

    restore = cli.json(DEMO, 'appgroup', 'restore', 'create',
                       app_snapshot['id'], '--wait')
    try:
        assert restore['status'] == 'available', restore
        originals = {s.id: s for s in heat_app['servers']}
        new_ids = {m['server_id']: m['new_server_id']
                   for m in restore['members']}
        assert sorted(new_ids) == sorted(originals)
        restored = {old: demo.compute.get_server(new)
                    for old, new in new_ids.items()}
        assert {s.status for s in restored.values()} == {'ACTIVE'}
        [group] = [g for g in demo.compute.server_groups()
                   if g.name in restore['plan']['server_groups']]
        assert group.policy == 'anti-affinity'
        assert sorted(group.member_ids) == sorted(new_ids.values())
        for old, server in restored.items():
            assert server.metadata['app'] == heat_app['name']
            assert server.metadata['tier'] == 'web'
            [port] = list(demo.network.ports(device_id=server.id))
            assert port.network_id == heat_app['net'].id
            assert port.fixed_ips and port.status == 'ACTIVE'
            [original_port] = list(demo.network.ports(device_id=old))
            # A new copy beside the original: its own addresses.
            assert port.mac_address != original_port.mac_address
            attached = [a['id'] for a in server.attached_volumes]
            if heat_app['volume'].id in [
                    a['id'] for a in originals[old].attached_volumes]:
                [volume_id] = attached
                volume = demo.block_storage.get_volume(volume_id)
                assert volume.status == 'in-use'
                assert volume.size == heat_app['volume'].size
                assert volume.snapshot_id in {
                    a['id'] for m in app_snapshot['members']
                    for a in m['artifacts']
                    if a['type'] == 'volume_snapshot'}
            else:
                assert attached == []
        cli.ok(DEMO, 'appgroup', 'restore', 'delete', restore['id'],
               '--wait')
        assert _left(admin_conn, restore) == []
        for server in heat_app['servers']:
            assert demo.compute.get_server(server.id).status == 'ACTIVE'
        assert demo.block_storage.get_volume(
            heat_app['volume'].id).status == 'in-use'
    finally:
        _delete(cli, restore['id'])


def _lone_snapshot(cli, demo, heat_app):
    """A snapshot of its own of a server with no volume: (server, it)."""
    server = next(s for s in heat_app['servers']
                  if not demo.compute.get_server(s.id).attached_volumes)
    return server, cli.json(DEMO, 'appgroup', 'snapshot', 'create',
                            '--server', server.id, '--no-include-volumes',
                            '--wait')


def test_an_image_deleted_after_the_plan_is_refused_creating_nothing(
        cli, admin_conn, demo, heat_app):
    # A snapshot of its own, of a server with no volume (taken without
    # volumes, one with a volume would be refused for that): its image is
    # deleted.
    server, snap = _lone_snapshot(cli, demo, heat_app)
    try:
        assert snap['status'] == 'available', snap
        plan = cli.json(DEMO, 'appgroup', 'restore', 'create', snap['id'],
                        '--plan')
        assert plan['ok'] is True, plan
        [image] = [a['id'] for a in snap['members'][0]['artifacts']
                   if a['type'] == 'image']
        demo.image.delete_image(image)
        # The restore's own plan, made before it is created, refuses it.
        stderr = cli.fails(DEMO, 'appgroup', 'restore', 'create',
                           snap['id'])
        assert 'image %s of this group snapshot no longer exists' % (
            image) in stderr
        assert cli.json(DEMO, 'appgroup', 'restore', 'list',
                        '--group-snapshot', snap['id']) == []
        assert [s.id for s in admin_conn.compute.servers(all_projects=True)
                if (s.metadata or {}).get(LABEL)] == [], 'a server was made'
    finally:
        cli.run(DEMO, 'appgroup', 'snapshot', 'delete', snap['id'])


def test_in_place_brings_back_the_same_servers_and_volume(
        cli, demo, heat_app, app_snapshot):
    before = {s.id: (demo.compute.get_server(s.id), [
        (p.id, p.mac_address, p.fixed_ips)
        for p in demo.network.ports(device_id=s.id)])
        for s in heat_app['servers']}
    images = {m['server_id']: a['id'] for m in app_snapshot['members']
              for a in m['artifacts'] if a['type'] == 'image'}
    plan = cli.json(DEMO, 'appgroup', 'restore', 'create',
                    app_snapshot['id'], '--mode', 'in-place', '--plan')
    assert plan['ok'] is True, plan['plan']['problems']
    assert [s['stage'] for s in plan['plan']['steps']] == (
        ['stop'] * 3 + ['detach', 'revert'] + ['rebuild'] * 3 +
        ['attachments'] + ['start'] * 3)
    restore = cli.json(DEMO, 'appgroup', 'restore', 'create',
                       app_snapshot['id'], '--mode', 'in-place', '--wait')
    assert restore['status'] == 'available', restore
    assert restore['resources'] == []
    for server_id, (old, ports) in before.items():
        server = demo.compute.get_server(server_id)
        assert server.status == 'ACTIVE'
        # Rebuilt from the member's own image, with all it had.
        assert server.image['id'] == images[server_id]
        assert (server.name, server.metadata) == (old.name, old.metadata)
        assert [a['id'] for a in server.attached_volumes] == [
            a['id'] for a in old.attached_volumes]
        assert [(p.id, p.mac_address, p.fixed_ips) for p in
                demo.network.ports(device_id=server_id)] == ports
    assert demo.block_storage.get_volume(heat_app['volume'].id).status == (
        'in-use')
    steps = {s['step'] for m in restore['members'] for s in m['steps']}
    assert steps == {'stop', 'detach', 'revert', 'rebuild', 'attachments',
                     'start'}
    # It made nothing: deleting it leaves the servers as they are.
    cli.ok(DEMO, 'appgroup', 'restore', 'delete', restore['id'], '--wait')
    for server_id in before:
        assert demo.compute.get_server(server_id).status == 'ACTIVE'


def test_in_place_is_refused_when_cinder_could_not_revert(
        cli, demo, heat_app, app_snapshot):
    volume = heat_app['volume']
    later = demo.block_storage.create_snapshot(
        volume_id=volume.id, force=True, name='cs-later-%s' % uuid.uuid4(
        ).hex[:8])
    try:
        demo.block_storage.wait_for_status(later, 'available',
                                           failures=['error'], wait=WAIT)
        stderr = cli.fails(DEMO, 'appgroup', 'restore', 'create',
                           app_snapshot['id'], '--mode', 'in-place',
                           '--network-map', 'a=b')
        assert 'volume %s has a later snapshot (%s)' % (
            volume.id, later.id) in stderr
        assert '--network-map: only for a restore as a new copy' in stderr
    finally:
        demo.block_storage.delete_snapshot(later)
        demo.block_storage.wait_for_delete(later, wait=WAIT)


def _concurrent_restores(cli, snapshot_id, *args):
    """Two restores of one snapshot started together; both, once final."""
    def start(_):
        return cli.json(DEMO, 'appgroup', 'restore', 'create', snapshot_id,
                        *args)['id']
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        ids = list(pool.map(start, range(2)))
    return [_wait_restore(cli, i, ('available', 'error')) for i in ids]


def _only_whole_or_nothing(cli, admin_conn, restores, cloud_says):
    """At least one failed on the cloud's refusal; each is all or nothing."""
    failed = [r for r in restores if r['status'] == 'error']
    assert failed, 'both restores succeeded: %s' % restores
    for restore in failed:
        assert any(s in restore['error'] for s in cloud_says), restore[
            'error']
        assert all(r['deleted'] for r in restore['resources']), restore
        assert _left(admin_conn, restore) == []
    for restore in restores:
        if restore['status'] == 'available':
            assert len(restore['members']) == 3
            _delete(cli, restore['id'])
            assert _left(admin_conn, restore) == []


def test_quota_exhausted_mid_restore_leaves_nothing(cli, admin_conn, demo,
                                                    app_snapshot):
    # Room for one restore's three servers: both plans pass, and Nova
    # refuses whichever servers come after the third.
    project = demo.current_project_id
    before = admin_conn.compute.get_quota_set(project, usage=True)

    def instances(limit):
        admin_conn.compute.put('/os-quota-sets/%s' % project, json={
            'quota_set': {'instances': limit}}).raise_for_status()
    instances(before.usage['instances'] + 3)
    try:
        restores = _concurrent_restores(cli, app_snapshot['id'])
    finally:
        instances(before.instances)
    _only_whole_or_nothing(cli, admin_conn, restores,
                           ('Quota exceeded', 'quota'))


@pytest.fixture(scope='module')
def net_copy(demo, heat_app):
    """A copy of demo-net: another network, a subnet of the same CIDR."""
    original = heat_app['net']
    copy = demo.network.create_network(name='cs-copy-%s' % uuid.uuid4().hex[
        :8])
    try:
        subnet = next(demo.network.subnets(network_id=original.id))
        demo.network.create_subnet(network_id=copy.id, ip_version=4,
                                   cidr=subnet.cidr, name=copy.name)
        yield copy
    finally:
        for port in demo.network.ports(network_id=copy.id):
            if not port.device_owner.startswith('network:'):
                demo.network.delete_port(port)
        demo.network.delete_network(copy)


def _ports(demo, heat_app):
    return {s.id: next(demo.network.ports(device_id=s.id))
            for s in heat_app['servers']}


def test_keep_ips_on_the_original_network_is_refused_naming_them(
        cli, demo, heat_app, app_snapshot):
    stderr = cli.fails(DEMO, 'appgroup', 'restore', 'create',
                       app_snapshot['id'], '--keep-ips')
    for port in _ports(demo, heat_app).values():
        assert port.fixed_ips[0]['ip_address'] in stderr, stderr
        assert 'MAC %s' % port.mac_address in stderr, stderr


def test_keep_ips_into_a_copy_of_the_network_keeps_every_address(
        cli, demo, heat_app, app_snapshot, net_copy):
    restore = cli.json(DEMO, 'appgroup', 'restore', 'create',
                       app_snapshot['id'], '--keep-ips', '--network-map',
                       '%s=%s' % (heat_app['net'].name, net_copy.id),
                       '--wait')
    try:
        assert restore['status'] == 'available', restore
        originals = _ports(demo, heat_app)
        for member in restore['members']:
            old = originals[member['server_id']]
            [new] = list(demo.network.ports(
                device_id=member['new_server_id']))
            assert new.network_id == net_copy.id
            assert (new.fixed_ips[0]['ip_address'], new.mac_address) == (
                old.fixed_ips[0]['ip_address'], old.mac_address)
        cli.ok(DEMO, 'appgroup', 'restore', 'delete', restore['id'], '--wait')
        assert [p.id for p in demo.network.ports(network_id=net_copy.id)
                if not p.device_owner.startswith('network:')] == []
    finally:
        _delete(cli, restore['id'])


def test_two_restores_racing_for_the_same_fixed_ips(cli, admin_conn,
                                                    heat_app, app_snapshot,
                                                    net_copy):
    restores = _concurrent_restores(
        cli, app_snapshot['id'], '--keep-ips', '--network-map',
        '%s=%s' % (heat_app['net'].id, net_copy.id))
    _only_whole_or_nothing(cli, admin_conn, restores, (
        'already allocated', 'in use', 'IpAddressAlreadyAllocated',
        'MacAddressInUse'))


@pytest.mark.parametrize('command', [('restore', 'create'),
                                     ('snapshot', 'verify')])
def test_coordinator_killed_mid_restore_is_undone_once_restarted(
        test_cloud, cli, admin_conn, app_snapshot, command):
    # A restore, and a verification (a restore too, with its networks).
    restore = cli.json(DEMO, 'appgroup', *command, app_snapshot['id'])
    deadline = time.monotonic() + WAIT
    while not (restore['status'] == 'restoring' and restore['resources']):
        assert restore['status'] in ('pending', 'restoring'), restore
        assert time.monotonic() < deadline, restore
        time.sleep(0.2)
        restore = cli.json(DEMO, 'appgroup', 'restore', 'show',
                           restore['id'])
    pid = int((test_cloud.CS_DIR / 'run' / 'coordinator.pid').read_text())
    os.killpg(pid, signal.SIGKILL)
    test_cloud.stop('coordinator')  # Clears the pid file of the dead one.
    test_cloud.start_daemons()
    restore = _wait_restore(cli, restore['id'], ('available', 'error'))
    assert restore['status'] == 'error', restore
    assert 'the coordinator driving it stopped' in restore['error']
    deadline = time.monotonic() + WAIT
    while not all(r['deleted'] for r in restore['resources']):
        assert time.monotonic() < deadline, restore
        time.sleep(1)
        restore = cli.json(DEMO, 'appgroup', 'restore', 'show',
                           restore['id'])
    assert 'could not delete' not in restore['error'], restore['error']
    assert _left(admin_conn, restore) == []
    assert restore['verdict'] == ('failed' if restore['mode'] == 'verify'
                                  else None)


def test_a_verification_restores_an_isolated_copy_checks_it_and_goes(
        cli, admin_conn, demo, heat_app, app_snapshot):
    plan = cli.json(DEMO, 'appgroup', 'snapshot', 'verify',
                    app_snapshot['id'], '--plan')
    assert [s['stage'] for s in plan['plan']['steps']] == (
        ['networks', 'server_group'] + ['ports'] * 3 + ['volumes'] +
        ['servers'] * 3 + ['attachments'] + ['checks'] * 3)
    verification = cli.json(DEMO, 'appgroup', 'snapshot', 'verify',
                            app_snapshot['id'], '--keep-for', '10m',
                            '--wait')
    try:
        assert (verification['status'], verification['verdict']) == (
            'available', 'passed'), verification
        assert verification['keep_until'] and verification['ready_s'] > 0
        [copy] = [n for n in demo.network.networks()
                  if n.name in verification['plan']['networks']]
        cidrs = [sorted(s.cidr for s in demo.network.subnets(network_id=n))
                 for n in (copy.id, heat_app['net'].id)]
        assert cidrs[0] == cidrs[1]
        # On no router: nothing routes between the copy and production.
        assert [p.id for p in admin_conn.network.ports(network_id=copy.id)
                if p.device_owner.startswith('network:router')] == []
        originals = _ports(demo, heat_app)
        for member in verification['members']:
            # The fake hosts reach no guest agent: skipped, not failed.
            assert [(c['check'], c['passed']) for c in member['checks']] == [
                ('server_active', True), ('guest_agent', None)], member
            old = originals[member['server_id']]
            [new] = list(demo.network.ports(
                device_id=member['new_server_id']))
            assert new.network_id == copy.id
            # The recorded addresses, valid on the copy, clashing with
            # nothing: production keeps its own.
            assert (new.fixed_ips[0]['ip_address'], new.mac_address) == (
                old.fixed_ips[0]['ip_address'], old.mac_address)
            assert demo.network.get_port(old.id).device_id == member[
                'server_id']
        snap = cli.json(DEMO, 'appgroup', 'snapshot', 'show',
                        app_snapshot['id'])
        assert snap['verification']['status'] == 'passed'
        assert snap['verification']['restore_id'] == verification['id']
        cli.ok(DEMO, 'appgroup', 'restore', 'delete', verification['id'],
               '--wait')
        assert _left(admin_conn, verification) == []
        for server in heat_app['servers']:
            assert demo.compute.get_server(server.id).status == 'ACTIVE'
    finally:
        _delete(cli, verification['id'])


def test_a_verification_deletes_its_copy_and_fails_on_a_deleted_image(
        cli, admin_conn, demo, heat_app):
    server, snap = _lone_snapshot(cli, demo, heat_app)
    try:
        passed = cli.json(DEMO, 'appgroup', 'snapshot', 'verify', snap['id'],
                          '--wait')
        # Without --keep-for, gone as soon as it has its verdict.
        assert (passed['status'], passed['verdict']) == ('deleted',
                                                         'passed'), passed
        assert _left(admin_conn, passed) == []
        [image] = [a['id'] for a in snap['members'][0]['artifacts']
                   if a['type'] == 'image']
        demo.image.delete_image(image)
        stderr = cli.fails(DEMO, 'appgroup', 'snapshot', 'verify',
                           snap['id'], '--wait')
        assert '%s (server %s): image %s of this group snapshot no longer ' \
            'exists' % (server.name, server.id, image) in stderr, stderr
        shown = cli.json(DEMO, 'appgroup', 'snapshot', 'show', snap['id'])
        verification = shown['verification']
        assert verification['status'] == 'failed', verification
        assert image in verification['error']
        failed = cli.json(DEMO, 'appgroup', 'restore', 'show',
                          verification['restore_id'])
        # Failed before anything was made.
        assert (failed['status'], failed['resources']) == ('error', [])
    finally:
        cli.run(DEMO, 'appgroup', 'snapshot', 'delete', snap['id'])
