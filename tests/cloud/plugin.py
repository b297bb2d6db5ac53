"""consistent-snap on the test cloud: Keystone registration, config, processes.

Run with the project's venv after tests/cloud/up.sh:

    python tests/cloud/plugin.py up    register in Keystone, write the config,
                                       db sync, start the API, the
                                       coordinator and the agents (idempotent)
    python tests/cloud/plugin.py down  stop what `up` started (recorded pids)
    python tests/cloud/plugin.py env   print the environment tests use

Everything lives under $CS_DIR (default $MC_DIR/consistent-snap): etc/, log/,
run/ (pid files), state/ (the embedded SQLite database).
"""

import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import time

import openstack

MC_DIR = pathlib.Path(os.environ.get('MC_DIR', '/tmp/minicloud'))
CS_DIR = pathlib.Path(os.environ.get('CS_DIR', MC_DIR / 'consistent-snap'))
IP = '127.0.0.1'
PASSWORD = os.environ.get('MC_PASSWORD', 'minicloud')
KEYSTONE_URL = 'http://%s:%s/v3' % (IP, os.environ.get('MC_KEYSTONE_PORT',
                                                       '5000'))
TRANSPORT_URL = 'rabbit://os:%s@%s:%s/' % (
    PASSWORD, IP, os.environ.get('MC_RABBIT_PORT', '5672'))
API_PORT = int(os.environ.get('CS_API_PORT', '8790'))
SERVICE_TYPE = 'consistent-snap'
SERVICE_USER = 'consistent-snap'
BIN = pathlib.Path(sys.executable).parent

# Test identities: (cloud name, user, project, role).
USERS = [
    ('cs-demo-reader', 'demo-reader', 'demo', 'reader'),
    ('cs-alt', 'alt', 'alt', 'member'),
]


def _auth(user, project):
    return {'auth_url': KEYSTONE_URL, 'username': user, 'password': PASSWORD,
            'project_name': project, 'user_domain_name': 'Default',
            'project_domain_name': 'Default'}


def _cloud(user, project):
    return {'auth': _auth(user, project), 'region_name': 'RegionOne',
            'interface': 'public', 'identity_api_version': 3}


def clouds():
    """Every identity the tests use, as clouds.yaml entries."""
    entries = {'minicloud': _cloud('admin', 'admin'),
               'minicloud-demo': _cloud('demo', 'demo')}
    for cloud, user, project, _ in USERS:
        entries[cloud] = _cloud(user, project)
    return entries


def _one(iterable):
    return next(iter(iterable), None)


def register(admin):
    """Service user, test users and the catalog entry; idempotent."""
    identity = admin.identity
    role = {r: identity.find_role(r) for r in ('admin', 'service', 'member',
                                               'reader')}
    service_project = identity.find_project('service')

    def user(name, project):
        found = identity.find_user(name, domain_id='default')
        if found is None:
            found = identity.create_user(name=name, password=PASSWORD,
                                         domain_id='default',
                                         default_project_id=project.id)
        return found

    svc_user = user(SERVICE_USER, service_project)
    for r in ('admin', 'service'):
        identity.assign_project_role_to_user(service_project, svc_user,
                                             role[r])
    for _, name, project_name, role_name in USERS:
        project = (identity.find_project(project_name) or
                   identity.create_project(name=project_name,
                                           domain_id='default'))
        identity.assign_project_role_to_user(project, user(name, project),
                                             role[role_name])
    # The tests and the quickstart boot a few dozen tiny servers.
    for project in ('demo', 'alt'):
        admin.set_compute_quotas(project, instances=100, cores=200,
                                 ram=64 * 1024)
    service = (_one(identity.services(type=SERVICE_TYPE)) or
               identity.create_service(name='consistent-snap',
                                       type=SERVICE_TYPE,
                                       description='Consistent group '
                                                   'snapshots of apps'))
    url = 'http://%s:%d' % (IP, API_PORT)
    region = 'RegionOne'
    for interface in ('public', 'internal', 'admin'):
        endpoint = _one(identity.endpoints(service_id=service.id,
                                           interface=interface))
        if endpoint is None:
            identity.create_endpoint(service_id=service.id, url=url,
                                     interface=interface, region_id=region)
        elif endpoint.url != url:
            identity.update_endpoint(endpoint, url=url)


def write_clouds_yaml():
    import yaml
    path = CS_DIR / 'clouds.yaml'
    path.write_text(yaml.safe_dump({'clouds': clouds()}))
    return path


def config_connection():
    return 'sqlite:///%s' % (CS_DIR / 'state' / 'consistent_snap.sqlite')


def config_text(connection=None, auth_strategy='keystone', port=API_PORT,
                extra=''):
    connection = connection or config_connection()
    service_auth = _auth(SERVICE_USER, 'service').items()
    svc = '\n'.join('%s = %s' % kv for kv in service_auth)
    return f"""[DEFAULT]
state_path = {CS_DIR / 'state'}
transport_url = {TRANSPORT_URL}
[api]
auth_strategy = {auth_strategy}
bind_host = {IP}
bind_port = {port}
[database]
connection = {connection}
[keystone_authtoken]
www_authenticate_uri = {KEYSTONE_URL}
auth_type = password
{svc}
service_token_roles_required = true
[service_credentials]
auth_type = password
{svc}
region_name = RegionOne
[oslo_messaging_notifications]
driver = messagingv2
[coordinator]
# A dead agent fails a snapshot in 30 s instead of 120 s.
capture_timeout = 30
{extra}"""


