"""Failure family: the broker restarts in the middle of a snapshot.

Every service reconnects; the snapshot ends available or error, never
stuck; the next snapshot works.
"""

import os
import subprocess
import time

from tests.functional.conftest import SNAPSHOTS
from tests.functional.conftest import wait_for_snapshot
from tests.functional.conftest import wait_services_up


def _rabbitmqctl(*args):
    mc_dir = os.environ.get('MC_DIR', '/tmp/minicloud')
    subprocess.run(['bash', '-c', 'source %s/etc/rabbitmq-env.sh && '
                    '/usr/lib/rabbitmq/bin/rabbitmqctl %s' %
                    (mc_dir, ' '.join(args))], check=True,
                   capture_output=True, timeout=120)


def _reset_stuck_servers(admin, servers):
    """What an operator does after a broker outage hits Nova too.

    A createImage cast lost inside Nova leaves its instance in
    image_snapshot_pending for good; that is Nova's state, not ours.
    """
    for server in servers:
        if admin.compute.get_server(server).task_state:
            admin.compute.reset_server_state(server, 'active')


def test_broker_restarted_mid_snapshot(api_as, admin, spread_servers,
                                       tagged_app_group):
    api = api_as('minicloud-demo')
    response = api('POST', SNAPSHOTS, json={'group_snapshot': {
        'app_group': tagged_app_group['id'], 'mode': 'barrier'}})
    assert response.status_code == 202, response.text
    snapshot_id = response.json()['group_snapshot']['id']
    time.sleep(1.0)  # The coordinator has it; agents are being prepared.
    _rabbitmqctl('stop_app')
    time.sleep(3)
    _rabbitmqctl('start_app')
    restarted = time.time()
    try:
        snap = wait_for_snapshot(api, snapshot_id, timeout=240)
    finally:
        # The tests after this one need a cloud that has caught up.
        wait_services_up(admin, restarted)
    assert snap['status'] in ('available', 'error'), snap
    if snap['status'] == 'error':
        assert snap['error']
    _reset_stuck_servers(admin, spread_servers['servers'])
    # Services reconnected: the next snapshot of the group works.
    again = api('POST', SNAPSHOTS, json={'group_snapshot': {
        'app_group': tagged_app_group['id'], 'mode': 'barrier'}})
    assert again.status_code == 202, again.text
    again_id = again.json()['group_snapshot']['id']
    again_snap = wait_for_snapshot(api, again_id, timeout=180)
    assert again_snap['status'] == 'available'
    for snap_id in (snapshot_id, again_id):
        api('DELETE', '%s/%s' % (SNAPSHOTS, snap_id))
