"""Failure family: requests that must be refused, and who may do what.

Each refusal names what to fix and leaves no snapshot behind.
"""

import time

import pytest
import requests

from tests.functional.conftest import SNAPSHOTS
from tests.functional.conftest import wait_for_snapshot


def _snapshot(api, **body):
    return api('POST', SNAPSHOTS, json={'group_snapshot': body})


def _group(api, name, source_type, source):
    response = api('POST', '/v1/app-groups', json={'app_group': {
        'name': name, 'source_type': source_type, 'source': source}})
    assert response.status_code == 201, response.text
    return response.json()['app_group']


def _ids(api):
    # Compared as "nothing new": earlier tests' deletions may still end.
    return {s['id'] for s in api('GET', SNAPSHOTS).json()['group_snapshots']}


@pytest.fixture
def demo_api(api_as):
    return api_as('minicloud-demo')


@pytest.fixture
def groups(demo_api):
    made = []

    def make(*args):
        made.append(_group(demo_api, *args))
        return made[-1]
    yield make
    for group in made:
        demo_api('DELETE', '/v1/app-groups/%s' % group['id'])


def test_an_app_group_without_servers_is_409(demo_api, groups, run_id):
    group = groups('void-%s' % run_id, 'metadata',
                   {'tags': ['nobody-%s' % run_id]})
    before = _ids(demo_api)
    response = _snapshot(demo_api, app_group=group['name'])
    assert response.status_code == 409
    assert response.json()['error']['message'].startswith(
        'app group void-%s has no servers' % run_id)
    assert _ids(demo_api) <= before


@pytest.fixture
def server_in_error(admin, demo, run_id):
    server = demo.compute.create_server(
        name='cs-error-%s' % run_id, networks='none',
        image_id=demo.image.find_image('tiny', ignore_missing=False).id,
        flavor_id=demo.compute.find_flavor('m1.tiny').id)
    server = demo.compute.wait_for_server(server, wait=120)
    admin.compute.reset_server_state(server, 'error')
    yield demo.compute.get_server(server)
    demo.compute.delete_server(server)
    demo.compute.wait_for_delete(server, wait=120)


def test_a_server_in_error_is_refused_by_name_unless_skipped(
        demo_api, spread_servers, server_in_error):
    healthy = spread_servers['servers'][0].id
    before = _ids(demo_api)
    response = _snapshot(demo_api, servers=[healthy, server_in_error.id])
    assert response.status_code == 409
    message = response.json()['error']['message']
    assert '%s (%s)' % (server_in_error.name, server_in_error.id) in message
    assert '--skip-unhealthy' in message
    assert _ids(demo_api) <= before
    only_broken = _snapshot(demo_api, servers=[server_in_error.id],
                            skip_unhealthy=True)
    assert only_broken.status_code == 409
    assert 'no healthy server' in only_broken.json()['error']['message']
    skipped = _snapshot(demo_api, servers=[healthy, server_in_error.id],
                        skip_unhealthy=True)
    assert skipped.status_code == 202, skipped.text
    snap = wait_for_snapshot(demo_api, skipped.json()['group_snapshot']['id'])
    assert snap['status'] == 'available', snap['error']
    statuses = {m['server_id']: m['status'] for m in snap['members']}
    assert statuses == {healthy: 'available', server_in_error.id: 'skipped'}
    demo_api('DELETE', '%s/%s' % (SNAPSHOTS, snap['id']))


@pytest.fixture
def shelved_server(demo, run_id):
    """Offloaded: a server that runs on no compute host."""
    server = demo.compute.create_server(
        name='cs-shelved-%s' % run_id, networks='none',
        image_id=demo.image.find_image('tiny', ignore_missing=False).id,
        flavor_id=demo.compute.find_flavor('m1.tiny').id)
    server = demo.compute.wait_for_server(server, wait=120)
    demo.compute.shelve_server(server)
    yield demo.compute.wait_for_server(server, status='SHELVED_OFFLOADED',
                                       wait=180)
    demo.compute.delete_server(server)
    demo.compute.wait_for_delete(server, wait=120)


def test_a_server_on_no_host_is_refused_by_name_before_the_202(
        demo_api, spread_servers, shelved_server):
    # It used to get a 202, then the run failed on a NOT NULL host.
    healthy = spread_servers['servers'][0].id
    before = _ids(demo_api)
    response = _snapshot(demo_api, servers=[healthy, shelved_server.id])
    assert response.status_code == 409, response.text
    message = response.json()['error']['message']
    assert '%s (%s): SHELVED_OFFLOADED, on no compute host' % (
        shelved_server.name, shelved_server.id) in message
    assert _ids(demo_api) <= before
    skipped = _snapshot(demo_api, servers=[healthy, shelved_server.id],
                        skip_unhealthy=True)
    assert skipped.status_code == 202, skipped.text
    snap = wait_for_snapshot(demo_api, skipped.json()['group_snapshot']['id'])
    assert snap['status'] == 'available', snap['error']
    statuses = {m['server_id']: m['status'] for m in snap['members']}
    assert statuses == {healthy: 'available', shelved_server.id: 'skipped'}
    demo_api('DELETE', '%s/%s' % (SNAPSHOTS, snap['id']))


