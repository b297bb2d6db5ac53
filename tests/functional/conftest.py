"""Real parts for functional tests: the test cloud, the API, the broker.

Run by hand, these fixtures bring up what is missing (tests/cloud/up.sh,
then tests/cloud/plugin.py up); tests/run.sh has done it already in CI.
"""

import datetime
import os
import pathlib
import subprocess
import sys
import time

import openstack
from oslo_config import cfg
import pytest

from consistent_snap import rpc

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / 'tests' / 'cloud'))
import plugin as cloud_plugin  # noqa: E402


def _cloud_healthy():
    return subprocess.run(['bash', str(ROOT / 'tests/cloud/up.sh'), 'status'],
                          capture_output=True).returncode == 0


@pytest.fixture(scope='session')
def test_cloud():
    """The test cloud with consistent-snap's API registered and running."""
    if not _cloud_healthy():
        subprocess.run(['bash', str(ROOT / 'tests/cloud/up.sh')], check=True,
                       env=dict(os.environ, WITH_CINDER='1', WITH_HEAT='1'))
    if not cloud_plugin.port_open(cloud_plugin.API_PORT):
        cloud_plugin.up()
    cloud_plugin.start_daemons()  # Only those not running.
    os.environ.update(cloud_plugin.env())
    return cloud_plugin


@pytest.fixture(scope='session')
def admin(test_cloud):
    return openstack.connect(cloud='minicloud')


@pytest.fixture(scope='session')
def demo(test_cloud):
    return openstack.connect(cloud='minicloud-demo')


@pytest.fixture(scope='session')
def transport_url(test_cloud):
    return cloud_plugin.TRANSPORT_URL


def wait_services_up(admin, since, timeout=240):
    """Wait until Nova's and Cinder's services have all reported since then.

    After a broker outage nova-compute's heartbeats go through the broker
    again only once it has reconnected; a host silent for a minute is
    "down" and Nova answers 409 "Service is unavailable" to detaching a
    volume from its servers. since: a time.time().
    """
    deadline = time.monotonic() + timeout
    while True:
        late = sorted(
            '%s on %s' % (s.binary, s.host)
            for s in (*admin.compute.services(),
                      *admin.block_storage.services())
            if s.status == 'enabled' and (
                s.state != 'up' or _epoch(s.updated_at) < since))
        if not late:
            return
        assert time.monotonic() < deadline, 'not reporting: %s' % late
        time.sleep(2)


def _epoch(timestamp):
    """Nova's and Cinder's updated_at: naive ISO 8601 in UTC."""
    when = datetime.datetime.fromisoformat(timestamp.replace('Z', ''))
    return when.replace(tzinfo=datetime.timezone.utc).timestamp()


def _wait_active(conn, servers):
    return [conn.compute.wait_for_server(s, wait=120) for s in servers]


@pytest.fixture(scope='session')
def run_id():
    import uuid
    return uuid.uuid4().hex[:8]


@pytest.fixture(scope='session')
def spread_servers(demo, run_id):
    """Three ACTIVE demo servers on compute-1..3.

    They are in one anti-affinity server group, carry this run's tag and
    property, and are deleted at the end. Every module shares them: the
    demo project's quota is finite.
    """
    group = demo.compute.create_server_group(
        name='cs-func-%s' % run_id, policy='anti-affinity')
    servers = [demo.compute.create_server(
        name='cs-func-%s-%d' % (run_id, i), image_id=_image_id(demo),
        flavor_id=demo.compute.find_flavor('m1.tiny').id, networks='none',
        availability_zone='compute-%d' % i,
        scheduler_hints={'group': group.id},
        tags=['cs-func-%s' % run_id], metadata={'app': run_id})
        for i in (1, 2, 3)]
    try:
        yield {'group': group, 'servers': _wait_active(demo, servers),
               'tag': 'cs-func-%s' % run_id, 'property': ('app', run_id)}
    finally:
        for server in servers:
            demo.compute.delete_server(server, ignore_missing=True)
        for server in servers:
            demo.compute.wait_for_delete(server, wait=120)
        demo.compute.delete_server_group(group, ignore_missing=True)


def _image_id(conn):
    return conn.image.find_image('tiny', ignore_missing=False).id


