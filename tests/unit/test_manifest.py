"""The manifest builder, on openstacksdk resources made from payloads.

Every payload below is shaped exactly as the real API returns it (Nova
GET /servers/detail at microversion 2.96 and GET /os-server-groups at
2.64, Cinder GET /volumes/detail at 3.x, Neutron GET /v2.0/ports and
/v2.0/networks, Heat GET .../resources?nested_depth=N), trimmed to the
fields the builder reads and a few beside them. The connection is faked:
it is the cloud, the boundary a unit test cannot run.
"""

import threading
import types

from openstack.block_storage.v3 import volume as sdk_volume
from openstack.compute.v2 import flavor as sdk_flavor
from openstack.compute.v2 import server as sdk_server
from openstack.compute.v2 import server_group as sdk_server_group
from openstack.network.v2 import network as sdk_network
from openstack.network.v2 import port as sdk_port

from consistent_snap import manifest
from consistent_snap import members
from consistent_snap.osc.v1 import group_snapshot
from consistent_snap.resolvers import heat

PROJECT = '6f70656e737461636b20726f636b7321'
IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b'
NET = '3a1f0b1e-8a0c-4c47-9a2b-7d2a3e0c5b11'
SUBNET = 'b1d2e3f4-0a1b-4c2d-8e3f-4a5b6c7d8e9f'
VOL_ROOT = 'a4e5c1f2-0b3d-4e6f-8a9b-1c2d3e4f5a6b'
VOL_DATA = 'c7d8e9f0-1a2b-4c3d-9e4f-5a6b7c8d9e0f'


def _server(server_id, image=IMAGE, volumes=(), root='/dev/vda'):
    # GET /servers/detail, microversion 2.96, as the admin service user.
    return sdk_server.Server.existing(**{
        'id': server_id, 'name': 'web-' + server_id[:4], 'status': 'ACTIVE',
        'tenant_id': PROJECT, 'user_id': 'u', 'hostId': 'h',
        'OS-EXT-SRV-ATTR:host': 'compute-1',
        'OS-EXT-SRV-ATTR:root_device_name': root,
        'OS-EXT-AZ:availability_zone': 'compute-1',
        'OS-EXT-STS:power_state': 1, 'OS-EXT-STS:vm_state': 'active',
        'image': ({'id': image, 'links': [
            {'rel': 'bookmark',
             'href': 'http://nova/images/%s' % image}]} if image else ''),
        'flavor': {'vcpus': 2, 'ram': 2048, 'disk': 20, 'ephemeral': 1,
                   'swap': 512, 'original_name': 'm1.small',
                   'extra_specs': {'hw:cpu_policy': 'shared'}},
        'key_name': 'ops', 'metadata': {'tier': 'web'},
        'tags': ['shop', 'web'], 'locked': False,
        'security_groups': [{'name': 'default'}, {'name': 'web'},
                            {'name': 'default'}],
        'os-extended-volumes:volumes_attached': [
            {'id': v, 'delete_on_termination': False} for v in volumes],
        'addresses': {}, 'config_drive': '', 'description': None})


def _volume(volume_id, server_id, device, bootable, group_id=None):
    # GET /volumes/detail, Cinder 3.x.
    return sdk_volume.Volume.existing(**{
        'id': volume_id, 'name': '', 'size': 10, 'status': 'in-use',
        'volume_type': 'lvmdriver-1', 'bootable': bootable,
        'group_id': group_id, 'multiattach': False,
        'os-vol-tenant-attr:tenant_id': PROJECT,
        'attachments': [{
            'id': volume_id, 'attachment_id': 'att-' + volume_id[:4],
            'volume_id': volume_id, 'server_id': server_id,
            'host_name': 'compute-1', 'device': device,
            'attached_at': '2026-12-03T09:00:00.000000'}]})


