"""Restore as a set, through the real `openstack appgroup restore` CLI.

demo snapshots the session's three servers (compute-1..3, one
anti-affinity server group, a tag and a property), then plans and
restores the snapshot as a new copy: three new ACTIVE servers in a new
server group of the same policy, with their metadata and tags, named with
the restore's suffix, registered as an app group. Deleting the restore
removes all of it and nothing else. A restore that fails halfway (Nova
finds no valid host for some members) ends in error, naming the member
and the cloud's message, with nothing left behind.
"""

import time
import uuid

import pytest

from tests.functional import test_cli
from tests.functional import test_group_snapshot_api

DEMO, ADMIN = test_cli.DEMO, test_cli.ADMIN
LABEL = 'consistent_snap_restore_id'
WAIT = 300
# A listener of the notifications, with a pool of its own.
notifications = test_group_snapshot_api.notifications


@pytest.fixture(scope='module')
def cli():
    return test_cli.OpenStackCLI()


@pytest.fixture(scope='module')
def admin_conn(test_cloud):
    return test_cli.connect(ADMIN)


@pytest.fixture(scope='module')
def snapshot(cli, spread_servers):
    """A barrier group snapshot of the three spread servers, by their tag."""
    name = 'cs-restore-%s' % uuid.uuid4().hex[:8]
    cli.json(DEMO, 'appgroup', 'create', name, '--tag', spread_servers['tag'])
    snap = cli.json(DEMO, 'appgroup', 'snapshot', 'create', name,
                    '--consistent', '--mode', 'barrier', '--wait')
    assert snap['status'] == 'available', snap
    yield snap
    cli.run(DEMO, 'appgroup', 'snapshot', 'delete', snap['id'])
    cli.run(DEMO, 'appgroup', 'delete', name)


def _labelled(admin_conn, restore_id):
    """What in the cloud carries the restore's label, as admin sees it."""
    servers = [s for s in admin_conn.compute.servers(all_projects=True)
               if (s.metadata or {}).get(LABEL) == restore_id]
    groups = [g for g in admin_conn.compute.server_groups(all_projects=True)
              if g.name.endswith(restore_id[:8])]
    return servers, groups


def _trusts_of(admin_conn, user_conn):
    return {t.id for t in admin_conn.identity.trusts(
        trustor_user_id=user_conn.current_user_id)}


def _wait_restore(cli, restore_id, statuses):
    deadline = time.monotonic() + WAIT
    while True:
        restore = cli.json(DEMO, 'appgroup', 'restore', 'show', restore_id)
        if restore['status'] in statuses:
            return restore
        assert time.monotonic() < deadline, restore
        time.sleep(1)


def test_plan_then_restore_as_a_new_copy_then_delete(
        cli, admin_conn, demo, spread_servers, snapshot, notifications):
    plan = cli.json(DEMO, 'appgroup', 'restore', 'create', snapshot['id'],
                    '--plan')
    assert plan['ok'] is True and plan['members'] == 3
    steps = plan['plan']['steps']
    assert [s['stage'] for s in steps] == (
        ['server_group'] + ['servers'] * 3)
    assert 'anti-affinity' in steps[0]['action']

    group_name = 'restored-%s' % uuid.uuid4().hex[:8]
    trusts_before = _trusts_of(admin_conn, demo)
    restore = cli.json(DEMO, 'appgroup', 'restore', 'create',
                       snapshot['id'], '--as-app-group', group_name,
                       '--wait')
    assert restore['status'] == 'available', restore
    assert restore['ready_s'] > 0
    assert notifications.wait_for_end(restore['id'], 60)
    assert [e for e, i in notifications.events if i == restore['id']] == [
        'restore.create.start', 'restore.create.end']
    # Final: the trust its request delegated is revoked.
    deadline = time.monotonic() + 60
    while _trusts_of(admin_conn, demo) - trusts_before:
        assert time.monotonic() < deadline, 'the restore\'s trust is left'
        time.sleep(0.5)
    servers, groups = _labelled(admin_conn, restore['id'])
    originals = {s.name: s for s in spread_servers['servers']}
    assert sorted(s.name for s in servers) == sorted(
        '%s-restored-%s' % (name, restore['id'][:8]) for name in originals)
    assert {s.status for s in servers} == {'ACTIVE'}
    assert len(groups) == 1 and groups[0].policy == 'anti-affinity'
    assert sorted(groups[0].member_ids) == sorted(s.id for s in servers)
    # Anti-affinity, as the originals: one server per host.
    assert len({s.compute_host for s in servers}) == 3
    for server in servers:
        original = originals[server.name.rsplit('-restored-', 1)[0]]
        assert server.metadata['app'] == original.metadata['app']
        assert set(original.tags) <= set(server.tags)
    # Every member's steps and its time to ACTIVE are evidence.
    assert len(restore['members']) == 3
    for member in restore['members']:
        assert member['active_s'] > 0 and member['new_server_id']
    members = cli.json(DEMO, 'appgroup', 'member', 'list', group_name)
    assert sorted(m['Server ID'] for m in members) == sorted(
        s.id for s in servers)

    cli.ok(DEMO, 'appgroup', 'restore', 'delete', restore['id'], '--wait')
    assert cli.json(DEMO, 'appgroup', 'restore', 'show', restore['id'])[
        'status'] == 'deleted'
    assert _labelled(admin_conn, restore['id']) == ([], [])
    cli.fails(DEMO, 'appgroup', 'show', group_name)
    # Nothing else: the originals are untouched.
    for original in spread_servers['servers']:
        assert admin_conn.compute.get_server(original.id).status == 'ACTIVE'


def test_a_plan_that_fails_creates_nothing_and_names_every_problem(
        cli, snapshot):
    stderr = cli.fails(DEMO, 'appgroup', 'restore', 'create', snapshot['id'],
                       '--flavor-map', 'm1.tiny=no-such-flavor',
                       '--az-map', 'compute-1=no-such-zone')
    assert 'flavor no-such-flavor does not exist' in stderr
    assert 'availability zone no-such-zone does not exist' in stderr
    listed = cli.json(DEMO, 'appgroup', 'restore', 'list',
                      '--group-snapshot', snapshot['id'])
    assert listed == []


def test_a_restore_failing_halfway_deletes_everything_it_made(
        cli, admin_conn, snapshot):
    # Anti-affinity in a zone of one host: Nova finds no host for two of
    # the three members (its late affinity check reschedules, then gives
    # up), while the first may already be ACTIVE.
    restore = cli.json(DEMO, 'appgroup', 'restore', 'create', snapshot['id'],
                       '--az-map', 'compute-2=compute-1',
                       '--az-map', 'compute-3=compute-1')
    restore = _wait_restore(cli, restore['id'], ('available', 'error'))
    assert restore['status'] == 'error', restore
    assert 'server of' in restore['error']
    # Nova's own reason: no valid host, or every host tried.
    assert ('No valid host' in restore['error'] or
            'Exhausted all hosts' in restore['error']), restore['error']
    assert all(r['deleted'] for r in restore['resources']), restore
    assert _labelled(admin_conn, restore['id']) == ([], [])
