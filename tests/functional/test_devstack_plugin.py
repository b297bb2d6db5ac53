"""The devstack plugin, run for real by tests/devstack/harness.sh.

shellcheck first; then the harness stacks a controller (cs-api under uwsgi,
cs-coordinator, cs-agent for compute-1) and two subnodes (cs-agent only, for
compute-2 and compute-3) on the test cloud, the demo tenant takes a group
snapshot through the real `openstack` CLI, and unstack and clean leave
nothing behind. The harness takes over the test cloud's port 8790, Keystone
entries and broker topics, so the test cloud's own consistent-snap is
stopped for the duration and started again at the end.
"""

import datetime
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import time
import uuid

from alembic import script as alembic_script
import openstack
import pytest

from consistent_snap.db import migration

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / 'tests' / 'cloud'))
import plugin as cloud_plugin  # noqa: E402

pytestmark = pytest.mark.skipif(not os.environ.get('CS_TEST_CLOUD'),
                                reason='CS_TEST_CLOUD is not set')

HARNESS = ROOT / 'tests' / 'devstack' / 'harness.sh'
HARNESS_DIR = cloud_plugin.MC_DIR / 'devstack-harness'
VENV_BIN = HARNESS_DIR / 'venv' / 'bin'
NODES = {'controller': 'compute-1', 'subnode-2': 'compute-2',
         'subnode-3': 'compute-3'}
DB_NAME = 'consistent_snap_devstack'
MYSQL = ['mysql', '--protocol=socket', '-S',
         str(cloud_plugin.MC_DIR / 'run' / 'mysqld.sock'), '-uroot', '-N',
         '-e']
LABEL = 'consistent_snap_group_snapshot_id'


def _node_path(node, *parts):
    return HARNESS_DIR.joinpath('nodes', node, *parts)


def _pid_file(node, service):
    return _node_path(node, 'opt', 'stack', 'status', '%s.pid' % service)


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def _harness(command):
    """Run the harness; its whole output goes to a log beside it."""
    env = {k: v for k, v in os.environ.items()
           if k not in ('PYTHONPATH', 'OS_CLIENT_CONFIG_FILE')}
    env['CS_HARNESS_DIR'] = str(HARNESS_DIR)
    HARNESS_DIR.mkdir(parents=True, exist_ok=True)
    log = HARNESS_DIR.parent / ('devstack-harness-%s.log' % command)
    started = time.monotonic()
    with open(log, 'w') as out:
        result = subprocess.run(['bash', str(HARNESS), command], env=env,
                                stdout=out, stderr=subprocess.STDOUT,
                                timeout=600)
    elapsed = time.monotonic() - started
    print('harness.sh %s: exit %d in %.1f s (log: %s)' %
          (command, result.returncode, elapsed, log))
    assert result.returncode == 0, log.read_text()[-4000:]
    return elapsed


def _shared_cloud(command):
    # The test cloud's consistent-snap runs the project venv's code.
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    subprocess.run([sys.executable, str(ROOT / 'tests/cloud/plugin.py'),
                    command], env=env, check=True, timeout=300)


def _shared_running():
    return sorted(p.stem for p in (cloud_plugin.CS_DIR / 'run').glob('*.pid')
                  if cloud_plugin.alive(p.stem))