class Api:
    """Raw HTTP to consistent-snap as one Keystone identity."""

    def __init__(self, conn, base_url=None):
        import requests
        self.conn = conn
        self.base_url = base_url or conn.session.get_endpoint(
            service_type=cloud_plugin.SERVICE_TYPE, interface='public')
        self.http = requests.Session()

    def __call__(self, method, path, json=None, data=None, headers=None):
        all_headers = {'X-Auth-Token': self.conn.session.get_token()}
        if json is not None or data is not None:
            all_headers['Content-Type'] = 'application/json'
        all_headers.update(headers or {})
        return self.http.request(method, self.base_url + path, json=json,
                                 data=data, headers=all_headers, timeout=60)


@pytest.fixture(scope='module')
def transport(test_cloud):
    """oslo.messaging set up as the services are, for a module's clients."""
    path = test_cloud.write_config(name='rpc-client.conf')
    cfg.CONF([], project='consistent_snap', default_config_files=[str(path)])
    rpc.init(cfg.CONF)
    yield
    rpc.cleanup()
    cfg.CONF.reset()


@pytest.fixture(scope='session')
def api_as(test_cloud):
    """api_as('minicloud-demo') -> Api for that clouds.yaml identity."""
    cache = {}

    def make(cloud):
        if cloud not in cache:
            cache[cloud] = Api(openstack.connect(cloud=cloud))
        return cache[cloud]
    return make


SNAPSHOTS = '/v1/group-snapshots'
FINAL = ('available', 'error', 'deleted')


def wait_for_snapshot(api, snapshot_id, statuses=FINAL, timeout=150):
    """Poll a group snapshot until its status is one of ``statuses``."""
    import time
    deadline = time.monotonic() + timeout
    while True:
        try:
            snap = api('GET', '%s/%s' % (SNAPSHOTS, snapshot_id)).json()[
                'group_snapshot']
            if snap['status'] in statuses:
                return snap
        except Exception:
            snap = None  # The API may be reconnecting (broker restart).
        assert time.monotonic() < deadline, snap
        time.sleep(0.1)


def snapshot_once_free(api, body, timeout=90):
    """POST a group snapshot; again while another one still holds a server.

    A failed snapshot reads error before its hosts answered the abort and
    its artifacts are deleted; only then are its servers free (up to the
    abort's timeout when a host does not answer, after a broker restart).
    """
    deadline = time.monotonic() + timeout
    while True:
        response = api('POST', SNAPSHOTS, json={'group_snapshot': body})
        if (response.status_code != 409 or 'ServerBusy' not in response.text
                or time.monotonic() > deadline):
            return response
        time.sleep(0.5)


def wait_until_undone(api, snapshot_id, timeout=60):
    """A failed snapshot once its hosts answered the abort.

    It moves to error first, then aborts: until the hosts answer, its
    members still read as frozen or captured.
    """
    deadline = time.monotonic() + timeout
    while True:
        snap = api('GET', '%s/%s' % (SNAPSHOTS, snapshot_id)).json()[
            'group_snapshot']
        if not any(m['status'] in ('pending', 'frozen', 'captured')
                   for m in snap['members']):
            return snap
        assert time.monotonic() < deadline, snap
        time.sleep(0.5)


def images_of(admin, snapshot_id):
    """The Glance images labelled with the group snapshot."""
    # An image listed as it is being deleted may have no properties.
    return [i for i in admin.image.images()
            if (i.properties or {}).get('consistent_snap_group_snapshot_id')
            == snapshot_id]


def images_left(admin, snapshot_id, timeout=60):
    """What is left of a failed snapshot once its clean-up had time.

    A run moves to error first and deletes after (it owns the move only
    then); an abort sent to a dead host must time out before the
    coordinator deletes what that host made.
    """
    deadline = time.monotonic() + timeout
    while True:
        left = images_of(admin, snapshot_id)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(1)


@pytest.fixture
def tagged_app_group(api_as, spread_servers, request):
    """A demo app group over the three spread servers, by their tag."""
    api = api_as('minicloud-demo')
    response = api('POST', '/v1/app-groups', json={'app_group': {
        'name': '%s-%s' % (request.node.name[:40], spread_servers['tag']),
        'source_type': 'metadata',
        'source': {'tags': [spread_servers['tag']]}}})
    assert response.status_code == 201, response.text
    group = response.json()['app_group']
    yield group
    api('DELETE', '/v1/app-groups/%s' % group['id'])


