"""Security: another project's source is "not found", and reveals nothing.

The resolvers read the cloud with the service's (admin) connection, which
sees every project: each must check that what a name or an id points at
belongs to the caller's project. Project demo owns a Heat stack (with a
server), a server group and servers (conftest's spread_servers); project
alt (cs-alt) tries to make app groups, and VM-level snapshots, of them by
name and by id. Every attempt must be a 404 that names nothing of demo's
but what alt itself gave: not the stack's or group's name or id, not a
server's id or name.
"""

import pytest

WAIT = 300


@pytest.fixture(scope='module')
def demo_stack(demo, run_id):
    """A demo Heat stack holding one server, nested in a ResourceGroup."""
    name = 'cs-sec-%s-stack' % run_id
    server = {'type': 'OS::Nova::Server',
              'properties': {'name': '%s-srv' % name, 'image': 'tiny',
                             'flavor': 'm1.tiny',
                             'networks': [{'allocate_network': 'none'}]}}
    template = {'heat_template_version': '2018-08-31',
                'resources': {'servers': {
                    'type': 'OS::Heat::ResourceGroup',
                    'properties': {'count': 1, 'resource_def': server}}}}
    stack = demo.orchestration.create_stack(name=name, timeout_mins=10,
                                            template=template)
    try:
        stack = demo.orchestration.wait_for_status(
            stack, 'CREATE_COMPLETE', failures=['CREATE_FAILED'], wait=WAIT)
        servers = list(demo.compute.servers(name='^%s-srv' % name))
        assert len(servers) == 1
        yield {'id': stack.id, 'name': name,
               'servers': [(s.id, s.name) for s in servers]}
    finally:
        demo.orchestration.delete_stack(stack, ignore_missing=True)
        demo.orchestration.wait_for_delete(stack, wait=WAIT)


@pytest.fixture(scope='module')
def alt(api_as):
    return api_as('cs-alt')


@pytest.fixture(scope='module')
def secrets(demo_stack, spread_servers):
    """{kind: what of demo's must not reach alt}."""
    group = spread_servers['group']
    servers = [(s.id, s.name) for s in spread_servers['servers']]
    return {
        'heat': {'id': demo_stack['id'], 'name': demo_stack['name'],
                 'servers': demo_stack['servers']},
        'server_group': {'id': group.id, 'name': group.name,
                         'servers': servers},
        'servers': {'servers': servers},
    }


def _group(name, source_type, source):
    return {'app_group': {'name': name, 'source_type': source_type,
                          'source': source}}


def _reveals_nothing(response, secret, given):
    """Nothing of the secret in the answer but what the caller gave."""
    hidden = [secret.get('id'), secret.get('name')]
    for server_id, server_name in secret['servers']:
        hidden += [server_id, server_name]
    for value in hidden:
        if value and value not in given:
            assert value not in response.text, (value, response.text)


def _no_group_named(api, name):
    listed = api('GET', '/v1/app-groups').json()['app_groups']
    return name not in [g['name'] for g in listed]


@pytest.mark.parametrize('kind,form', [
    ('heat', 'name'), ('heat', 'id'),
    ('server_group', 'name'), ('server_group', 'id'),
])
def test_another_projects_stack_or_group_is_a_404_revealing_nothing(
        alt, secrets, run_id, kind, form):
    secret = secrets[kind]
    given = secret[form]
    key = {'heat': 'stack', 'server_group': 'server_group'}[kind]
    name = 'steal-%s-%s-%s' % (kind, form, run_id)
    response = alt('POST', '/v1/app-groups',
                   json=_group(name, kind, {key: given}))
    try:
        assert response.status_code == 404, response.text
        assert response.json()['error']['code'] == 404
        _reveals_nothing(response, secret, given)
        assert _no_group_named(alt, name)
    finally:
        if response.status_code == 201:
            alt('DELETE', '/v1/app-groups/%s' %
                response.json()['app_group']['id'])