def test_shellcheck_devstack_scripts():
    shellcheck = shutil.which('shellcheck')
    assert shellcheck, 'shellcheck is missing: tests/run.sh installs it'
    scripts = sorted(str(p.relative_to(ROOT)) for p in
                     [*ROOT.glob('devstack/*.sh'), HARNESS])
    result = subprocess.run([shellcheck, '-x', *scripts], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    result = subprocess.run([shellcheck, '-x', '-s', 'bash',
                             'devstack/settings'], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


@pytest.fixture(scope='module')
def devstack(test_cloud):
    """The harness's stack, in place of the test cloud's consistent-snap."""
    state = {'stack_s': None, 'cleaned': False}
    # The venv first, while the test cloud's consistent-snap still serves:
    # the window without it is then only the stack itself.
    _harness('prepare')
    _shared_cloud('down')
    try:
        state['stack_s'] = _harness('stack')
        yield state
    finally:
        try:
            if not state['cleaned']:
                _harness('clean')
        finally:
            _shared_cloud('up')


def _service_pids(node):
    status = _node_path(node, 'opt', 'stack', 'status')
    return {p.stem: int(p.read_text()) for p in status.glob('*.pid')}


def _assert_alone():
    assert not _shared_running(), (
        'another test session restarted the test cloud\'s consistent-snap '
        'while the harness stood in for it: %s' % _shared_running())


def _epoch(instant):
    return datetime.datetime.fromisoformat(
        instant.replace('Z', '+00:00')).timestamp()


def test_stack_runs_each_service_on_its_node(devstack):
    _assert_alone()
    services = {node: _service_pids(node) for node in NODES}
    assert set(services['controller']) == {'cs-api', 'cs-coordinator',
                                           'cs-agent'}
    assert set(services['subnode-2']) == set(services['subnode-3']) == {
        'cs-agent'}
    for node, pids in services.items():
        for service, pid in pids.items():
            log = _node_path(node, 'opt', 'stack', 'logs',
                             '%s.log' % service)
            assert _alive(pid), '%s on %s died:\n%s' % (
                service, node, log.read_text()[-3000:])
    # Each agent took Nova's name for its host from that host's nova.conf.
    for node, host in NODES.items():
        conf = _node_path(node, 'etc', 'consistent_snap',
                          'consistent-snap.conf').read_text()
        assert 'host = %s\n' % host in conf
        assert 'consistent_snap_devstack' in conf
    assert not _node_path('subnode-2', 'etc', 'consistent_snap',
                          'api-uwsgi.ini').exists()
    # Horizon gets every enabled file the dashboard ships, nothing else.
    shipped = {p.name for p in
               (ROOT / 'consistent_snap/dashboard/enabled').glob('_9*.py')}
    enabled = HARNESS_DIR / 'horizon/openstack_dashboard/local/enabled'
    assert {p.name for p in enabled.iterdir()} == shipped
    tempest_conf = (HARNESS_DIR / 'tempest/etc/tempest.conf').read_text()
    assert '[service_available]\nconsistent_snap = True' in tempest_conf


def test_api_answers_on_the_catalog_endpoint_under_uwsgi(devstack):
    import requests
    conn = openstack.connect(cloud='minicloud')
    url = conn.session.get_endpoint(service_type=cloud_plugin.SERVICE_TYPE,
                                    interface='public')
    assert url.rstrip('/') == 'http://127.0.0.1:8790'
    versions = requests.get(url, timeout=10)
    assert versions.status_code == 200, versions.text
    assert versions.json()['versions'][0]['id'] == 'v1.0'
    pid = _service_pids('controller')['cs-api']
    assert 'uWSGI master' in pathlib.Path(
        '/proc/%d/cmdline' % pid).read_text()
    conf = _node_path('controller', 'etc', 'consistent_snap',
                      'consistent-snap.conf')
    version = subprocess.run(
        [str(VENV_BIN / 'consistent-snap-manage'), '--config-file',
         str(conf), 'db', 'version'], capture_output=True, text=True,
        check=True).stdout.split()[-1]
    head = alembic_script.ScriptDirectory(
        migration.MIGRATIONS_DIR).get_current_head()
    assert version == head


class DemoCLI:
    """The harness venv's `openstack`, with our plugin, as the demo user."""

    def __init__(self):
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith('OS_') and k != 'PYTHONPATH'}
        self.env['OS_CLIENT_CONFIG_FILE'] = cloud_plugin.env()[
            'OS_CLIENT_CONFIG_FILE']

    def start(self, *args, cloud='minicloud-demo'):
        return subprocess.Popen(
            [str(VENV_BIN / 'openstack'), '--os-cloud', cloud, *args],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)

    def json(self, *args, cloud='minicloud-demo'):
        out, err = self.start(*args, '-f', 'json', cloud=cloud).communicate(
            timeout=300)
        assert not err.strip() or out.strip(), err
        return json.loads(out) if out.strip() else None

    def ok(self, *args, cloud='minicloud-demo'):
        proc = self.start(*args, cloud=cloud)
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err


def test_demo_takes_a_group_snapshot_through_the_harness(devstack):
    _assert_alone()
    cli = DemoCLI()
    prefix = 'cs-devstack-%s' % uuid.uuid4().hex[:8]
    names = ['%s-%d' % (prefix, i) for i in (1, 2, 3)]
    creating = [cli.start('server', 'create', '--image', 'tiny', '--flavor',
                          'm1.tiny', '--nic', 'none', '--availability-zone',
                          'compute-%d' % i, '--wait', '-f', 'json', name)
                for i, name in zip((1, 2, 3), names)]
    servers = []
    try:
        for proc in creating:
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err
            servers.append(json.loads(out)['id'])
        cli.json('appgroup', 'create', prefix, '--mode', 'barrier',
                 *[arg for s in servers for arg in ('--server', s)])
        started = time.monotonic()
        snapshot = cli.json('appgroup', 'snapshot', 'create', prefix,
                            '--wait')
        print('group snapshot %s: %s in %.1f s' % (
            snapshot['id'], snapshot['status'], time.monotonic() - started))
        assert snapshot['status'] == 'available', snapshot
        shown = cli.json('appgroup', 'snapshot', 'show', snapshot['id'],
                         cloud='minicloud')
        print(json.dumps(shown, indent=1)[:3000])
        members = shown['members']
        assert sorted(m['server_id'] for m in members) == sorted(servers)
        assert sorted(m['host'] for m in members) == sorted(NODES.values())
        # Stored on MariaDB to the microsecond (FLOAT once kept 6 digits).
        for member in members:
            assert abs(_epoch(member['captured_at']) - time.time()) < 600
        assert 0 <= shown['skew_ms'] < 5000, shown['skew_ms']
        images = [i for i in cli.json('image', 'list', '--long',
                                      '--property',
                                      '%s=%s' % (LABEL, snapshot['id']),
                                      cloud='minicloud')]
        assert len(images) == len(servers), images
        # Recorded by the harness's services, in the harness's database.
        status = subprocess.run(
            MYSQL + ["SELECT status FROM %s.group_snapshots WHERE id='%s'"
                     % (DB_NAME, snapshot['id'])],
            capture_output=True, text=True, check=True).stdout.strip()
        assert status == 'available'
        cli.ok('appgroup', 'snapshot', 'delete', snapshot['id'])
        cli.ok('appgroup', 'delete', prefix)
    finally:
        if servers:
            cli.ok('server', 'delete', '--wait', *servers)


def test_unstack_stops_and_clean_removes_everything(devstack):
    pids = {(node, service): pid for node in NODES
            for service, pid in _service_pids(node).items()}
    _harness('unstack')
    assert [k for k, pid in pids.items() if _alive(pid)] == []
    with socket.socket() as s:
        assert s.connect_ex(('127.0.0.1', cloud_plugin.API_PORT)) != 0
    _harness('clean')
    devstack['cleaned'] = True
    assert not (HARNESS_DIR / 'nodes').exists()
    assert not list((HARNESS_DIR / 'horizon').glob('**/_9*.py'))
    databases = subprocess.run(MYSQL + ['SHOW DATABASES'],
                               capture_output=True, text=True,
                               check=True).stdout.split()
    assert DB_NAME not in databases