def wait_volume(conn, volume, status, timeout=120):
    """Poll a Cinder volume until it has ``status``."""
    deadline = time.monotonic() + timeout
    while conn.block_storage.get_volume(volume).status != status:
        assert time.monotonic() < deadline, status
        time.sleep(0.5)


def attach_new_volume(demo, server, name):
    """A new 1 GiB volume of the fake backend, attached to server."""
    volume = demo.block_storage.create_volume(name=name, size=1,
                                              volume_type='fake')
    wait_volume(demo, volume, 'available')
    demo.compute.create_volume_attachment(server, volume=volume.id)
    wait_volume(demo, volume, 'in-use')
    return volume


def detach_volume(admin, demo, server, volume):
    """Detach it, whatever status a test set on it meanwhile."""
    admin.block_storage.reset_volume_status(volume, status='in-use',
                                            attach_status=None,
                                            migration_status=None)
    demo.compute.delete_volume_attachment(server, volume.id)
    wait_volume(demo, volume, 'available')


def rabbitmqctl(*args):
    """rabbitmqctl against the test cloud's broker."""
    mc_dir = os.environ.get('MC_DIR', '/tmp/minicloud')
    subprocess.run(['bash', '-c', 'source %s/etc/rabbitmq-env.sh && '
                    '/usr/lib/rabbitmq/bin/rabbitmqctl %s' %
                    (mc_dir, ' '.join(args))], check=True,
                   capture_output=True, timeout=120)


def reset_stuck_servers(admin, servers):
    """What an operator does after a broker outage hits Nova too.

    A createImage cast lost inside Nova leaves its instance in
    image_snapshot_pending for good; that is Nova's state, not ours.
    """
    for server in servers:
        if admin.compute.get_server(server).task_state:
            admin.compute.reset_server_state(server, 'active')


def restart_daemon(test_cloud, name, timeout=120):
    """Restart consistent-snap's ``name`` (agent-HOST, coordinator).

    Stopped and started as the harness does; returns once it serves again.
    """
    log = test_cloud.CS_DIR / 'log' / ('%s.log' % name)
    seen = log.read_text().count('listening on topic')
    test_cloud.stop(name)
    test_cloud.start_daemons()
    deadline = time.monotonic() + timeout
    while log.read_text().count('listening on topic') <= seen:
        assert time.monotonic() < deadline, (
            '%s did not start again within %d s: see %s' % (
                name, timeout, log))
        time.sleep(0.5)


def until_answering(ping, timeout=60):
    """ping() until it answers.

    A message to a server whose queue does not exist yet is dropped.
    """
    import oslo_messaging
    deadline = time.monotonic() + timeout
    while True:
        try:
            return ping()
        except oslo_messaging.MessagingTimeout:
            if time.monotonic() > deadline:
                raise


def _restore_until(api, restore_id, done, timeout):
    """The restore once done(it), polled every second."""
    path = '/v1/restores/%s' % restore_id
    deadline = time.monotonic() + timeout
    while True:
        restore = api('GET', path).json()['restore']
        if done(restore):
            return restore
        assert time.monotonic() < deadline, restore
        time.sleep(1)


def _accepted(response):
    assert response.status_code == 202, response.text
    return response.json()['restore']['id']


def restore_and_wait(api, body, timeout=300):
    """POST a restore; it once it is available or error."""
    restore_id = _accepted(api('POST', '/v1/restores',
                               json={'restore': body}))
    return _restore_until(api, restore_id, lambda r: r['status'] in (
        'available', 'error'), timeout)


def verify_and_wait(api, snapshot_id, body, timeout=300):
    """POST a verification; it once it has its verdict and is cleaned up.

    Kept for a look (keep_for): once it has its verdict.
    """
    restore_id = _accepted(api('POST', '%s/%s/verify' % (
        SNAPSHOTS, snapshot_id), json={'verify': body}))
    return _restore_until(api, restore_id, lambda r: r['status'] in (
        'deleted', 'error') or body.get('keep_for') and r['verdict'] in (
            'passed', 'failed'), timeout)


def delete_restore(api, restore, timeout=300):
    """DELETE a restore; return once it is no longer deleting."""
    api('DELETE', '/v1/restores/%s' % restore['id'])
    return _restore_until(api, restore['id'],
                          lambda r: r['status'] != 'deleting', timeout)
