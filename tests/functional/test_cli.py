"""The real `openstack appgroup` CLI, against the test cloud and the API.

Every command runs the venv's `openstack` in a subprocess with -f json, as
an operator would, under one of tests/cloud/plugin.py's clouds.yaml
identities. The servers, server group and Heat stack are this module's own,
named with a per-run prefix so that reruns do not collide, and are deleted
at the end.
"""

import json
import os
import pathlib
import subprocess
import sys
import uuid

import openstack
from openstack.config import loader
import pytest
import requests

from consistent_snap.sdk import service as sdk_service

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / 'tests' / 'cloud'))
import plugin as cloud_plugin  # noqa: E402

OPENSTACK = pathlib.Path(sys.executable).parent / 'openstack'
CLOUDS_YAML = cloud_plugin.env()['OS_CLIENT_CONFIG_FILE']
ADMIN, DEMO = 'minicloud', 'minicloud-demo'
READER, ALT = 'cs-demo-reader', 'cs-alt'
HOSTS = ('compute-1', 'compute-2', 'compute-3')
KINDS = ('heat', 'server_group', 'metadata', 'servers')
WAIT = 300


def connect(cloud):
    """An SDK connection as a clouds.yaml identity, ignoring OS_* vars."""
    config = loader.OpenStackConfig(config_files=[CLOUDS_YAML],
                                    load_envvars=False)
    return openstack.connection.Connection(config=config.get_one(cloud))


def _api_unreachable():
    """Why the tests cannot run, or None."""
    if not OPENSTACK.exists():
        return 'no openstack CLI next to %s' % sys.executable
    try:
        url = connect(ADMIN).session.get_endpoint(
            service_type=sdk_service.SERVICE_TYPE, interface='public')
        requests.get(url, timeout=10).raise_for_status()
    except Exception as e:
        return ('consistent-snap API not reachable at its catalog endpoint '
                '(start it with tests/cloud/plugin.py up): %s' % e)
    return None


_SKIP_REASON = _api_unreachable()
if _SKIP_REASON:
    pytest.skip(_SKIP_REASON, allow_module_level=True)


class OpenStackCLI:
    """The real `openstack` command, run as a clouds.yaml identity."""

    def __init__(self):
        # Only clouds.yaml decides who we are: stray OS_* variables would
        # override --os-cloud's settings.
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith('OS_')}
        self.env['OS_CLIENT_CONFIG_FILE'] = CLOUDS_YAML

    def run(self, cloud, *args):
        return subprocess.run([str(OPENSTACK), '--os-cloud', cloud, *args],
                              env=self.env, capture_output=True, text=True,
                              timeout=120)

    def ok(self, cloud, *args):
        """Run with -f json when the command prints; return the JSON."""
        result = self.run(cloud, *args)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout) if result.stdout.strip() else None

    def json(self, cloud, *args):
        return self.ok(cloud, *args, '-f', 'json')

    def fails(self, cloud, *args):
        """Run expecting failure; return stderr, the person's message."""
        result = self.run(cloud, *args)
        assert result.returncode != 0, result.stdout
        assert 'Traceback' not in result.stderr, result.stderr
        return result.stderr


# Helper fixtures, named to move to tests/functional/conftest.py as they are.

@pytest.fixture(scope='module')
def openstack_cli():
    return OpenStackCLI()


@pytest.fixture(scope='module')
def cli_prefix():
    """Unique per run: names of what this run creates start with it."""
    return 'cs-cli-%s' % uuid.uuid4().hex[:8]


@pytest.fixture(scope='module')
def demo_conn():
    return connect(DEMO)


@pytest.fixture(scope='module')
def admin_app_groups(request, cli_prefix):
    """Admin's consistent-snap proxy.

    At the end it deletes any app group, of any project, whose name
    carries this run's prefix: a failed test must not leave one behind.
    """
    conn = connect(ADMIN)
    conn.add_service(sdk_service.description())
    proxy = getattr(conn, sdk_service.PROXY_ATTR)

    def delete_leftovers():
        for group in proxy.app_groups(all_projects=True):
            if group.name.startswith(cli_prefix):
                proxy.delete_app_group(group)
    request.addfinalizer(delete_leftovers)
    return proxy


def _delete_servers(conn, servers):
    for server in servers:
        conn.compute.delete_server(server, ignore_missing=True)
    for server in servers:
        conn.compute.wait_for_delete(server, wait=WAIT)


