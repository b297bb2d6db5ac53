"""Failure family: a capture that fails on one host.

Cinder refuses to snapshot one member's volume (an admin has put it in
error): the group ends in error naming that member and host, and every
image the other members made is deleted.
"""

import pytest

from tests.functional.conftest import attach_new_volume
from tests.functional.conftest import detach_volume
from tests.functional.conftest import images_left
from tests.functional.conftest import snapshot_once_free
from tests.functional.conftest import SNAPSHOTS
from tests.functional.conftest import wait_for_snapshot


@pytest.fixture
def volume_in_error(admin, demo, spread_servers, run_id):
    server = spread_servers['servers'][1]
    volume = attach_new_volume(demo, server, 'cs-broken-%s' % run_id)
    admin.block_storage.reset_volume_status(volume, status='error',
                                            attach_status=None,
                                            migration_status=None)
    yield admin.compute.get_server(server.id)
    detach_volume(admin, demo, server, volume)
    demo.block_storage.delete_volume(volume)


def test_one_failed_capture_fails_the_group_and_deletes_the_rest(
        api_as, admin, tagged_app_group, volume_in_error):
    api = api_as('minicloud-demo')
    response = snapshot_once_free(api, {
        'app_group': tagged_app_group['id'], 'mode': 'shared_start'})
    assert response.status_code == 202, response.text
    snap = wait_for_snapshot(api, response.json()['group_snapshot']['id'])
    assert snap['status'] == 'error'
    # As an admin: the project sees Nova's host hash, not the host's name.
    shown = api_as('minicloud')('GET', '%s/%s' % (
        SNAPSHOTS, snap['id'])).json()['group_snapshot']
    assert shown['error'].startswith(
        'Server %s on host %s: capture failed' % (
            volume_in_error.id, volume_in_error.compute_host))
    assert images_left(admin, snap['id']) == []
