"""The REST API as a real process behind Keystone, on the real test cloud."""

import subprocess

import pytest
import sqlalchemy as sa

from consistent_snap.db import models


def _group(name, source_type, source, **extra):
    return {'app_group': dict(name=name, source_type=source_type,
                              source=source, **extra)}


def _names(api):
    response = api('GET', '/v1/app-groups')
    assert response.status_code == 200
    return sorted(g['name'] for g in response.json()['app_groups'])


@pytest.fixture
def demo_api(api_as):
    return api_as('minicloud-demo')


@pytest.fixture
def created(demo_api):
    """Create app groups through the API; delete them afterwards."""
    ids = []

    def create(body):
        response = demo_api('POST', '/v1/app-groups', json=body)
        assert response.status_code == 201, response.text
        group = response.json()['app_group']
        ids.append(group['id'])
        return group
    yield create
    for group_id in ids:
        demo_api('DELETE', '/v1/app-groups/%s' % group_id)


def test_versions_document_needs_no_token(test_cloud):
    import requests
    response = requests.get('http://127.0.0.1:%d/' % test_cloud.API_PORT)
    assert response.status_code == 200
    assert response.json()['versions'][0]['id'] == 'v1.0'


def test_no_token_is_401_as_json(test_cloud):
    import requests
    response = requests.get('http://127.0.0.1:%d/v1/app-groups' %
                            test_cloud.API_PORT)
    assert response.status_code == 401


@pytest.mark.parametrize('data, expected', [
    ('{"app_group": ', 'malformed JSON'),
    ('{"app_group": {"name": "x", "source_type": "servers", '
     '"source": {"servers": []}, "colour": "red"}}',
     "'colour' was unexpected"),
    ('{"app_group": {"name": 7, "source_type": "heat", '
     '"source": {"stack": "s"}}}', "app_group/name: 7 is not of type"),
    ('{"app_group": {"name": "x", "source_type": "servers", '
     '"source": {"servers": []}}}',
     'app_group/source/servers: [] should be non-empty'),
    ('{"app_group": {"name": "x", "source_type": "ldap", '
     '"source": {}}}', "app_group/source_type: 'ldap' is not one of"),
])
def test_bad_bodies_are_400_naming_the_problem_and_write_nothing(
        demo_api, data, expected):
    before = _names(demo_api)
    response = demo_api('POST', '/v1/app-groups', data=data)
    assert response.status_code == 400, response.text
    assert expected in response.json()['error']['message']
    assert _names(demo_api) == before


def test_a_body_that_is_not_json_is_400(demo_api):
    response = demo_api('POST', '/v1/app-groups', data='name=x',
                        headers={'Content-Type': 'text/plain'})
    assert response.status_code == 400
    assert 'application/json' in response.json()['error']['message']


@pytest.mark.parametrize('source_type, source, expected', [
    ('heat', {'stack': 'no-such-stack'},
     "Heat stack 'no-such-stack' could not be found in project"),
    ('server_group', {'server_group': 'no-such-group'},
     "Server group 'no-such-group' could not be found in project"),
    ('servers', {'servers': ['5d8a7a34-3c49-4f87-9a0e-0e1f0b2c9a11']},
     'Server(s) 5d8a7a34-3c49-4f87-9a0e-0e1f0b2c9a11 could not be found'),
])
def test_unknown_sources_are_404_naming_them_and_write_nothing(
        demo_api, source_type, source, expected):
    before = _names(demo_api)
    response = demo_api('POST', '/v1/app-groups',
                        json=_group('ghost', source_type, source))
    assert response.status_code == 404, response.text
    assert expected in response.json()['error']['message']
    assert _names(demo_api) == before


def test_another_projects_server_is_not_found(api_as, spread_servers):
    foreign = spread_servers['servers'][0].id
    response = api_as('cs-alt')('POST', '/v1/app-groups', json=_group(
        'steal', 'servers', {'servers': [foreign]}))
    assert response.status_code == 404
    assert foreign in response.json()['error']['message']


