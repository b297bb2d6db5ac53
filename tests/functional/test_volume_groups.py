"""Volumes in a consistent Cinder group: one group snapshot captures them.

Two volumes on two members' hosts share a Cinder group whose type sets
consistent_group_snapshot_enabled; a third is alone. The group snapshot
makes one Cinder group snapshot (on one member's host, at the fence) and
one plain volume snapshot; deleting it deletes both.

The test cloud's fake Cinder backend has no group snapshot of its own,
so Cinder makes the group's snapshots in its generic way; the API path,
the planning and the artifacts are the same as on a backend that has.

Restored as a new copy, the grouped volumes come back, each from its
snapshot in the group snapshot, in one new Cinder group of the same group
type; the lone one from its own snapshot, in no group; each attached to
the right new server; and deleting the restore deletes the group with its
volumes.
"""

import pytest

from tests.functional.conftest import delete_restore
from tests.functional.conftest import restore_and_wait
from tests.functional.conftest import snapshot_once_free
from tests.functional.conftest import SNAPSHOTS
from tests.functional.conftest import wait_for_snapshot

WAIT = 120


def _cinder(conn, method, path, microversion, **kwargs):
    response = conn.block_storage.request(
        path, method, microversion=microversion, raise_exc=False, **kwargs)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


@pytest.fixture(scope='module')
def group_type(admin, run_id):
    group_type = _cinder(admin, 'POST', '/group_types', '3.11', json={
        'group_type': {'name': 'cs-cg-%s' % run_id, 'group_specs': {
            'consistent_group_snapshot_enabled': '<is> True'}}})['group_type']
    yield group_type
    _cinder(admin, 'DELETE', '/group_types/%s' % group_type['id'], '3.11')


@pytest.fixture(scope='module')
def grouped_volumes(demo, group_type, spread_servers, run_id):
    """{'group': id, 'grouped': [vol on server 1, on 2], 'alone': on 3}."""
    group = _cinder(demo, 'POST', '/groups', '3.13', json={'group': {
        'name': 'cs-cg-%s' % run_id, 'group_type': group_type['id'],
        'volume_types': ['fake']}})['group']
    _wait(demo, '/groups/%s' % group['id'], 'group', 'available')
    volumes = [demo.block_storage.create_volume(
        name='cs-cg-%s-%d' % (run_id, i), size=1, volume_type='fake',
        group_id=group['id'] if i < 2 else None) for i in range(3)]
    servers = spread_servers['servers']
    try:
        for server, volume in zip(servers, volumes):
            demo.block_storage.wait_for_status(volume, 'available',
                                               failures=['error'], wait=WAIT)
            demo.compute.create_volume_attachment(server, volume=volume.id)
        for volume in volumes:
            demo.block_storage.wait_for_status(volume, 'in-use',
                                               failures=['error'], wait=WAIT)
        yield {'group': group['id'], 'grouped': volumes[:2],
               'alone': volumes[2], 'servers': servers}
    finally:
        for server, volume in zip(servers, volumes):
            demo.compute.delete_volume_attachment(server, volume.id,
                                                  ignore_missing=True)
        for volume in volumes:
            demo.block_storage.wait_for_status(volume, 'available',
                                               failures=['error'], wait=WAIT)
        _cinder(demo, 'POST', '/groups/%s/action' % group['id'], '3.13',
                json={'delete': {'delete-volumes': True}})
        demo.block_storage.delete_volume(volumes[2])
        for volume in volumes:
            demo.block_storage.wait_for_delete(volume, wait=WAIT)
        # Gone, not 'deleting': its type cannot be deleted before.
        _wait(demo, '/groups/%s' % group['id'], 'group', 404)


def _wait(conn, path, key, status):
    import time
    deadline = time.monotonic() + WAIT
    while True:
        response = conn.block_storage.request(path, 'GET',
                                              microversion='3.14',
                                              raise_exc=False)
        current = (response.json()[key]['status']
                   if response.status_code == 200 else response.status_code)
        if current == status:
            return
        assert time.monotonic() < deadline, (path, current)
        time.sleep(0.5)


def test_members_show_the_cinder_group(api_as, tagged_app_group,
                                       grouped_volumes):
    api = api_as('minicloud-demo')
    members = api('GET', '/v1/app-groups/%s/members' %
                  tagged_app_group['id']).json()['members']
    groups = {v['id']: v['group_id'] for m in members for v in m['volumes']}
    assert groups == {grouped_volumes['grouped'][0].id: grouped_volumes[
        'group'], grouped_volumes['grouped'][1].id: grouped_volumes['group'],
        grouped_volumes['alone'].id: None}


def _delete_if_left(api, snapshot_id):
    """On a failed assertion too: a group with snapshots cannot go."""
    if api('DELETE', '%s/%s' % (SNAPSHOTS, snapshot_id)).status_code == 202:
        wait_for_snapshot(api, snapshot_id, statuses=('deleted',),
                          timeout=WAIT)


def _snapshot(request, api, app_group):
    """An available group snapshot of the app, deleted after the test."""
    response = snapshot_once_free(api, {
        'app_group': app_group['id'], 'mode': 'barrier', 'consistent': True})
    assert response.status_code == 202, response.text
    snapshot_id = response.json()['group_snapshot']['id']
    request.addfinalizer(lambda: _delete_if_left(api, snapshot_id))
    snap = wait_for_snapshot(api, snapshot_id, timeout=WAIT)
    assert snap['status'] == 'available', snap['error']
    return snap


