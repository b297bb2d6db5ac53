"""Failure family: the broker restarts in the middle of a snapshot.

Every service reconnects; the snapshot ends available or error, never
stuck; the next snapshot works.
"""

import os
import subprocess
import time

import pytest

SNAPSHOTS = '/v1/group-snapshots'
FINAL = ('available', 'error', 'aborted')


def _rabbitmqctl(*args):
    mc_dir = os.environ.get('MC_DIR', '/tmp/minicloud')
    subprocess.run(['bash', '-c', 'source %s/etc/rabbitmq-env.sh && '
                    '/usr/lib/rabbitmq/bin/rabbitmqctl %s' %
                    (mc_dir, ' '.join(args))], check=True,
                   capture_output=True, timeout=120)


def _wait_for(api, snapshot_id, timeout):
    deadline = time.monotonic() + timeout
    while True:
        try:
            snap = api('GET', '%s/%s' % (SNAPSHOTS, snapshot_id)).json()[
                'group_snapshot']
            if snap['status'] in FINAL:
                return snap
        except Exception:
            pass  # The API itself may be reconnecting.
        assert time.monotonic() < deadline, 'still not final'
        time.sleep(0.5)


@pytest.fixture
def app_group(api_as, spread_servers, run_id):
    api = api_as('minicloud-demo')
    response = api('POST', '/v1/app-groups', json={'app_group': {
        'name': 'broker-%s' % run_id, 'source_type': 'metadata',
        'source': {'tags': [spread_servers['tag']]}}})
    assert response.status_code == 201, response.text
    group = response.json()['app_group']
    yield group
    api('DELETE', '/v1/app-groups/%s' % group['id'])


def test_broker_restarted_mid_snapshot(api_as, app_group):
    api = api_as('minicloud-demo')
    response = api('POST', SNAPSHOTS, json={'group_snapshot': {
        'app_group': app_group['id'], 'mode': 'barrier'}})
    assert response.status_code == 202, response.text
    snapshot_id = response.json()['group_snapshot']['id']
    time.sleep(1.0)  # The coordinator has it; agents are being prepared.
    _rabbitmqctl('stop_app')
    time.sleep(3)
    _rabbitmqctl('start_app')
    snap = _wait_for(api, snapshot_id, timeout=240)
    assert snap['status'] in ('available', 'error'), snap
    if snap['status'] == 'error':
        assert snap['error']
    # Services reconnected: the next snapshot of the group works.
    again = api('POST', SNAPSHOTS, json={'group_snapshot': {
        'app_group': app_group['id'], 'mode': 'barrier'}})
    assert again.status_code == 202, again.text
    again_id = again.json()['group_snapshot']['id']
    assert _wait_for(api, again_id, timeout=180)['status'] == 'available'
    for snap_id in (snapshot_id, again_id):
        api('DELETE', '%s/%s' % (SNAPSHOTS, snap_id))