def write_config(name='consistent-snap.conf', **kwargs):
    path = CS_DIR / 'etc' / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(config_text(**kwargs))
    return path


def _pid_file(name):
    return CS_DIR / 'run' / ('%s.pid' % name)


def alive(name):
    try:
        pid = int(_pid_file(name).read_text())
        _reap(pid)  # A test's SIGKILL leaves our child a zombie otherwise.
        os.kill(pid, 0)
        return True
    except (FileNotFoundError, ProcessLookupError, ValueError):
        return False


def port_open(port):
    with socket.socket() as s:
        return s.connect_ex((IP, port)) == 0


def start(name, argv):
    """Start a process in its own session; pid and log under CS_DIR."""
    if alive(name):
        return
    for sub in ('run', 'log'):
        (CS_DIR / sub).mkdir(parents=True, exist_ok=True)
    with open(CS_DIR / 'log' / ('%s.log' % name), 'ab') as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL,
                                start_new_session=True)
    _pid_file(name).write_text(str(proc.pid))


def stop(*names, timeout=15):
    """Stop the process groups recorded for ``names``; never by name."""
    pids = {}
    for name in names:
        try:
            pids[name] = int(_pid_file(name).read_text())
            os.killpg(pids[name], signal.SIGTERM)
        except (FileNotFoundError, ValueError, ProcessLookupError):
            pass
    deadline = time.monotonic() + timeout
    for name, pid in pids.items():
        try:
            while time.monotonic() < deadline:
                _reap(pid)
                os.kill(pid, 0)
                time.sleep(0.1)
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for name in names:
        _pid_file(name).unlink(missing_ok=True)


def _reap(pid):
    """Collect our own exited child, which would otherwise look alive."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass  # Not our child: its parent or init collects it.


def wait_port(name, port, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port):
            return
        if not alive(name):
            break
        time.sleep(0.2)
    log = (CS_DIR / 'log' / ('%s.log' % name)).read_text()[-3000:]
    raise RuntimeError('%s did not listen on port %d:\n%s' % (name, port, log))


def start_api(conf_path, name='api', port=API_PORT):
    start(name, [str(BIN / 'consistent-snap-api'), '--config-file',
                 str(conf_path)])
    wait_port(name, port)


def db_sync(conf_path):
    subprocess.run([str(BIN / 'consistent-snap-manage'), '--config-file',
                    str(conf_path), 'db', 'sync'], check=True,
                   capture_output=True)


COMPUTE_HOSTS = os.environ.get('MINICLOUD_COMPUTE_HOSTS',
                               'compute-1 compute-2 compute-3').split()


def libvirt_hosts():
    """compute-real[-N]: hosts with Nova's libvirt driver (WITH_LIBVIRT=1)."""
    env_sh = MC_DIR / 'env.sh'
    found = env_sh.exists() and re.search(
        r'^export MINICLOUD_LIBVIRT_HOSTS="([^"]*)"', env_sh.read_text(),
        re.M)
    return found.group(1).split() if found else []


# Agents on libvirt hosts freeze real guests and snapshot their disks.
LIBVIRT_AGENT = '[agent]\nquiescer = libvirt\ncapturers = libvirt,cinder\n'


def start_daemons():
    """The coordinator and one agent per compute host.

    Each is a process with its own host name, as on a real cloud; the
    agent of a libvirt host runs "on" it (its namespaces: its libvirtd).
    """
    daemons = [('coordinator', 'consistent-snap-coordinator',
                'coordinator-1', '', [])]
    daemons += [('agent-%s' % h, 'consistent-snap-agent', h, '', [])
                for h in COMPUTE_HOSTS]
    daemons += [('agent-%s' % h, 'consistent-snap-agent', h, LIBVIRT_AGENT,
                 [str(MC_DIR / 'bin' / 'on-host'), h])
                for h in libvirt_hosts()]
    for name, binary, host, extra, on_host in daemons:
        conf = write_config(name='%s.conf' % name,
                            extra='[DEFAULT]\nhost = %s\n%s' % (host, extra))
        start(name, on_host + [str(BIN / binary), '--config-file', str(conf)])


def env():
    return {'OS_CLIENT_CONFIG_FILE': str(CS_DIR / 'clouds.yaml'),
            'CS_CONFIG_FILE': str(CS_DIR / 'etc' / 'consistent-snap.conf'),
            'CS_TRANSPORT_URL': TRANSPORT_URL,
            'CS_DIR': str(CS_DIR)}


def up():
    CS_DIR.mkdir(parents=True, exist_ok=True)
    admin = openstack.connect(**_cloud('admin', 'admin'))
    register(admin)
    write_clouds_yaml()
    conf = write_config()
    db_sync(conf)
    start_api(conf)
    start_daemons()


def down():
    stop(*(p.stem for p in (CS_DIR / 'run').glob('*.pid')))


def main(argv):
    command = argv[1] if len(argv) > 1 else 'up'
    if command == 'up':
        up()
        print('consistent-snap API on http://%s:%d, registered as %s' %
              (IP, API_PORT, SERVICE_TYPE))
    elif command == 'down':
        down()
    elif command == 'env':
        for key, value in env().items():
            print('export %s=%s' % (key, value))
    else:
        sys.exit('usage: plugin.py up|down|env')


if __name__ == '__main__':
    main(sys.argv)