def test_members_with_hosts_for_admin_and_host_ids_for_members(
        api_as, created, spread_servers, run_id):
    group = created(_group('tagged-%s' % run_id, 'metadata',
                           {'tags': ['cs-func-%s' % run_id]}))
    path = '/v1/app-groups/%s/members' % group['id']
    as_member = api_as('minicloud-demo')('GET', path).json()
    as_admin = api_as('minicloud')('GET', path).json()
    ids = sorted(s.id for s in spread_servers['servers'])
    assert sorted(m['server_id'] for m in as_member['members']) == ids
    assert all('host' not in m for m in as_member['members'])
    assert len({m['host_id'] for m in as_member['members']}) == 3
    assert sorted(m['host'] for m in as_admin['members']) == [
        'compute-1', 'compute-2', 'compute-3']
    assert as_member['host_count'] == 3
    assert as_member['drift'] is None


def test_server_group_and_property_sources(created, demo_api,
                                           spread_servers, run_id):
    by_group = created(_group('sg-%s' % run_id, 'server_group',
                              {'server_group': 'cs-func-%s' % run_id}))
    assert by_group['source']['server_group'] == spread_servers['group'].id
    by_property = created(_group('md-%s' % run_id, 'metadata',
                                 {'properties': {'app': run_id}}))
    for group in (by_group, by_property):
        listed = demo_api('GET', '/v1/app-groups/%s/members' %
                          group['id']).json()
        assert len(listed['members']) == 3


def test_an_empty_group_exists_but_says_so(created, demo_api, run_id):
    group = created(_group('empty-%s' % run_id, 'metadata',
                           {'tags': ['nothing-has-this-%s' % run_id]}))
    listed = demo_api('GET', '/v1/app-groups/%s/members' %
                      group['id']).json()
    assert listed['members'] == []
    assert listed['message'] == 'app group empty-%s has no servers' % run_id


def test_duplicate_name_is_409(created, demo_api, run_id):
    body = _group('twice-%s' % run_id, 'metadata', {'tags': ['x']})
    created(body)
    response = demo_api('POST', '/v1/app-groups', json=body)
    assert response.status_code == 409
    assert 'already exists' in response.json()['error']['message']


def test_project_isolation_and_reader_rights(api_as, created, run_id):
    group = created(_group('mine-%s' % run_id, 'metadata', {'tags': ['x']}))
    path = '/v1/app-groups/%s' % group['id']
    alt = api_as('cs-alt')
    assert alt('GET', path).status_code == 404
    assert alt('DELETE', path).status_code == 404
    assert group['id'] not in [g['id'] for g in
                               alt('GET', '/v1/app-groups').json()[
                                   'app_groups']]
    reader = api_as('cs-demo-reader')
    assert reader('GET', path).status_code == 200
    assert reader('GET', path + '/members').status_code == 200
    forbidden = reader('POST', '/v1/app-groups', json=_group(
        'reader-%s' % run_id, 'metadata', {'tags': ['x']}))
    assert forbidden.status_code == 403
    assert 'consistent_snap:app_group:create' in forbidden.json()[
        'error']['message']
    assert reader('PATCH', path, json={'app_group': {
        'name': 'r'}}).status_code == 403
    # Admin acts in any project, and may list them all.
    admin = api_as('minicloud')
    assert admin('GET', path).status_code == 200
    all_groups = admin('GET', '/v1/app-groups?all_projects=true').json()
    assert group['id'] in [g['id'] for g in all_groups['app_groups']]
    assert api_as('minicloud-demo')(
        'GET', '/v1/app-groups?all_projects=true').status_code == 403


def test_update_and_delete(created, demo_api, run_id):
    group = created(_group('edit-%s' % run_id, 'metadata', {'tags': ['x']}))
    path = '/v1/app-groups/%s' % group['id']
    response = demo_api('PATCH', path, json={'app_group': {
        'description': 'the shop', 'default_mode': 'shared_start',
        'source': {'tags': ['y']}}})
    assert response.status_code == 200, response.text
    updated = response.json()['app_group']
    assert (updated['description'], updated['default_mode'],
            updated['source']) == ('the shop', 'shared_start', {'tags': ['y']})
    bad = demo_api('PATCH', path, json={'app_group': {
        'source_type': 'heat', 'source': {'stack': 'no-such-stack'}}})
    assert bad.status_code == 404
    assert demo_api('GET', path).json()['app_group']['source_type'] == (
        'metadata')
    assert demo_api('DELETE', path).status_code == 204
    assert demo_api('GET', path).status_code == 404


