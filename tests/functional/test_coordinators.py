"""Two coordinators at once never drive the same snapshot.

A second coordinator process shares the test cloud's lock backend; a
message for a snapshot the first one is driving reaches it directly, and
it stands back.
"""

import os
import time

from oslo_config import cfg
import oslo_messaging as messaging
import pytest

from consistent_snap.conf import coordination as coordination_conf
from consistent_snap import context
from consistent_snap import coordination
from consistent_snap import rpc
from tests.functional.conftest import snapshot_once_free
from tests.functional.conftest import SNAPSHOTS
from tests.functional.conftest import wait_for_snapshot


@pytest.fixture
def second_coordinator(test_cloud):
    conf = test_cloud.write_config(name='coordinator-2.conf',
                                   extra='[DEFAULT]\nhost = coordinator-2\n')
    test_cloud.start('coordinator-2', [
        str(test_cloud.BIN / 'consistent-snap-coordinator'),
        '--config-file', str(conf)])
    yield test_cloud.CS_DIR / 'log' / 'coordinator-2.log'
    test_cloud.stop('coordinator-2')


def test_a_snapshot_driven_by_one_is_left_alone_by_the_other(
        transport, second_coordinator, api_as, tagged_app_group):
    client = rpc.get_client(messaging.Target(
        topic=rpc.COORDINATOR_TOPIC, server='coordinator-2', version='1.0'))
    deadline = time.monotonic() + 60
    while True:  # Until coordinator-2 listens.
        try:
            client.prepare(timeout=1).call(context.RequestContext(), 'ping')
            break
        except messaging.MessagingTimeout:
            assert time.monotonic() < deadline
    api = api_as('minicloud-demo')
    response = snapshot_once_free(api, {
        'app_group': tagged_app_group['id'], 'mode': 'barrier'})
    snapshot_id = response.json()['group_snapshot']['id']
    wait_for_snapshot(api, snapshot_id, ('fencing', 'capturing'))
    # The same message again, straight to the other coordinator.
    client.cast(context.RequestContext(), 'create_group_snapshot',
                snapshot_id=snapshot_id)
    snap = wait_for_snapshot(api, snapshot_id)
    assert snap['status'] == 'available', snap['error']
    log = second_coordinator.read_text()
    assert ('Group snapshot %s is driven elsewhere' % snapshot_id) in log
    api('DELETE', '%s/%s' % (SNAPSHOTS, snapshot_id))


@pytest.mark.parametrize('backend', ['file', 'mysql'])
def test_one_lock_holder_at_a_time_on_each_backend(backend, tmp_path):
    if backend == 'file':
        url = 'file://%s' % tmp_path
    else:
        server = os.environ.get('CS_TEST_MYSQL_URL')
        if not server:
            pytest.skip('CS_TEST_MYSQL_URL is not set: tests/run.sh sets it')
        url = server.replace('mysql+pymysql://', 'mysql://') + 'mysql'
    conf = cfg.ConfigOpts()
    conf.register_opts(coordination_conf.opts, group='coordination')
    conf.set_override('backend_url', url, group='coordination')
    first = coordination.Coordination(conf, 'coordinator-a')
    second = coordination.Coordination(conf, 'coordinator-b')
    first.start()
    second.start()
    try:
        held = first.try_lock('snapshot-x')
        assert held is not None
        assert second.try_lock('snapshot-x') is None
        held.release()
        again = second.try_lock('snapshot-x')
        assert again is not None
        again.release()
    finally:
        first.stop()
        second.stop()