def _port(server_id):
    # GET /v2.0/ports?device_id=...
    return sdk_port.Port.existing(**{
        'id': 'p-' + server_id[:4], 'name': '', 'network_id': NET,
        'tenant_id': PROJECT, 'project_id': PROJECT,
        'mac_address': 'fa:16:3e:12:34:56', 'admin_state_up': True,
        'status': 'ACTIVE', 'device_id': server_id,
        'device_owner': 'compute:compute-1',
        'fixed_ips': [{'subnet_id': SUBNET, 'ip_address': '10.0.0.5'}],
        'port_security_enabled': True, 'security_groups': ['sg-1'],
        'binding:host_id': 'compute-1', 'binding:vif_type': 'ovs'})


def _group(*member_ids):
    # GET /os-server-groups?all_projects=True, microversion 2.64.
    return sdk_server_group.ServerGroup.existing(**{
        'id': 'sg-' + member_ids[0][:4], 'name': 'shop-anti',
        'policy': 'anti-affinity', 'rules': {},
        'members': list(member_ids), 'project_id': PROJECT, 'user_id': 'u'})


def _facts(**overrides):
    facts = {'volumes': {}, 'flavor_ids': {'m1.small': '2'},
             'server_groups': [], 'ports': [], 'network_names': {},
             'origin': None, 'incomplete': []}
    facts.update(overrides)
    return facts


def test_an_image_backed_server_with_a_port_a_group_and_a_volume():
    server = _server('11111111-aaaa', volumes=[VOL_DATA])
    data = _volume(VOL_DATA, server.id, '/dev/vdb', 'false', group_id='cg1')
    built = manifest.build(server, _facts(
        volumes={VOL_DATA: data},
        server_groups=[_group('99999999-other'), _group(server.id, 'x')],
        ports=[_port(server.id)], network_names={NET: 'private'}))
    assert built == {
        'manifest_version': 1, 'name': 'web-1111', 'server_id': server.id,
        'flavor': {'id': '2', 'name': 'm1.small', 'vcpus': 2, 'ram': 2048,
                   'disk': 20, 'ephemeral': 1, 'swap': 512,
                   'extra_specs': {'hw:cpu_policy': 'shared'}},
        'image_id': IMAGE, 'boot_volume_id': None,
        'availability_zone': 'compute-1', 'key_name': 'ops',
        'security_groups': ['default', 'web'],
        'metadata': {'tier': 'web'}, 'tags': ['shop', 'web'],
        'server_group': {'id': 'sg-1111', 'name': 'shop-anti',
                         'policy': 'anti-affinity',
                         'members': [server.id, 'x']},
        'ports': [{'id': 'p-1111', 'network_id': NET,
                   'network_name': 'private',
                   'mac_address': 'fa:16:3e:12:34:56',
                   'fixed_ips': [{'subnet_id': SUBNET,
                                  'ip_address': '10.0.0.5'}],
                   'port_security_enabled': True,
                   'security_group_ids': ['sg-1']}],
        'volumes': [{'id': VOL_DATA, 'size': 10,
                     'volume_type': 'lvmdriver-1', 'device': '/dev/vdb',
                     'boot_index': None, 'bootable': False,
                     'group_id': 'cg1'}],
        'heat': None}


def test_a_volume_backed_server_boots_from_its_root_device_volume():
    server = _server('22222222-bbbb', image=None,
                     volumes=[VOL_DATA, VOL_ROOT])
    # Both bootable: the root device, not the first listed, decides.
    volumes = {VOL_ROOT: _volume(VOL_ROOT, server.id, '/dev/vda', 'true'),
               VOL_DATA: _volume(VOL_DATA, server.id, '/dev/vdb', 'true')}
    built = manifest.build(server, _facts(volumes=volumes))
    assert built['image_id'] is None
    assert built['boot_volume_id'] == VOL_ROOT
    assert [(v['id'], v['boot_index'], v['bootable'])
            for v in built['volumes']] == [(VOL_DATA, None, True),
                                           (VOL_ROOT, 0, True)]
    assert 'incomplete' not in built


