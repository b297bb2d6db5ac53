"""Group snapshots through the real `openstack appgroup snapshot` CLI.

demo snapshots the session's three servers on compute-1..3 (one with a
Cinder volume attached) in each mode, and the test checks what the cloud
holds afterwards: the Glance images and Cinder snapshots the group
snapshot's labels name, as admin sees them, until it is deleted.
"""

import json
import uuid

from openstack import exceptions as sdk_exceptions
import pytest

from consistent_snap.sdk import service as sdk_service
from tests.functional.conftest import wait_for_snapshot
from tests.functional import test_cli

ADMIN, DEMO = test_cli.ADMIN, test_cli.DEMO
READER, ALT = test_cli.READER, test_cli.ALT
HOSTS = test_cli.HOSTS
WAIT = test_cli.WAIT
LABEL = 'consistent_snap_group_snapshot_id'
# CLI spelling -> what the API records.
MODES = {'barrier': 'barrier', 'shared-start': 'shared_start',
         'priority': 'priority'}


def _proxy(conn):
    conn.add_service(sdk_service.description())
    return getattr(conn, sdk_service.PROXY_ATTR)


@pytest.fixture(scope='module')
def cli():
    return test_cli.OpenStackCLI()


@pytest.fixture(scope='module')
def prefix():
    """Unique per run: names of what this module creates start with it."""
    return 'cs-snap-%s' % uuid.uuid4().hex[:8]


@pytest.fixture(scope='module')
def admin_conn(test_cloud):
    return test_cli.connect(ADMIN)


@pytest.fixture(scope='module')
def demo_conn(test_cloud):
    return test_cli.connect(DEMO)


@pytest.fixture(scope='module')
def volume(request, demo_conn, admin_conn, spread_servers, prefix):
    """A 1 GiB volume of demo's, attached to the first spread server."""
    conn = demo_conn
    server = spread_servers['servers'][0]
    volume = conn.block_storage.create_volume(
        name='%s-vol' % prefix, size=1, volume_type='fake')

    def cleanup():
        # Also any volume snapshot a failed test left: they pin the volume.
        # Admin's view: the service user makes them in its own project.
        for snap in admin_conn.block_storage.snapshots(
                all_projects=True, volume_id=volume.id):
            admin_conn.block_storage.delete_snapshot(snap,
                                                     ignore_missing=True)
            admin_conn.block_storage.wait_for_delete(snap, wait=WAIT)
        conn.compute.delete_volume_attachment(server, volume.id)
        conn.block_storage.wait_for_status(
            volume, 'available', failures=['error'], wait=WAIT)
        conn.block_storage.delete_volume(volume, ignore_missing=True)
        conn.block_storage.wait_for_delete(volume, wait=WAIT)
    request.addfinalizer(cleanup)
    conn.block_storage.wait_for_status(volume, 'available',
                                       failures=['error'], wait=WAIT)
    conn.compute.create_volume_attachment(server, volume=volume.id)
    return conn.block_storage.wait_for_status(
        volume, 'in-use', failures=['error', 'error_attaching'], wait=WAIT)


@pytest.fixture(scope='module')
def admin_snapshots(request, admin_conn, volume, prefix):
    """Admin's consistent-snap proxy.

    At the end it deletes every group snapshot and app group this module
    named, of any project, so that a failed test leaves nothing behind.
    It depends on the volume fixture so that it runs before the volume is
    detached and deleted.
    """
    proxy = _proxy(admin_conn)

    def delete_leftovers():
        for snap in proxy.group_snapshots(all_projects=True):
            if snap.name.startswith(prefix) and snap.status in (
                    'available', 'error'):
                proxy.delete_group_snapshot(snap)
                proxy.wait_for_group_snapshot(snap, status='deleted',
                                              interval=1, wait=WAIT)
        for group in proxy.app_groups(all_projects=True):
            if group.name.startswith(prefix):
                proxy.delete_app_group(group)
    request.addfinalizer(delete_leftovers)
    return proxy


def _app_group(cli, name, spread_servers, *options):
    return cli.json(DEMO, 'appgroup', 'create', name,
                    '--tag', spread_servers['tag'], *options)


@pytest.fixture(scope='module')
def app(cli, admin_snapshots, spread_servers, prefix):
    """demo's app group over the three spread servers, with defaults."""
    return _app_group(cli, '%s-app' % prefix, spread_servers)


@pytest.fixture(scope='module')
def kept_snapshot(cli, app, prefix):
    """One available snapshot of demo's, kept for the module."""
    return cli.json(DEMO, 'appgroup', 'snapshot', 'create', app['name'],
                    '--name', '%s-kept' % prefix, '--wait')


