"""Failure family: the broker restarts in the middle of a snapshot.

Every service reconnects; the snapshot ends available or error, never
stuck; the next snapshot works.
"""

import time

from tests.functional.conftest import rabbitmqctl
from tests.functional.conftest import reset_stuck_servers
from tests.functional.conftest import snapshot_once_free
from tests.functional.conftest import SNAPSHOTS
from tests.functional.conftest import wait_for_snapshot
from tests.functional.conftest import wait_services_up


def test_broker_restarted_mid_snapshot(api_as, admin, spread_servers,
                                       tagged_app_group):
    api = api_as('minicloud-demo')
    response = api('POST', SNAPSHOTS, json={'group_snapshot': {
        'app_group': tagged_app_group['id'], 'mode': 'barrier'}})
    assert response.status_code == 202, response.text
    snapshot_id = response.json()['group_snapshot']['id']
    time.sleep(1.0)  # The coordinator has it; agents are being prepared.
    rabbitmqctl('stop_app')
    time.sleep(3)
    rabbitmqctl('start_app')
    restarted = time.time()
    try:
        snap = wait_for_snapshot(api, snapshot_id, timeout=240)
    finally:
        # The tests after this one need a cloud that has caught up.
        wait_services_up(admin, restarted)
    assert snap['status'] in ('available', 'error'), snap
    if snap['status'] == 'error':
        assert snap['error']
    reset_stuck_servers(admin, spread_servers['servers'])
    # Services reconnected: the next snapshot of the group works, once the
    # first one's servers are free.
    again = snapshot_once_free(api, {'app_group': tagged_app_group['id'],
                                     'mode': 'barrier'})
    assert again.status_code == 202, again.text
    again_id = again.json()['group_snapshot']['id']
    again_snap = wait_for_snapshot(api, again_id, timeout=180)
    assert again_snap['status'] == 'available'
    for snap_id in (snapshot_id, again_id):
        api('DELETE', '%s/%s' % (SNAPSHOTS, snap_id))