def _boot(conn, name, **kwargs):
    return conn.compute.create_server(
        name=name, image_id=conn.image.find_image('tiny',
                                                  ignore_missing=False).id,
        flavor_id=conn.compute.find_flavor('m1.tiny',
                                           ignore_missing=False).id,
        networks='none', **kwargs)


@pytest.fixture(scope='module')
def demo_spread_servers(spread_servers):
    """The session's three demo servers on compute-1..3 (conftest)."""
    return spread_servers


def _stack_template(prefix):
    server = {'type': 'OS::Nova::Server',
              'properties': {
                  'name': '%s-stack-%%index%%' % prefix,
                  'image': 'tiny', 'flavor': 'm1.tiny',
                  'networks': [{'allocate_network': 'none'}],
                  'scheduler_hints': {'group': {'get_resource': 'group'}}}}
    return {
        'heat_template_version': '2018-08-31',
        'resources': {
            # Hard anti-affinity: the three servers land on three hosts.
            'group': {'type': 'OS::Nova::ServerGroup',
                      'properties': {'name': '%s-stack-sg' % prefix,
                                     'policies': ['anti-affinity']}},
            # The servers live in a nested stack, as resolvers must follow.
            'servers': {'type': 'OS::Heat::ResourceGroup',
                        'properties': {'count': 3, 'resource_def': server}},
        },
    }


@pytest.fixture(scope='module')
def demo_heat_stack(request, demo_conn, cli_prefix):
    """A demo Heat stack with three servers, on three hosts, nested.

    Returns {'name': stack name, 'server_ids': [...]}.
    """
    conn = demo_conn
    name = '%s-stack' % cli_prefix
    stack = conn.orchestration.create_stack(
        name=name, template=_stack_template(cli_prefix), timeout_mins=10)

    def cleanup():
        conn.orchestration.delete_stack(stack, ignore_missing=True)
        conn.orchestration.wait_for_delete(stack, wait=WAIT)
    request.addfinalizer(cleanup)
    stack = conn.orchestration.wait_for_status(
        stack, 'CREATE_COMPLETE', failures=['CREATE_FAILED'], wait=WAIT)
    server_ids = [s.id for s in conn.compute.servers(name='^%s-' % name)]
    assert len(server_ids) == 3
    return {'name': name, 'server_ids': server_ids}


@pytest.fixture(scope='module')
def cli_app_groups(openstack_cli, cli_prefix, admin_app_groups,
                   demo_spread_servers, demo_heat_stack):
    """One app group of each kind, created by demo through the CLI.

    Returns kind -> (the group as create printed it, expected server ids).
    """
    servers = demo_spread_servers['servers']
    spread_ids = [s.id for s in servers]
    sources = {
        'heat': (['--heat-stack', demo_heat_stack['name']],
                 demo_heat_stack['server_ids']),
        'server_group': (['--server-group',
                          demo_spread_servers['group'].name], spread_ids),
        'metadata': (['--tag', demo_spread_servers['tag'],
                      '--property', '%s=%s' % demo_spread_servers[
                          'property']],
                     spread_ids),
        # A name among IDs: the CLI must send its ID.
        'servers': (['--server', servers[0].name, '--server', servers[1].id,
                     '--server', servers[2].id], spread_ids),
    }
    return {kind: (openstack_cli.json(DEMO, 'appgroup', 'create',
                                      '%s-%s' % (cli_prefix, kind), *args),
                   expected)
            for kind, (args, expected) in sources.items()}


def _names(openstack_cli, cloud=DEMO):
    groups = openstack_cli.json(cloud, 'appgroup', 'list')
    return sorted(g['Name'] for g in groups)


# The tests.

@pytest.mark.parametrize('kind', KINDS)
def test_create_each_kind_of_app_group(openstack_cli, cli_app_groups, kind):
    created, _ = cli_app_groups[kind]
    assert created['source_type'] == kind
    assert created['default_mode'] == 'barrier'
    shown = openstack_cli.json(DEMO, 'appgroup', 'show', created['name'])
    assert shown == created


def test_server_names_are_sent_as_ids(cli_app_groups, demo_spread_servers):
    created, _ = cli_app_groups['servers']
    assert created['source'] == {'servers': [
        s.id for s in demo_spread_servers['servers']]}


