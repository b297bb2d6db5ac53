"""Failure family: the coordinator dies in the middle of a snapshot.

SIGKILL while the agents hold a barrier freeze: no guest stays frozen past
max_freeze, and once a coordinator runs again the snapshot ends in a final
state with nothing left behind.
"""

import os
import signal
import time

import pytest

SNAPSHOTS = '/v1/group-snapshots'
MAX_FREEZE_MS = 5000  # [agent] max_freeze_ms of the test cloud's agents.


def _get(api, snapshot_id):
    return api('GET', '%s/%s' % (SNAPSHOTS, snapshot_id)).json()[
        'group_snapshot']


def _wait_for(api, snapshot_id, statuses, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        snap = _get(api, snapshot_id)
        if snap['status'] in statuses:
            return snap
        assert time.monotonic() < deadline, snap
        time.sleep(0.1)


def _epoch(instant):
    import datetime
    return datetime.datetime.strptime(
        instant, '%Y-%m-%dT%H:%M:%S.%fZ').replace(
            tzinfo=datetime.timezone.utc).timestamp()


@pytest.fixture
def app_group(api_as, spread_servers, run_id):
    api = api_as('minicloud-demo')
    response = api('POST', '/v1/app-groups', json={'app_group': {
        'name': 'killed-%s' % run_id, 'source_type': 'metadata',
        'source': {'tags': [spread_servers['tag']]}}})
    assert response.status_code == 201, response.text
    group = response.json()['app_group']
    yield group
    api('DELETE', '/v1/app-groups/%s' % group['id'])


def _images_of(admin, snapshot_id):
    return [i for i in admin.image.images()
            if i.properties.get('consistent_snap_group_snapshot_id') ==
            snapshot_id]


def test_coordinator_killed_during_a_barrier_freeze(test_cloud, api_as,
                                                    admin, app_group):
    api = api_as('minicloud-demo')
    response = api('POST', SNAPSHOTS, json={'group_snapshot': {
        'app_group': app_group['id'], 'mode': 'barrier'}})
    assert response.status_code == 202, response.text
    snapshot_id = response.json()['group_snapshot']['id']
    # Commit has begun: every member is frozen and captures are running.
    _wait_for(api, snapshot_id, ('capturing', 'finalizing', 'available',
                                 'error'))
    pid = int((test_cloud.CS_DIR / 'run' / 'coordinator.pid').read_text())
    os.killpg(pid, signal.SIGKILL)
    killed_at = time.time()
    test_cloud.stop('coordinator')  # Clears the pid file of the dead one.
    test_cloud.start_daemons()
    snap = _wait_for(api, snapshot_id, ('available', 'error'), timeout=90)
    assert snap['status'] == 'error'
    assert 'the coordinator driving it stopped' in snap['error']
    for member in snap['members']:
        frozen, thawed = member['frozen_at'], member['thawed_at']
        assert frozen is not None and thawed is not None, member
        assert (_epoch(thawed) - _epoch(frozen)) * 1000 <= MAX_FREEZE_MS
        assert _epoch(thawed) <= killed_at + MAX_FREEZE_MS / 1000.0
    assert _images_of(admin, snapshot_id) == []
    # And the next snapshot of the same group works.
    again = api('POST', SNAPSHOTS, json={'group_snapshot': {
        'app_group': app_group['id'], 'mode': 'barrier'}})
    assert again.status_code == 202, again.text
    again_id = again.json()['group_snapshot']['id']
    assert _wait_for(api, again_id, ('available', 'error'))[
        'status'] == 'available'
    api('DELETE', '%s/%s' % (SNAPSHOTS, again_id))