def _artifacts(admin_conn, snapshot_id):
    """(images, volume snapshots) labelled with the group snapshot's id."""
    # Glance and the SDK do not filter on a custom property: filter here.
    images = [i for i in admin_conn.image.images()
              if i.properties.get(LABEL) == snapshot_id]
    snaps = [s for s in admin_conn.block_storage.snapshots(
        details=True, all_projects=True)
        if (s.metadata or {}).get(LABEL) == snapshot_id]
    return images, snaps


def _listed_ids(cli, cloud=DEMO):
    return {s['ID'] for s in cli.json(cloud, 'appgroup', 'snapshot', 'list')}


def _check_available(cli, admin_conn, snapshot, server_ids, volume_ids):
    """What a snapshot of server_ids, with volume_ids attached, holds."""
    assert snapshot['status'] == 'available', snapshot['error']
    images, snaps = _artifacts(admin_conn, snapshot['id'])
    assert {i.status for i in images} == {'active'}
    assert sorted(i.properties['consistent_snap_server_id']
                  for i in images) == sorted(server_ids)
    assert sorted(s.volume_id for s in snaps) == sorted(volume_ids)
    assert {s.status for s in snaps} <= {'available'}

    shown = cli.json(DEMO, 'appgroup', 'snapshot', 'show', snapshot['id'])
    assert isinstance(shown['skew_ms'], (int, float)), shown
    assert not isinstance(shown['skew_ms'], bool)
    # Nothing was frozen on the fake hosts: no freeze window is claimed,
    # and the cut is bounded by its last point fixed, not its calls.
    assert shown['max_freeze_ms'] is None, shown
    assert shown['frozen_together'] is False, shown
    assert shown['skew_bound_ms'] >= shown['skew_ms'], shown
    members = shown['members']
    assert sorted(m['server_id'] for m in members) == sorted(server_ids)
    assert all(m['captured_at'] and m['host_id'] for m in members)
    assert all('host' not in m for m in members)
    artifact_ids = {a['id'] for m in members for a in m['artifacts']}
    assert artifact_ids == {i.id for i in images} | {s.id for s in snaps}

    as_admin = cli.json(ADMIN, 'appgroup', 'snapshot', 'show',
                        snapshot['id'])
    hosts = [m['host'] for m in as_admin['members']]
    assert len(set(hosts)) == len(server_ids)
    assert set(hosts) <= set(HOSTS)
    return images, snaps


def _delete_and_check_gone(cli, admin_conn, snapshot, images, snaps):
    cli.ok(DEMO, 'appgroup', 'snapshot', 'delete', snapshot['id'], '--wait')
    for image in images:
        with pytest.raises(sdk_exceptions.NotFoundException):
            admin_conn.image.get_image(image.id)
    for snap in snaps:
        # Cinder deletes in the background: deleting, then gone.
        admin_conn.block_storage.wait_for_delete(snap, wait=WAIT)
    assert _artifacts(admin_conn, snapshot['id']) == ([], [])
    assert snapshot['id'] not in _listed_ids(cli)
    shown = cli.json(DEMO, 'appgroup', 'snapshot', 'show', snapshot['id'])
    assert shown['status'] == 'deleted'


# The tests.

@pytest.mark.parametrize('mode', list(MODES))
def test_snapshot_in_each_mode(cli, admin_conn, app, volume, spread_servers,
                               prefix, mode):
    result = cli.run(DEMO, 'appgroup', 'snapshot', 'create', app['name'],
                     '--mode', mode, '--name', '%s-%s' % (prefix, mode),
                     '--wait', '-f', 'json')
    assert result.returncode == 0, result.stderr
    snapshot = json.loads(result.stdout)
    # The progress line: off a terminal, a line per change.
    assert 'available' in result.stderr.splitlines(), result.stderr
    assert (snapshot['mode'], snapshot['consistent'],
            snapshot['app_group_id']) == (MODES[mode], True, app['id'])
    assert snapshot['fence_at'] or mode == 'priority'
    images, snaps = _check_available(
        cli, admin_conn, snapshot,
        [s.id for s in spread_servers['servers']], [volume.id])
    _delete_and_check_gone(cli, admin_conn, snapshot, images, snaps)


def test_snapshot_of_servers(cli, admin_conn, admin_snapshots, volume,
                             spread_servers, prefix):
    first, second = spread_servers['servers'][:2]
    # A name and an ID: the CLI sends IDs.
    snapshot = cli.json(DEMO, 'appgroup', 'snapshot', 'create',
                        '--server', first.name, '--server', second.id,
                        '--consistent', '--mode', 'barrier',
                        '--name', '%s-servers' % prefix, '--wait')
    assert snapshot['servers'] == [first.id, second.id]
    assert (snapshot['app_group_id'], snapshot['consistent'],
            snapshot['mode']) == (None, True, 'barrier')
    images, snaps = _check_available(cli, admin_conn, snapshot,
                                     [first.id, second.id], [volume.id])
    assert len(images) == 2
    _delete_and_check_gone(cli, admin_conn, snapshot, images, snaps)