def test_a_deleted_flavor_has_no_id_and_no_ports_is_an_empty_list():
    built = manifest.build(_server('33333333-cccc'), _facts(flavor_ids={}))
    assert built['flavor']['id'] is None
    assert built['flavor']['name'] == 'm1.small'
    assert built['ports'] == [] and built['server_group'] is None
    assert 'incomplete' not in built


def test_what_could_not_be_read_is_named():
    server = _server('44444444-dddd', volumes=[VOL_DATA])
    built = manifest.build(server, _facts(
        incomplete=['ports: 503 Service Unavailable']))
    assert built['volumes'][0]['size'] is None
    assert built['incomplete'] == [
        'ports: 503 Service Unavailable',
        'volumes: could not read %s' % VOL_DATA]


class _Cloud:
    """The service's connection: Nova, Neutron, Cinder as fixed payloads."""

    def __init__(self, servers, volumes=(), fail_ports=False):
        self.servers = servers
        self.volumes = {v.id: v for v in volumes}
        self.fail_ports = fail_ports
        self.threads = set()
        self.compute = self.network = self.block_storage = self

    def _seen(self):
        self.threads.add(threading.current_thread().name)

    def flavors(self, details, is_public):
        self._seen()
        return [sdk_flavor.Flavor.existing(id='2', name='m1.small')]

    def server_groups(self, all_projects):
        self._seen()
        group = _group(*[s.id for s in self.servers])
        other = sdk_server_group.ServerGroup.existing(
            id='elsewhere', name='n', policy='affinity',
            members=[s.id for s in self.servers], project_id='other')
        return [other, group]

    def ports(self, device_id):
        self._seen()
        if self.fail_ports:
            raise RuntimeError('Neutron: 503')
        return [_port(device_id)]

    def networks(self, id):
        self._seen()
        return [sdk_network.Network.existing(id=i, name='private')
                for i in id]

    def get_volume(self, volume_id):
        self._seen()
        return self.volumes[volume_id]


class _Inventory(members.Inventory):
    def __init__(self, cloud, volumes=()):
        super().__init__(cloud, PROJECT)
        self.servers = {s.id: s for s in cloud.servers}
        self.volumes = {v.id: v for v in volumes}


def test_read_in_a_pool_with_the_project_group_and_foreign_volumes():
    servers = [_server('%d' % i * 8 + '-eeee', volumes=[VOL_DATA])
               for i in range(1, 4)]
    # Attached from another project: not in the inventory, read alone.
    cloud = _Cloud(servers, volumes=[_volume(VOL_DATA, servers[0].id,
                                             '/dev/vdb', 'false')])
    found = manifest.read(cloud, _Inventory(cloud), servers)
    assert set(found) == {s.id for s in servers}
    assert all(t.startswith('manifest') for t in cloud.threads)
    first = found[servers[0].id]
    assert first['server_group']['id'] == 'sg-1111'
    assert first['ports'][0]['network_name'] == 'private'
    assert first['volumes'][0]['size'] == 10
    assert first['flavor']['id'] == '2'
    assert 'incomplete' not in first


def test_a_failed_read_leaves_the_member_incomplete_not_the_snapshot():
    servers = [_server('55555555-ffff')]
    cloud = _Cloud(servers, fail_ports=True)
    found = manifest.read(cloud, _Inventory(cloud), servers)
    assert found[servers[0].id]['ports'] == []
    assert found[servers[0].id]['incomplete'] == ['ports: Neutron: 503']


