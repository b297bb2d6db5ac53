"""Each member's manifest, recorded at snapshot time on the real cloud.

The three spread servers (one anti-affinity server group, the run's tag
and property, m1.tiny from the "tiny" image) are snapshotted through the
API; the manifest must say what they are, as Nova says it, be summed up
by `openstack appgroup snapshot member list --long` and given whole by
`openstack appgroup snapshot show -f json`.
"""

import json
import os
import pathlib
import subprocess
import sys
import types

from consistent_snap import manifest
from consistent_snap import members
from consistent_snap.resolvers import heat
from tests.functional.conftest import snapshot_once_free
from tests.functional.conftest import SNAPSHOTS
from tests.functional.conftest import wait_for_snapshot

OPENSTACK = pathlib.Path(sys.executable).parent / 'openstack'


def _snapshot(api, app_group):
    response = snapshot_once_free(api, {
        'app_group': app_group['id'], 'mode': 'barrier'})
    assert response.status_code == 202, response.text
    # Manifests are written with the member rows, before the fence: they
    # are there whatever the capture's outcome, which other tests check.
    return wait_for_snapshot(api, response.json()['group_snapshot']['id'],
                             timeout=300)


def _cli(test_cloud, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    env['OS_CLIENT_CONFIG_FILE'] = test_cloud.env()['OS_CLIENT_CONFIG_FILE']
    result = subprocess.run([str(OPENSTACK), '--os-cloud', 'minicloud-demo',
                             *args], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_manifest_says_what_each_member_was(test_cloud, api_as, demo,
                                                spread_servers,
                                                tagged_app_group):
    api = api_as('minicloud-demo')
    snap = _snapshot(api, tagged_app_group)
    try:
        flavor = demo.compute.find_flavor('m1.tiny', ignore_missing=False)
        image = demo.image.find_image('tiny', ignore_missing=False)
        group = spread_servers['group']
        servers = {s.id: s for s in spread_servers['servers']}
        key, value = spread_servers['property']
        assert {m['server_id'] for m in snap['members']} == set(servers)
        for member in snap['members']:
            manifest = member['manifest']
            server = servers[member['server_id']]
            assert 'incomplete' not in manifest, manifest['incomplete']
            assert manifest['manifest_version'] == 1
            assert (manifest['server_id'], manifest['name']) == (
                server.id, server.name)
            assert manifest['flavor'] == {
                'id': flavor.id, 'name': 'm1.tiny', 'vcpus': flavor.vcpus,
                'ram': flavor.ram, 'disk': flavor.disk,
                'ephemeral': flavor.ephemeral, 'swap': flavor.swap or 0,
                'extra_specs': flavor.extra_specs or {}}
            assert manifest['image_id'] == image.id
            assert manifest['boot_volume_id'] is None
            assert manifest['availability_zone'] == (
                server.availability_zone)
            assert manifest['server_group']['id'] == group.id
            assert manifest['server_group']['name'] == group.name
            assert manifest['server_group']['policy'] == 'anti-affinity'
            assert sorted(manifest['server_group']['members']) == sorted(
                servers)
            assert manifest['tags'] == [spread_servers['tag']]
            assert manifest['metadata'] == {key: value}
            assert manifest['heat'] is None
            # No networks ('none') or, once the cloud has them, the
            # server's own ports, with their addresses.
            ports = list(demo.network.ports(device_id=server.id))
            assert sorted(p['id'] for p in manifest['ports']) == sorted(
                p.id for p in ports)
            for port in manifest['ports']:
                assert port['mac_address'] and port['fixed_ips']
            assert manifest['volumes'] == []
        listed = json.loads(_cli(test_cloud, 'appgroup', 'snapshot',
                                 'member', 'list', snap['id'], '--long',
                                 '-f', 'json'))
        assert sorted(m['Server ID'] for m in listed) == sorted(servers)
        assert all(m['Manifest'].startswith('m1.tiny, image %s' % image.id)
                   for m in listed), listed
        as_json = json.loads(_cli(test_cloud, 'appgroup', 'snapshot',
                                  'show', snap['id'], '-f', 'json'))
        assert [m['manifest'] for m in as_json['members']] == [
            m['manifest'] for m in snap['members']]
    finally:
        api('DELETE', '%s/%s' % (SNAPSHOTS, snap['id']))


def test_a_heat_member_records_its_stack_and_resource_path(demo, admin,
                                                           run_id):
    # One server in a ResourceGroup's nested stack, resolved and read as
    # the coordinator does (service connection, Heat resolver).
    name = 'cs-manifest-%s' % run_id
    server = {'type': 'OS::Nova::Server', 'properties': {
        'name': '%s-%%index%%' % name, 'image': 'tiny', 'flavor': 'm1.tiny',
        'networks': [{'allocate_network': 'none'}]}}
    template = {
        'heat_template_version': '2018-08-31',
        'resources': {'web': {'type': 'OS::Heat::ResourceGroup',
                              'properties': {'count': 1,
                                             'resource_def': server}}}}
    stack = demo.orchestration.create_stack(name=name, template=template,
                                            timeout_mins=10)
    try:
        stack = demo.orchestration.wait_for_status(
            stack, 'CREATE_COMPLETE', failures=['CREATE_FAILED'], wait=300)
        conf = types.SimpleNamespace(
            resolvers=types.SimpleNamespace(heat_nested_depth=5))
        inventory = members.Inventory(admin, demo.current_project_id)
        source = {'stack': stack.id, 'stack_name': name}
        [server_id] = heat.HeatResolver(conf, admin).resolve(
            demo.current_project_id, source, inventory)
        found = manifest.read(admin, inventory,
                              [inventory.servers[server_id]])[server_id]
        assert found['heat'] == {'stack_id': stack.id, 'stack_name': name,
                                 'resource_path': ['web', '0']}
        assert found['name'] == '%s-0' % name
        assert 'incomplete' not in found, found['incomplete']
    finally:
        demo.orchestration.delete_stack(stack, ignore_missing=True)
        demo.orchestration.wait_for_delete(stack, wait=300)