def test_drift_since_the_last_available_snapshot(
        test_cloud, created, demo_api, spread_servers, run_id):
    group = created(_group('drift-%s' % run_id, 'metadata',
                           {'properties': {'app': run_id}}))
    kept, gone = spread_servers['servers'][0].id, 'a-server-since-deleted'
    # The API's own database: record a snapshot as group snapshots will.
    engine = sa.create_engine(test_cloud.config_connection())
    with engine.begin() as conn:
        conn.execute(sa.insert(models.GroupSnapshot.__table__).values(
            id='gs-' + run_id, app_group_id=group['id'],
            project_id=group['project_id'], name='', description='',
            status='available', mode='barrier', consistent=True,
            quiesce=True, requested_by='test', created_at=sa.func.now()))
        for server_id in (kept, gone):
            conn.execute(sa.insert(models.MemberSnapshot.__table__).values(
                id='%s-%s' % (server_id, run_id), group_snapshot_id='gs-' +
                run_id, server_id=server_id, host='compute-1', artifacts=[],
                status='available', created_at=sa.func.now()))
    drift = demo_api('GET', '/v1/app-groups/%s/members' %
                     group['id']).json()['drift']
    assert drift['since_group_snapshot'] == 'gs-' + run_id
    assert drift['left'] == [gone]
    assert drift['joined'] == sorted(s.id for s in spread_servers['servers']
                                     if s.id != kept)


def _second_api(test_cloud, name, port, resolvers):
    conf = test_cloud.write_config(
        name='%s.conf' % name, port=port,
        extra='[resolvers]\nenabled = %s\n' % resolvers)
    return [str(test_cloud.BIN / 'consistent-snap-api'), '--config-file',
            str(conf)]


def test_an_unknown_resolver_in_config_stops_the_api_with_the_valid_names(
        test_cloud):
    argv = _second_api(test_cloud, 'bad-resolver', 8797, 'heat,heta')
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert ("Unknown consistent_snap.resolvers driver 'heta'. Valid: heat, "
            "metadata, server_group, servers.") in result.stderr


def test_a_disabled_resolver_is_refused(test_cloud, api_as, run_id):
    from tests.functional.conftest import Api
    port = 8798
    test_cloud.start('api-heat-only',
                     _second_api(test_cloud, 'heat-only', port, 'heat'))
    try:
        test_cloud.wait_port('api-heat-only', port)
        api = Api(api_as('minicloud-demo').conn,
                  base_url='http://127.0.0.1:%d' % port)
        response = api('POST', '/v1/app-groups', json=_group(
            'tags-%s' % run_id, 'metadata', {'tags': ['x']}))
        assert response.status_code == 400
        assert response.json()['error']['message'] == (
            "Source type 'metadata' is not enabled on this cloud. "
            "Enabled: heat.")
    finally:
        test_cloud.stop('api-heat-only')


def test_a_failing_cloud_service_is_503_without_secrets(
        test_cloud, api_as, created, run_id):
    from tests.functional.conftest import Api
    group = created(_group('svc-%s' % run_id, 'metadata', {'tags': ['x']}))
    port = 8796
    conf = test_cloud.write_config(
        name='bad-credentials.conf', port=port,
        extra='[service_credentials]\npassword = wrong-secret\n')
    test_cloud.start('api-bad-credentials', [
        str(test_cloud.BIN / 'consistent-snap-api'), '--config-file',
        str(conf)])
    try:
        test_cloud.wait_port('api-bad-credentials', port)
        demo = api_as('minicloud-demo')
        api = Api(demo.conn, base_url='http://127.0.0.1:%d' % port)
        response = api('GET', '/v1/app-groups/%s/members' % group['id'])
        assert response.status_code == 503
        message = response.json()['error']['message']
        assert 'A cloud service this request needs failed' in message
        assert "[service_credentials]" in message
        log = (test_cloud.CS_DIR / 'log' /
               'api-bad-credentials.log').read_text()
        for secret in ('wrong-secret', demo.conn.session.get_token()):
            assert secret not in message and secret not in log
    finally:
        test_cloud.stop('api-bad-credentials')