def _resource(name, rtype, physical_id, stack, nested=None, parent=None):
    # GET /v1/{project}/stacks/{name}/{id}/resources?nested_depth=3
    base = 'http://heat/v1/%s/stacks' % PROJECT
    links = [{'href': '%s/%s/%s/resources/%s' % (base, stack[0], stack[1],
                                                 name), 'rel': 'self'},
             {'href': '%s/%s/%s' % (base, stack[0], stack[1]),
              'rel': 'stack'}]
    if nested:
        links.append({'href': '%s/%s/%s' % (base, nested[0], nested[1]),
                      'rel': 'nested'})
    resource = {'resource_name': name, 'resource_type': rtype,
                'physical_resource_id': physical_id, 'links': links,
                'logical_resource_id': name, 'required_by': [],
                'resource_status': 'CREATE_COMPLETE',
                'resource_status_reason': 'state changed',
                'creation_time': '2026-12-03T09:00:00Z',
                'updated_time': '2026-12-03T09:00:00Z'}
    if parent:
        resource['parent_resource'] = parent
    return resource


def test_a_heat_server_path_follows_the_nested_stacks_not_the_names():
    top = ('shop', 'top-id')
    group = ('shop-web-x', 'group-id')
    # Each ResourceGroup member is a provider template holding "server".
    member = {i: ('shop-web-x-%d-y' % i, 'member-%d' % i) for i in (0, 1)}
    resources = [
        _resource('web', 'OS::Heat::ResourceGroup', 'group-id', top,
                  nested=group),
        _resource('db', 'OS::Nova::Server', 'srv-db', top),
        *[_resource(str(i), 'shop::member', 'member-%d' % i, group,
                    nested=member[i], parent='web') for i in (0, 1)],
        *[_resource('server', 'OS::Nova::Server', 'srv-%d' % i, member[i],
                    parent=str(i)) for i in (0, 1)],
    ]
    paths = heat.resource_paths('top-id', resources)
    assert paths['srv-db'] == ['db']
    assert paths['srv-0'] == ['web', '0', 'server']
    assert paths['srv-1'] == ['web', '1', 'server']


class _Heat(heat.HeatResolver):
    def __init__(self, resources):
        conf = types.SimpleNamespace(
            resolvers=types.SimpleNamespace(heat_nested_depth=3))
        super().__init__(conf, None)
        self.resources = resources

    def _get(self, project_id, path, params=None):  # Heat's HTTP API.
        return {'resources': self.resources}


def test_the_heat_resolver_records_where_each_server_came_from():
    top = ('shop', 'top-id')
    resources = [_resource('db', 'OS::Nova::Server', 'srv-db', top),
                 _resource('vol', 'OS::Cinder::Volume', 'v-1', top)]
    inventory = members.Inventory(None, PROJECT)
    source = {'stack': 'top-id', 'stack_name': 'shop'}
    assert _Heat(resources).resolve(PROJECT, source, inventory) == [
        'srv-db']
    assert inventory.origins == {'srv-db': {
        'stack_id': 'top-id', 'stack_name': 'shop',
        'resource_path': ['db']}}


def test_snapshot_show_summarises_the_manifest_on_one_line():
    server = _server('66666666-aaaa', image=None, volumes=[VOL_ROOT])
    built = manifest.build(server, _facts(
        volumes={VOL_ROOT: _volume(VOL_ROOT, server.id, '/dev/vda',
                                   'true')},
        ports=[_port(server.id)], network_names={NET: 'private'}))
    assert group_snapshot.manifest_summary(built) == (
        'm1.small, boot volume %s, networks private, 1 volume' % VOL_ROOT)
    built['incomplete'] = ['ports: Neutron: 503']
    assert group_snapshot.manifest_summary(built).endswith(
        ', INCOMPLETE: ports: Neutron: 503')
    assert group_snapshot.manifest_summary(None) == 'none recorded'


def test_an_unreadable_manifest_has_every_key_of_a_read_one():
    read = manifest.build(_server('77777777-aaaa'), _facts())
    unread = manifest.unreadable('s', 'vm', 'manifest: boom')
    assert set(unread) == set(read) | {'incomplete'}
    assert set(unread['flavor']) == set(read['flavor'])
    assert unread['incomplete'] == ['manifest: boom']