@pytest.mark.parametrize('kind', KINDS)
def test_admin_sees_members_on_three_hosts(openstack_cli, cli_app_groups,
                                           kind):
    created, expected = cli_app_groups[kind]
    members = openstack_cli.json(ADMIN, 'appgroup', 'member', 'list',
                                 created['id'])
    assert sorted(m['Server ID'] for m in members) == sorted(expected)
    assert {m['Host'] for m in members} == set(HOSTS)
    assert {m['Status'] for m in members} == {'ACTIVE'}
    assert {m['Power State'] for m in members} == {'RUNNING'}


@pytest.mark.parametrize('kind', KINDS)
def test_member_sees_host_ids_not_hosts(openstack_cli, cli_app_groups, kind):
    created, expected = cli_app_groups[kind]
    members = openstack_cli.json(DEMO, 'appgroup', 'member', 'list',
                                 created['name'])
    assert sorted(m['Server ID'] for m in members) == sorted(expected)
    assert all('Host' not in m for m in members)
    assert len({m['Host ID'] for m in members}) == 3


def test_member_list_long(openstack_cli, cli_app_groups):
    created, _ = cli_app_groups['metadata']
    members = openstack_cli.json(DEMO, 'appgroup', 'member', 'list',
                                 created['name'], '--long')
    assert {m['Availability Zone'] for m in members} == set(HOSTS)
    assert all(m['Volumes'] == [] for m in members)
    assert all(m['Guest Agent'] is False for m in members)


def test_member_list_table_is_readable(openstack_cli, cli_app_groups):
    created, _ = cli_app_groups['server_group']
    result = openstack_cli.run(DEMO, 'appgroup', 'member', 'list',
                               created['name'], '-c', 'Name', '-f', 'value')
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.split()) == 3


def test_list(openstack_cli, cli_app_groups, cli_prefix):
    mine = {'%s-%s' % (cli_prefix, kind) for kind in KINDS}
    assert mine <= set(_names(openstack_cli))
    only = openstack_cli.json(DEMO, 'appgroup', 'list', '--name',
                              '%s-heat' % cli_prefix, '--long')
    assert [g['Source Type'] for g in only] == ['heat']
    assert set(only[0]) >= {'Description', 'Source', 'Quiesce',
                            'Consistent', 'Include Volumes'}
    every = openstack_cli.json(ADMIN, 'appgroup', 'list', '--all-projects')
    demo_project = cli_app_groups['heat'][0]['project_id']
    assert {g['Project ID'] for g in every
            if g['Name'] in mine} == {demo_project}


@pytest.mark.parametrize('by', ['id', 'name'])
def test_other_project_cannot_see_the_group(openstack_cli, cli_app_groups,
                                            by):
    created, _ = cli_app_groups['servers']
    message = openstack_cli.fails(ALT, 'appgroup', 'show', created[by])
    assert 'could not be found' in message
    message = openstack_cli.fails(ALT, 'appgroup', 'member', 'list',
                                  created[by])
    assert 'could not be found' in message


def test_reader_can_list_and_show_but_not_create(openstack_cli,
                                                 cli_app_groups, cli_prefix):
    created, _ = cli_app_groups['metadata']
    assert created['name'] in _names(openstack_cli, READER)
    assert openstack_cli.json(READER, 'appgroup', 'show',
                              created['id'])['name'] == created['name']
    message = openstack_cli.fails(READER, 'appgroup', 'create',
                                  '%s-by-reader' % cli_prefix, '--tag', 'x')
    assert 'HTTP 403' in message
    assert 'Policy does not allow' in message


@pytest.mark.parametrize('args, named', [
    (['--heat-stack', 'no-such-stack'], "Heat stack 'no-such-stack'"),
    (['--server-group', 'no-such-group'], "Server group 'no-such-group'"),
    (['--server', 'no-such-server'], 'Server no-such-server'),
    (['--server', '8a3b1f5e-0000-4000-8000-000000000000'],
     'Server(s) 8a3b1f5e-0000-4000-8000-000000000000'),
])
def test_unknown_source_creates_nothing(openstack_cli, admin_app_groups,
                                        cli_prefix, args, named):
    before = _names(openstack_cli)
    message = openstack_cli.fails(DEMO, 'appgroup', 'create',
                                  '%s-unknown' % cli_prefix, *args)
    assert named in message
    assert 'could not be found' in message
    assert _names(openstack_cli) == before