def test_app_group_preset_decides_what_is_not_given(
        cli, admin_snapshots, spread_servers, prefix):
    name = '%s-preset' % prefix
    _app_group(cli, name, spread_servers, '--no-include-volumes')
    cli.ok(DEMO, 'appgroup', 'set', name, '--no-consistent')
    loose = cli.json(DEMO, 'appgroup', 'snapshot', 'create', name,
                     '--name', '%s-loose' % prefix, '--wait')
    assert (loose['status'], loose['consistent'], loose['mode'],
            loose['include_volumes']) == ('available', False, 'barrier',
                                          False)
    assert loose['fence_at'] is None

    cli.ok(DEMO, 'appgroup', 'set', name, '--consistent', '--mode',
           'shared-start')
    fenced = cli.json(DEMO, 'appgroup', 'snapshot', 'create', name,
                      '--name', '%s-fenced' % prefix, '--wait')
    assert (fenced['status'], fenced['consistent'], fenced['mode']) == (
        'available', True, 'shared_start')
    assert fenced['fence_at']
    cli.ok(DEMO, 'appgroup', 'snapshot', 'delete', loose['id'],
           fenced['name'], '--wait')


def test_hooks_are_kept_refused_over_budget_and_named_where_they_cannot_run(
        cli, api_as, admin_snapshots, spread_servers, prefix, tmp_path):
    name = '%s-hooks' % prefix
    _app_group(cli, name, spread_servers, '--mode', 'barrier')
    server = spread_servers['servers'][0]
    hooks = tmp_path / 'hooks.yaml'
    hooks.write_text('- {name: flush, when: pre_freeze, command: sync, '
                     'members: [%s]}\n- {name: resume, when: post_thaw, '
                     'command: "true", timeout_s: 1}\n' % server.name)
    cli.ok(DEMO, 'appgroup', 'set', name, '--hooks', str(hooks))
    shown = cli.json(DEMO, 'appgroup', 'show', name)
    assert [(h['name'], h['stage'], h['timeout_s'], h['on_error'])
            for h in shown['hooks']] == [('flush', 1, 2, 'fail'),
                                         ('resume', 1, 1, 'fail')]
    # The longest hook of each stage, both sides: 9 + 1 s > 5 s.
    slow = tmp_path / 'slow.yaml'
    slow.write_text('- {name: flush, when: pre_freeze, command: sync, '
                    'timeout_s: 9}\n- {name: resume, when: post_thaw, '
                    'command: "true", timeout_s: 1}\n')
    message = cli.fails(DEMO, 'appgroup', 'set', name, '--hooks', str(slow))
    assert 'the hooks may take 10.0 s' in message
    # The fake hosts reach no guest agent: prepare names the member.
    snap = cli.json(DEMO, 'appgroup', 'snapshot', 'create', name,
                    '--name', '%s-hooked' % prefix)
    snap = wait_for_snapshot(api_as('minicloud-demo'), snap['id'])
    assert snap['status'] == 'error'
    assert 'Hooks cannot run in the guest of server %s (%s)' % (
        server.name, server.id) in snap['error'], snap['error']
    assert 'Nothing was frozen' in snap['error']
    assert all(m['frozen_at'] is None for m in snap['members'])
    # Without them (the request's --no-hooks), the same group snapshots.
    bare = cli.json(DEMO, 'appgroup', 'snapshot', 'create', name,
                    '--no-hooks', '--name', '%s-bare' % prefix, '--wait')
    assert (bare['status'], bare['hooks']) == ('available', [])
    cli.ok(DEMO, 'appgroup', 'snapshot', 'delete', snap['id'], bare['id'],
           '--wait')


def test_list_and_show(cli, app, kept_snapshot):
    by_group = cli.json(DEMO, 'appgroup', 'snapshot', 'list',
                        '--app-group', app['name'], '--long')
    assert kept_snapshot['id'] in {s['ID'] for s in by_group}
    assert {s['App Group'] for s in by_group} == {app['id']}
    row = next(s for s in by_group if s['ID'] == kept_snapshot['id'])
    assert (row['Status'], row['Members'], row['Consistent']) == (
        'available', 3, True)
    assert set(row) >= {'Consistency', 'Uncertainty ms', 'Fence At',
                        'Error'}
    # By name as well as by ID.
    shown = cli.json(DEMO, 'appgroup', 'snapshot', 'show',
                     kept_snapshot['name'])
    assert shown['id'] == kept_snapshot['id']
    assert len(shown['members']) == shown['member_count'] == 3
    # For people: how many members and how to list them; the objects for
    # JSON.
    table = cli.run(DEMO, 'appgroup', 'snapshot', 'show',
                    kept_snapshot['id'], '-c', 'members', '-f', 'table')
    assert table.returncode == 0, table.stderr
    line = ('| members | 3 members: openstack appgroup snapshot member '
            'list %s |' % kept_snapshot['id'])
    assert line in table.stdout, table.stdout