@pytest.mark.parametrize('kind,form', [
    ('heat', 'name'), ('heat', 'id'),
    ('server_group', 'name'), ('server_group', 'id'),
])
def test_an_update_to_another_projects_source_is_a_404(
        alt, secrets, run_id, kind, form):
    created = alt('POST', '/v1/app-groups', json=_group(
        'own-%s-%s-%s' % (kind, form, run_id), 'metadata',
        {'tags': ['nothing-%s' % run_id]}))
    assert created.status_code == 201, created.text
    path = '/v1/app-groups/%s' % created.json()['app_group']['id']
    try:
        secret = secrets[kind]
        given = secret[form]
        key = {'heat': 'stack', 'server_group': 'server_group'}[kind]
        response = alt('PATCH', path, json={'app_group': {
            'source_type': kind, 'source': {key: given}}})
        assert response.status_code == 404, response.text
        _reveals_nothing(response, secret, given)
        assert alt('GET', path).json()['app_group']['source_type'] == (
            'metadata')
    finally:
        alt('DELETE', path)


def test_another_projects_servers_are_a_404_revealing_nothing(
        alt, secrets, run_id):
    secret = secrets['servers']
    ids = [server_id for server_id, _ in secret['servers']]
    name = 'steal-servers-%s' % run_id
    for response in (
            alt('POST', '/v1/app-groups', json=_group(
                name, 'servers', {'servers': ids})),
            # The VM-level request (no app group) checks the same.
            alt('POST', '/v1/group-snapshots', json={'group_snapshot': {
                'servers': ids}})):
        assert response.status_code == 404, response.text
        _reveals_nothing(response, secret, ids)
    assert _no_group_named(alt, name)
    assert not [s for s in alt('GET', '/v1/group-snapshots').json()[
        'group_snapshots'] if s.get('servers') == ids]


@pytest.mark.parametrize('source', ['tags', 'properties'])
def test_a_selector_matching_another_projects_servers_finds_none(
        alt, spread_servers, secrets, run_id, source):
    # A tag or a property belongs to nobody: the selector is valid, but it
    # only ever matches the caller's own servers.
    key, value = spread_servers['property']
    selector = ({'tags': [spread_servers['tag']]} if source == 'tags'
                else {'properties': {key: value}})
    created = alt('POST', '/v1/app-groups', json=_group(
        'selector-%s-%s' % (source, run_id), 'metadata', selector))
    assert created.status_code == 201, created.text
    path = '/v1/app-groups/%s' % created.json()['app_group']['id']
    try:
        listed = alt('GET', path + '/members')
        assert listed.status_code == 200, listed.text
        assert listed.json()['members'] == []
        assert listed.json()['missing'] == []
        _reveals_nothing(listed, secrets['servers'], ())
        snapshot = alt('POST', '/v1/group-snapshots', json={
            'group_snapshot': {'app_group': path.rsplit('/', 1)[1]}})
        assert snapshot.status_code in (400, 404, 409), snapshot.text
        _reveals_nothing(snapshot, secrets['servers'], ())
    finally:
        alt('DELETE', path)


@pytest.mark.parametrize('form', ['id', 'name'])
def test_the_owner_still_gets_its_own_stack_and_its_servers(
        api_as, demo_stack, run_id, form):
    # The control: the owner check keeps the stack's own project in.
    demo = api_as('minicloud-demo')
    created = demo('POST', '/v1/app-groups', json=_group(
        'own-stack-%s-%s' % (form, run_id), 'heat',
        {'stack': demo_stack[form]}))
    assert created.status_code == 201, created.text
    group = created.json()['app_group']
    try:
        assert group['source'] == {'stack': demo_stack['id'],
                                   'stack_name': demo_stack['name']}
        listed = demo('GET', '/v1/app-groups/%s/members' % group['id'])
        assert listed.status_code == 200, listed.text
        assert [m['server_id'] for m in listed.json()['members']] == [
            server_id for server_id, _ in demo_stack['servers']]
    finally:
        demo('DELETE', '/v1/app-groups/%s' % group['id'])
