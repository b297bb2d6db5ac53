"""Failure family: a capture that fails on one host.

Nova refuses createImage for one member (its server is locked by an
admin, and captures run as the requesting user): the group ends in error
naming that member and host, and the other members' images are deleted.
"""

import pytest

from tests.functional.conftest import images_of
from tests.functional.conftest import SNAPSHOTS
from tests.functional.conftest import wait_for_snapshot


@pytest.fixture
def locked_server(admin, spread_servers):
    server = spread_servers['servers'][1]
    admin.compute.lock_server(server)
    yield admin.compute.get_server(server)
    admin.compute.unlock_server(server)


def test_one_failed_capture_fails_the_group_and_deletes_the_rest(
        api_as, admin, tagged_app_group, locked_server):
    api = api_as('minicloud-demo')
    response = api('POST', SNAPSHOTS, json={'group_snapshot': {
        'app_group': tagged_app_group['id'], 'mode': 'shared_start'}})
    assert response.status_code == 202, response.text
    snap = wait_for_snapshot(api, response.json()['group_snapshot']['id'])
    assert snap['status'] == 'error'
    assert snap['error'].startswith('Server %s on host %s: capture failed' %
                                    (locked_server.id,
                                     locked_server.compute_host))
    assert 'locked' in snap['error']
    assert images_of(admin, snap['id']) == []