def test_set_changes_name_and_settings(openstack_cli, admin_app_groups,
                                       cli_prefix, demo_spread_servers):
    server = demo_spread_servers['servers'][0]
    name = '%s-set' % cli_prefix
    created = openstack_cli.json(DEMO, 'appgroup', 'create', name,
                                 '--server', server.id)
    assert openstack_cli.ok(
        DEMO, 'appgroup', 'set', name, '--name', name + '-renamed',
        '--description', 'the shop', '--mode', 'shared-start',
        '--no-quiesce', '--no-consistent', '--no-include-volumes') is None
    shown = openstack_cli.json(DEMO, 'appgroup', 'show', created['id'])
    assert (shown['name'], shown['description'], shown['default_mode'],
            shown['quiesce'], shown['consistent'],
            shown['include_volumes']) == (name + '-renamed', 'the shop',
                                          'shared_start', False, False,
                                          False)
    openstack_cli.ok(DEMO, 'appgroup', 'set', created['id'], '--quiesce')
    shown = openstack_cli.json(DEMO, 'appgroup', 'show', created['id'])
    assert (shown['quiesce'], shown['consistent']) == (True, False)


def test_checks_are_set_shown_refused_and_removed(
        openstack_cli, admin_app_groups, cli_prefix, demo_spread_servers):
    server = demo_spread_servers['servers'][0]
    name = '%s-checks' % cli_prefix
    created = openstack_cli.json(
        DEMO, 'appgroup', 'create', name, '--server', server.id,
        '--check', 'rows=test -s /var/lib/db/rows',
        '--port-check', 'db=%s:5432' % server.name)
    assert created['checks'] == [
        {'name': 'rows', 'command': 'test -s /var/lib/db/rows'},
        {'name': 'db', 'port': 5432, 'to': server.name}]
    table = openstack_cli.run(DEMO, 'appgroup', 'show', name).stdout
    assert 'rows: test -s /var/lib/db/rows' in table
    assert 'db: TCP port 5432 of %s' % server.name in table
    message = openstack_cli.fails(DEMO, 'appgroup', 'set', name,
                                  '--check', 'guest_agent=true')
    assert 'app_group/checks: each check needs a name of its own' in message
    openstack_cli.ok(DEMO, 'appgroup', 'set', name, '--no-checks')
    assert openstack_cli.json(DEMO, 'appgroup', 'show', name)[
        'checks'] == []


def test_delete_reports_failures_and_deletes_the_rest(
        openstack_cli, admin_app_groups, cli_prefix):
    names = ['%s-del-%d' % (cli_prefix, n) for n in (1, 2)]
    ids = [openstack_cli.json(DEMO, 'appgroup', 'create', name, '--tag',
                              cli_prefix)['id'] for name in names]
    missing = '%s-never-created' % cli_prefix
    message = openstack_cli.fails(DEMO, 'appgroup', 'delete', names[0],
                                  missing, ids[1])
    assert "'%s'" % missing in message
    assert '1 of 3 app groups failed to delete' in message
    assert not set(names) & set(_names(openstack_cli))


def test_empty_group_says_so(openstack_cli, admin_app_groups, cli_prefix):
    name = '%s-empty' % cli_prefix
    openstack_cli.json(DEMO, 'appgroup', 'create', name,
                       '--tag', '%s-on-no-server' % cli_prefix)
    result = openstack_cli.run(DEMO, 'appgroup', 'member', 'list', name,
                               '-f', 'json')
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
    assert 'app group %s has no servers' % name in result.stderr


def test_deleted_server_is_reported_missing(openstack_cli, admin_app_groups,
                                            cli_prefix, demo_conn,
                                            demo_spread_servers):
    doomed = _boot(demo_conn, '%s-doomed' % cli_prefix)
    try:
        doomed = demo_conn.compute.wait_for_server(doomed, wait=WAIT)
        kept = demo_spread_servers['servers'][0]
        name = '%s-missing' % cli_prefix
        openstack_cli.json(DEMO, 'appgroup', 'create', name,
                           '--server', kept.id, '--server', doomed.id)
    finally:
        _delete_servers(demo_conn, [doomed])
    result = openstack_cli.run(DEMO, 'appgroup', 'member', 'list', name,
                               '-f', 'json')
    assert result.returncode == 0, result.stderr
    assert [m['Server ID'] for m in json.loads(result.stdout)] == [kept.id]
    assert doomed.id in result.stderr