def test_a_second_snapshot_of_a_busy_group_is_409(demo_api, groups,
                                                  spread_servers, run_id):
    group = groups('busy-%s' % run_id, 'servers',
                   {'servers': [spread_servers['servers'][1].id]})
    first = _snapshot(demo_api, app_group=group['id'])
    assert first.status_code == 202
    second = _snapshot(demo_api, app_group=group['id'])
    first_id = first.json()['group_snapshot']['id']
    assert second.status_code == 409, second.text
    message = second.json()['error']['message']
    expected = ('app group busy-%s already has group snapshot %s in '
                'progress (' % (run_id, first_id))
    assert message.startswith(expected)
    assert message.endswith('): wait for it to end, then try again.')
    assert wait_for_snapshot(demo_api, first_id)['status'] == 'available'
    third = _snapshot(demo_api, app_group=group['id'])
    assert third.status_code == 202
    for snap_id in (first_id, third.json()['group_snapshot']['id']):
        wait_for_snapshot(demo_api, snap_id)
        demo_api('DELETE', '%s/%s' % (SNAPSHOTS, snap_id))


def _members_recorded(api, snapshot_id, timeout=60):
    """Once members are recorded, the run holds its servers."""
    deadline = time.monotonic() + timeout
    while True:
        snap = api('GET', '%s/%s' % (SNAPSHOTS, snapshot_id)).json()[
            'group_snapshot']
        if snap['members'] or snap['status'] in ('available', 'error'):
            return snap
        assert time.monotonic() < deadline, snap
        time.sleep(0.1)


def test_a_server_held_by_another_groups_snapshot_is_409_by_name(
        demo_api, groups, tagged_app_group, spread_servers, run_id):
    shared = spread_servers['servers'][0].id
    other = groups('shares-%s' % run_id, 'servers', {'servers': [shared]})
    first = _snapshot(demo_api, app_group=tagged_app_group['id'],
                      mode='barrier')
    assert first.status_code == 202, first.text
    first_id = first.json()['group_snapshot']['id']
    try:
        assert _members_recorded(demo_api, first_id)['status'] not in (
            'available', 'error')
        before = _ids(demo_api)
        expected = ('server %s is held by group snapshot %s, which is '
                    'being captured: one snapshot at a time may freeze a '
                    'server. Wait for that snapshot to end, then try '
                    'again.' % (shared, first_id))
        for body in ({'app_group': other['id']}, {'servers': [shared]}):
            refused = _snapshot(demo_api, **body)
            assert refused.status_code == 409, refused.text
            assert refused.json()['error']['message'] == expected
        assert _ids(demo_api) <= before
    finally:
        # Even on failure: the next tests need these servers free.
        ended = wait_for_snapshot(demo_api, first_id)
    assert ended['status'] == 'available', ended['error']
    # Ended: the server is free for the next snapshot at once.
    then = _snapshot(demo_api, app_group=other['id'])
    assert then.status_code == 202, then.text
    then_id = then.json()['group_snapshot']['id']
    assert wait_for_snapshot(demo_api, then_id)['status'] == 'available'
    for snap_id in (first_id, then_id):
        demo_api('DELETE', '%s/%s' % (SNAPSHOTS, snap_id))


def test_other_projects_readers_and_strangers(api_as, groups, spread_servers,
                                              run_id, test_cloud):
    demo = api_as('minicloud-demo')
    group = groups('mine-%s' % run_id, 'servers',
                   {'servers': [spread_servers['servers'][2].id]})
    response = _snapshot(demo, app_group=group['id'])
    assert response.status_code == 202, response.text
    snap_id = response.json()['group_snapshot']['id']
    wait_for_snapshot(demo, snap_id)
    path = '%s/%s' % (SNAPSHOTS, snap_id)
    alt = api_as('cs-alt')
    assert alt('GET', path).status_code == 404
    assert alt('DELETE', path).status_code == 404
    assert _snapshot(alt, app_group=group['id']).status_code == 404
    reader = api_as('cs-demo-reader')
    assert reader('GET', path).status_code == 200
    refused = _snapshot(reader, app_group=group['id'])
    assert refused.status_code == 403
    assert 'consistent_snap:group_snapshot:create' in refused.json()[
        'error']['message']
    assert reader('DELETE', path).status_code == 403
    url = 'http://127.0.0.1:%d%s' % (test_cloud.API_PORT, path)
    assert requests.get(url).status_code == 401
    assert demo('DELETE', path).status_code == 202


@pytest.fixture
def stopped_and_paused(demo, run_id):
    image_id = demo.image.find_image('tiny', ignore_missing=False).id
    flavor_id = demo.compute.find_flavor('m1.tiny').id
    servers = [demo.compute.create_server(
        name='cs-%s-%s' % (state, run_id), networks='none',
        image_id=image_id, flavor_id=flavor_id)
        for state in ('shutoff', 'paused')]
    servers = [demo.compute.wait_for_server(s, wait=120) for s in servers]
    demo.compute.stop_server(servers[0])
    demo.compute.pause_server(servers[1])
    servers = [demo.compute.wait_for_server(s, status=status, wait=120)
               for s, status in zip(servers, ('SHUTOFF', 'PAUSED'))]
    yield servers
    for server in servers:
        demo.compute.delete_server(server)
    for server in servers:
        demo.compute.wait_for_delete(server, wait=120)


def test_shutoff_and_paused_servers_are_captured_and_reported(
        demo_api, stopped_and_paused):
    response = _snapshot(demo_api, servers=[s.id for s in stopped_and_paused],
                         consistent=True, mode='barrier')
    assert response.status_code == 202, response.text
    snap = wait_for_snapshot(demo_api, response.json()['group_snapshot']['id'])
    assert snap['status'] == 'available', snap['error']
    assert sorted(m['server_status'] for m in snap['members']) == [
        'PAUSED', 'SHUTOFF']
    assert all(len(m['artifacts']) == 1 for m in snap['members'])
    demo_api('DELETE', '%s/%s' % (SNAPSHOTS, snap['id']))
