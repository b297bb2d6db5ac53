"""Failure family: the coordinator dies in the middle of a snapshot.

SIGKILL while the agents hold a barrier: once a coordinator runs again the
snapshot ends in a final state with nothing left behind, and no freeze is
claimed for the fake hosts' guests, which nothing froze. (A real guest held
frozen by a dead process: test_real_guests.)
"""

import os
import signal

from tests.functional.conftest import images_left
from tests.functional.conftest import snapshot_once_free
from tests.functional.conftest import SNAPSHOTS
from tests.functional.conftest import wait_for_snapshot
from tests.functional.conftest import wait_until_undone

# Every member is frozen once the barrier's commit has begun.
COMMIT_BEGUN = ('capturing', 'finalizing', 'available', 'error')


def test_coordinator_killed_during_a_barrier_freeze(test_cloud, api_as,
                                                    admin,
                                                    tagged_app_group):
    api = api_as('minicloud-demo')
    response = api('POST', SNAPSHOTS, json={'group_snapshot': {
        'app_group': tagged_app_group['id'], 'mode': 'barrier'}})
    assert response.status_code == 202, response.text
    snapshot_id = response.json()['group_snapshot']['id']
    wait_for_snapshot(api, snapshot_id, COMMIT_BEGUN)
    pid = int((test_cloud.CS_DIR / 'run' / 'coordinator.pid').read_text())
    os.killpg(pid, signal.SIGKILL)
    test_cloud.stop('coordinator')  # Clears the pid file of the dead one.
    test_cloud.start_daemons()
    assert wait_for_snapshot(api, snapshot_id, timeout=90)['status'] == (
        'error')
    snap = wait_until_undone(api, snapshot_id)
    assert 'the coordinator driving it stopped' in snap['error']
    for member in snap['members']:
        # The fake hosts have no quiescer: nothing was frozen, and no
        # freeze window may be claimed. (A real guest's: test_real_guests.)
        assert (member['frozen_at'], member['thawed_at']) == (None, None)
        assert member['consistency'] in (None, 'crash'), member
    assert images_left(admin, snapshot_id) == []
    # And the next snapshot of the same group works, once the sweep freed
    # the servers (right after its last delete).
    again = snapshot_once_free(api, {'app_group': tagged_app_group['id'],
                                     'mode': 'barrier'})
    assert again.status_code == 202, again.text
    again_id = again.json()['group_snapshot']['id']
    assert wait_for_snapshot(api, again_id, ('available', 'error'))[
        'status'] == 'available'
    api('DELETE', '%s/%s' % (SNAPSHOTS, again_id))