def test_one_group_snapshot_for_the_grouped_volumes(
        request, api_as, admin, tagged_app_group, grouped_volumes):
    api = api_as('minicloud-demo')
    snap = _snapshot(request, api, tagged_app_group)
    artifacts = {m['server_id']: [a for a in m['artifacts']
                                  if a['type'] != 'image']
                 for m in snap['members']}
    grouped = sorted(v.id for v in grouped_volumes['grouped'])
    servers = grouped_volumes['servers']
    # The group goes to the first of its holders by server id.
    owner = min(servers[0].id, servers[1].id)
    other = max(servers[0].id, servers[1].id)
    [group_snapshot] = artifacts[owner]
    assert (group_snapshot['type'], group_snapshot['group_id'],
            group_snapshot['volume_ids'], group_snapshot['status']) == (
        'volume_group_snapshot', grouped_volumes['group'], grouped,
        'available')
    assert sorted(group_snapshot['snapshots']) == grouped
    assert artifacts[other] == []
    [alone] = artifacts[servers[2].id]
    assert (alone['type'], alone['volume_id']) == (
        'volume_snapshot', grouped_volumes['alone'].id)
    # Cinder has them, in the requester's project, labelled.
    shown = _cinder(admin, 'GET', '/group_snapshots/%s' %
                    group_snapshot['id'], '3.58')['group_snapshot']
    assert (shown['status'], shown['group_id'], shown['description']) == (
        'available', grouped_volumes['group'],
        'consistent_snap_group_snapshot_id=%s' % snap['id'])
    assert shown['project_id'] == snap['project_id']

    assert api('DELETE', '%s/%s' % (SNAPSHOTS, snap['id'])).status_code == 202
    assert wait_for_snapshot(api, snap['id'], timeout=WAIT)['status'] == (
        'deleted')
    _wait(admin, '/group_snapshots/%s' % group_snapshot['id'],
          'group_snapshot', 404)
    for snapshot_id in [*group_snapshot['snapshots'].values(), alone['id']]:
        _wait(admin, '/snapshots/%s' % snapshot_id, 'snapshot', 404)


def _group_of(admin, restore_id):
    label = 'consistent_snap_restore_id=%s' % restore_id
    return [g for g in admin.block_storage.groups(all_projects=True)
            if g.description == label]


def test_the_grouped_volumes_come_back_as_a_new_group(
        request, api_as, admin, demo, tagged_app_group, group_type,
        grouped_volumes, run_id):
    api = api_as('minicloud-demo')
    snap = _snapshot(request, api, tagged_app_group)
    [group_snapshot] = [a for m in snap['members'] for a in m['artifacts']
                        if a['type'] == 'volume_group_snapshot']
    grouped = sorted(v.id for v in grouped_volumes['grouped'])
    plan = api('POST', '/v1/restores', json={'restore': {
        'group_snapshot': snap['id'], 'dry_run': True}}).json()[
            'restore_plan']
    assert plan['ok'], plan['problems']
    assert [s['action'] for s in plan['steps'] if s['server_id'] is None
            and s['stage'] == 'volumes'] == [
        'create volume group cs-cg-%s-restored-<restore ID> for the '
        'volumes of Cinder group snapshot %s (%s)' % (
            run_id, group_snapshot['id'], ', '.join(grouped))]

    restore = restore_and_wait(api, {'group_snapshot': snap['id']},
                               timeout=WAIT)
    request.addfinalizer(lambda: delete_restore(api, restore, timeout=WAIT))
    assert restore['status'] == 'available', restore['error']
    [group] = _group_of(admin, restore['id'])
    assert group.name == 'cs-cg-%s-restored-%s' % (run_id,
                                                   restore['id'][:8])
    group = demo.block_storage.get_group(group.id, list_volume=True)
    assert (group.status, group.group_type) == ('available', group_type[
        'id'])
    new_server = {m['server_id']: m['new_server_id']
                  for m in restore['members']}
    servers = grouped_volumes['servers']
    originals = [*grouped_volumes['grouped'], grouped_volumes['alone']]
    snapshot_of = dict(group_snapshot['snapshots'])
    [alone] = [a for m in snap['members'] for a in m['artifacts']
               if a['type'] == 'volume_snapshot']
    snapshot_of[alone['volume_id']] = alone['id']
    made = {v.snapshot_id: v for v in demo.block_storage.volumes()
            if (v.metadata or {}).get('consistent_snap_restore_id') ==
            restore['id']}
    for server, original in zip(servers, originals):
        volume = made[snapshot_of[original.id]]
        assert volume.status == 'in-use', volume
        assert [a['server_id'] for a in volume.attachments] == [
            new_server[server.id]]
        # Only the grouped ones are in the new group.
        assert (volume.id in group.volumes) == (original.id in grouped)
        assert volume.group_id == (group.id if original.id in grouped
                                   else None)

    assert delete_restore(api, restore, timeout=WAIT)['status'] == 'deleted'
    assert _group_of(admin, restore['id']) == []
    for volume in made.values():
        _wait(admin, '/volumes/%s' % volume.id, 'volume', 404)