def test_member_list(cli, kept_snapshot, spread_servers):
    shown = cli.json(DEMO, 'appgroup', 'snapshot', 'show',
                     kept_snapshot['id'])
    by_server = {m['server_id']: m for m in shown['members']}
    members = cli.json(DEMO, 'appgroup', 'snapshot', 'member', 'list',
                       kept_snapshot['name'])
    assert sorted(m['Server ID'] for m in members) == sorted(
        s.id for s in spread_servers['servers'])
    assert list(members[0]) == ['Server ID', 'Name', 'Host ID', 'Status',
                                'Consistency', 'Captured At', 'Freeze ms',
                                'Artifacts']
    for row in members:
        member = by_server[row['Server ID']]
        # -f json: the whole host ID, the artifact IDs as a list.
        assert row['Host ID'] == member['host_id'], row
        assert len(row['Host ID']) == 56
        assert row['Artifacts'] == [a['id'] for a in member['artifacts']]
        assert (row['Name'], row['Status'], row['Captured At']) == (
            member['server_name'], 'available', member['captured_at'])
    # The table: host IDs by their first 12 characters.
    table = cli.run(DEMO, 'appgroup', 'snapshot', 'member', 'list',
                    kept_snapshot['id'], '-f', 'table')
    assert table.returncode == 0, table.stderr
    for member in shown['members']:
        assert '| %s |' % member['host_id'][:12] in table.stdout
        assert member['host_id'] not in table.stdout

    long = cli.json(DEMO, 'appgroup', 'snapshot', 'member', 'list',
                    kept_snapshot['id'], '--long')
    assert set(long[0]) >= {'Fixed At', 'Manifest', 'Error'}
    assert all(row['Manifest'].startswith('m1.tiny, image ')
               for row in long)

    as_admin = cli.json(ADMIN, 'appgroup', 'snapshot', 'member', 'list',
                        kept_snapshot['id'])
    assert {row['Host'] for row in as_admin} == set(HOSTS)
    assert all('Host ID' not in row for row in as_admin)


def test_admin_lists_all_projects(cli, kept_snapshot):
    listed = cli.json(ADMIN, 'appgroup', 'snapshot', 'list',
                      '--all-projects')
    row = next(s for s in listed if s['ID'] == kept_snapshot['id'])
    assert row['Project ID'] == kept_snapshot['project_id']


def test_reader_can_list_and_show_but_not_create(cli, app, kept_snapshot):
    assert kept_snapshot['id'] in _listed_ids(cli, READER)
    shown = cli.json(READER, 'appgroup', 'snapshot', 'show',
                     kept_snapshot['id'])
    assert shown['name'] == kept_snapshot['name']
    message = cli.fails(READER, 'appgroup', 'snapshot', 'create',
                        app['name'])
    assert 'HTTP 403' in message
    assert 'Policy does not allow' in message


@pytest.mark.parametrize('by', ['id', 'name'])
def test_other_project_cannot_see_the_snapshot(cli, kept_snapshot, by):
    message = cli.fails(ALT, 'appgroup', 'snapshot', 'show',
                        kept_snapshot[by])
    assert 'could not be found' in message
    assert kept_snapshot['id'] not in _listed_ids(cli, ALT)


def test_empty_app_group_fails_with_the_reason(cli, admin_snapshots,
                                               prefix):
    name = '%s-empty' % prefix
    cli.json(DEMO, 'appgroup', 'create', name, '--tag',
             '%s-on-no-server' % prefix)
    # Refused by the API, or accepted and ended in error by the
    # coordinator: either way the command fails and says why.
    message = cli.fails(DEMO, 'appgroup', 'snapshot', 'create', name,
                        '--name', name, '--wait')
    assert 'app group %s has no servers' % name in message


def test_delete_reports_failures(cli, prefix):
    missing = '%s-never-created' % prefix
    message = cli.fails(DEMO, 'appgroup', 'snapshot', 'delete', missing)
    assert 'Group snapshot %s could not be found' % missing in message
    assert '1 of 1 group snapshots failed to delete' in message
