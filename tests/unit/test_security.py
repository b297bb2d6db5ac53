"""Security: what one project, or one host, must not learn.

- a resolver never takes another project's source (Heat shows an admin any
  project's stack, without saying whose but in its links);
- host names and host file paths stay with admins, in every answer;
- the user's token never goes on the wire (RPC, notifications);
- request bodies are bounded in bytes and every list in items.
"""

import types

from oslo_utils import uuidutils
import pytest
import webob
import webob.dec
import yaml

from consistent_snap.api import deploy
from consistent_snap.api.handlers import group_snapshots
from consistent_snap.api.handlers import root
from consistent_snap.api import host_names
from consistent_snap.api.schemas import app_groups as app_group_schemas
from consistent_snap.api.schemas import backup_policies as policy_schemas
from consistent_snap.api.schemas import group_snapshots as snap_schemas
from consistent_snap.api.schemas import restores as restore_schemas
from consistent_snap.api import util
from consistent_snap import context as cs_context
from consistent_snap import exception
from consistent_snap import members
from consistent_snap.resolvers import heat
from consistent_snap.resolvers import metadata
from consistent_snap.resolvers import server_group
from consistent_snap.resolvers import servers as servers_resolver
from consistent_snap import rpc
from consistent_snap import states

MINE, THEIRS = 'a' * 32, 'b' * 32
STACK_ID = '7d0a4280-ad6f-4842-80a7-a9aeaf477b08'
HEAT_URL = 'http://127.0.0.1:8004/v1'


# Sources: another project's is "not found", and says nothing of it.

def _stack(project, name='their-secret-stack', stack_id=STACK_ID):
    # GET /v1/{any project}/stacks/{id} as admin: no "project" key; the
    # self link names the owner (as the test cloud's Heat answers).
    return {'id': stack_id, 'stack_name': name, 'stack_owner': 'someone',
            'links': [{'rel': 'self', 'href': '%s/%s/stacks/%s/%s' % (
                HEAT_URL, project, name, stack_id)}]}


def _resource(project, server_id, stack=('their-secret-stack', STACK_ID)):
    base = '%s/%s/stacks/%s/%s' % (HEAT_URL, project, *stack)
    return {'resource_name': 'server', 'resource_type': 'OS::Nova::Server',
            'physical_resource_id': server_id,
            'links': [{'rel': 'self', 'href': base + '/resources/server'},
                      {'rel': 'stack', 'href': base}]}


class _Heat(heat.HeatResolver):
    """Heat as it answers the service's admin connection."""

    def __init__(self, owner, resources=()):
        super().__init__(types.SimpleNamespace(
            resolvers=types.SimpleNamespace(heat_nested_depth=3)), None)
        self.owner = owner
        self.resources = list(resources)

    def _get(self, project_id, path, params=None):
        stack = _stack(self.owner)
        if path == '/stacks/%s' % STACK_ID:
            return {'stack': stack}
        if path == '/stacks':  # An admin's list holds every project's.
            listed = dict(stack, project=self.owner)
            return {'stacks': [listed] if params['name'] in (
                stack['stack_name'], STACK_ID) else []}
        if path.endswith('/resources'):
            return {'resources': self.resources}
        return None


@pytest.mark.parametrize('ref', [STACK_ID, 'their-secret-stack'],
                         ids=['id', 'name'])
def test_another_projects_stack_is_not_found(ref):
    with pytest.raises(exception.StackNotFound) as raised:
        _Heat(THEIRS).validate(MINE, {'stack': ref}, None)
    assert raised.value.code == 404
    message = str(raised.value)
    for secret in {STACK_ID, 'their-secret-stack'} - {ref}:
        assert secret not in message


@pytest.mark.parametrize('ref', [STACK_ID, 'their-secret-stack'],
                         ids=['id', 'name'])
def test_the_projects_own_stack_is_found(ref):
    assert _Heat(MINE).validate(MINE, {'stack': ref}, None) == {
        'stack': STACK_ID, 'stack_name': 'their-secret-stack'}


def test_a_stored_stack_of_another_project_resolves_to_nothing():
    # Stored before the owner was checked: its servers stay hidden.
    server = str(uuidutils.generate_uuid())
    inventory = members.Inventory(None, MINE)
    with pytest.raises(exception.StackNotFound) as raised:
        _Heat(THEIRS, [_resource(THEIRS, server)]).resolve(
            MINE, {'stack': STACK_ID, 'stack_name': 'x'}, inventory)
    assert server not in str(raised.value)
    assert inventory.origins == {}
    assert _Heat(MINE, [_resource(MINE, server)]).resolve(
        MINE, {'stack': STACK_ID, 'stack_name': 'x'}, inventory) == [server]


def test_the_owner_is_read_from_the_link_else_from_project():
    assert heat.owner(_stack(THEIRS)) == THEIRS
    assert heat.owner({'project': MINE, 'links': []}) == MINE
    assert heat.owner({'id': STACK_ID}) is None
    assert heat.owner(_resource(THEIRS, 's'), 'stack') == THEIRS
    assert heat.owner(_resource(THEIRS, 's'), 'nested') is None


class _Compute:
    def __init__(self, groups):
        self.groups = groups

    def server_groups(self, all_projects=False):
        return list(self.groups)

    def find_server_group(self, ref, ignore_missing=True):
        return next((g for g in self.groups if g.id == ref), None)


def _server_group_resolver(owner):
    group = types.SimpleNamespace(
        id=str(uuidutils.generate_uuid()), name='their-group',
        project_id=owner, member_ids=[str(uuidutils.generate_uuid())])
    conn = types.SimpleNamespace(compute=_Compute([group]))
    return server_group.ServerGroupResolver(None, conn), group


@pytest.mark.parametrize('form', ['id', 'name'])
def test_another_projects_server_group_is_not_found(form):
    resolver, group = _server_group_resolver(THEIRS)
    ref = getattr(group, form)
    with pytest.raises(exception.ServerGroupNotFound) as raised:
        resolver.validate(MINE, {'server_group': ref}, None)
    for secret in {group.id, group.name, *group.member_ids} - {ref}:
        assert secret not in str(raised.value)
    with pytest.raises(exception.ServerGroupNotFound):
        resolver.resolve(MINE, {'server_group': group.id}, None)


def test_another_projects_servers_are_not_found_nor_matched():
    theirs = types.SimpleNamespace(id=str(uuidutils.generate_uuid()),
                                   name='their-server', tags=['t'],
                                   metadata={'k': 'v'})
    # The inventory holds the caller's project's servers only.
    inventory = types.SimpleNamespace(servers={})
    with pytest.raises(exception.ServersNotFound) as raised:
        servers_resolver.ServersResolver(None, None).validate(
            MINE, {'servers': [theirs.id]}, inventory)
    assert 'their-server' not in str(raised.value)
    selector = metadata.MetadataResolver(None, None)
    assert selector.resolve(MINE, {'tags': ['t'], 'properties': {'k': 'v'}},
                            inventory) == []


# Hosts and host paths: admins only.

HOST, HOST_ID = 'compute-real', 'f00dcafe' * 7
DISK = '/var/lib/nova/instances/0030a364/disk'


def _member(**fields):
    member = {f: None for f in group_snapshots.MEMBER_FIELDS +
              states.Member.INSTANTS}
    member.update(server_id='s1', host=HOST, host_id=HOST_ID, artifacts=[{
        'type': 'libvirt_disk', 'id': 's1:vda', 'server_id': 's1',
        'status': 'available', 'host': HOST, 'disk': 'vda',
        'frozen_file': DISK, 'overlay': DISK + '.cs-1234', 'name': 'n-vda',
        'image_id': 'img-1', 'properties': {}}],
        error='capture failed on host %s: qemu-img: %s: Permission denied'
              % (HOST, DISK),
        consistency_reason='compute-real froze it; compute-real-2 did not')
    member.update(fields)
    return member


def _snapshot_view(roles, **member_fields):
    snap = {f: None for f in group_snapshots.FIELDS}
    snap.update(id='g1', project_id=MINE, fence_at=None,
                error='member s1 failed on host %s' % HOST,
                members=[_member(**member_fields),
                         _member(server_id='s2', host='compute-real-2',
                                 host_id='beef' * 14, artifacts=[])])
    request = webob.Request.blank('/v1/group-snapshots/g1')
    request.environ[util.CONTEXT_KEY] = cs_context.RequestContext(
        user_id='u', project_id=MINE, roles=list(roles))
    return group_snapshots._view(request, snap)


def test_a_member_sees_no_host_nor_host_paths_in_members(enforcer):
    view = _snapshot_view(['member', 'reader'])
    first = view['members'][0]
    assert 'host' not in first
    assert first['artifacts'] == [{
        'type': 'libvirt_disk', 'id': 's1:vda', 'server_id': 's1',
        'status': 'available', 'disk': 'vda', 'name': 'n-vda',
        'image_id': 'img-1', 'properties': {}}]


def test_a_member_reads_errors_with_host_hashes_and_no_host_paths(
        enforcer):
    view = _snapshot_view(['member', 'reader'])
    first, second = view['members']
    assert view['error'] == 'member s1 failed on host %s' % HOST_ID
    assert first['error'] == (
        'capture failed on host %s: qemu-img: <host file>: Permission '
        'denied' % HOST_ID)
    # compute-real-2 is another host, not compute-real and a suffix.
    assert first['consistency_reason'] == '%s froze it; %s did not' % (
        HOST_ID, 'beef' * 14)
    assert HOST not in str(view) and DISK not in str(view)
    assert second['error'] == first['error']


def test_a_url_in_an_error_is_not_taken_for_a_host_path():
    words = ('upload to http://glance:9292/v2/images/x failed; '
             'left /var/lib/x/disk.cs-1 on compute-1')
    assert host_names.text(words, {'compute-1': 'abc'}) == (
        'upload to http://glance:9292/v2/images/x failed; '
        'left <host file> on abc')


def test_an_admin_sees_hosts_and_paths(enforcer):
    view = _snapshot_view(['admin', 'member', 'reader'])
    first = view['members'][0]
    assert first['host'] == HOST
    assert first['artifacts'][0]['frozen_file'] == DISK
    assert HOST in first['error'] and DISK in first['error']
    assert view['error'] == 'member s1 failed on host %s' % HOST


# The token stays at the API.

def test_no_token_goes_on_the_wire():
    context = cs_context.RequestContext(
        user_id='u', project_id=MINE, roles=['member'],
        auth_token='gAAAAA-the-users-token')
    serializer = rpc.ContextSerializer()
    wire = serializer.serialize_context(context)
    assert 'gAAAAA-the-users-token' not in repr(wire)
    assert 'auth_token' not in wire
    received = serializer.deserialize_context(wire)
    assert received.auth_token is None
    assert (received.user_id, received.project_id, received.roles) == (
        'u', MINE, ['member'])
    assert context.auth_token == 'gAAAAA-the-users-token'  # Not changed.


def test_rpc_and_notifications_use_the_serializer(monkeypatch):
    import oslo_messaging
    made = []
    monkeypatch.setattr(oslo_messaging, 'Notifier',
                        lambda *a, **kw: made.append(kw['serializer']))
    monkeypatch.setattr(oslo_messaging, 'get_rpc_client',
                        lambda *a, **kw: made.append(kw['serializer']))
    rpc.get_notifier('x')
    rpc.get_client(oslo_messaging.Target(topic='t'))
    assert [type(s) for s in made] == [rpc.ContextSerializer] * 2


# Bounded bodies.

@webob.dec.wsgify
def _echo(req):
    return webob.Response(body=b'%d' % len(req.body))


def _limited(limit=1024):
    return deploy.FaultWrapper(deploy.BodySizeLimit(_echo, limit))


def test_a_body_over_the_limit_is_413_in_the_error_format():
    request = webob.Request.blank('/v1/app-groups', method='POST',
                                  body=b'x' * 1025)
    response = request.get_response(_limited())
    assert response.status_int == 413
    error = response.json['error']
    assert error['code'] == 413
    assert '1024 bytes' in error['message']


def test_a_chunked_body_over_the_limit_is_413_and_read_no_further():
    class Endless:
        read_bytes = 0

        def read(self, size=-1):
            assert size > 0, 'read without a bound'
            self.read_bytes += size
            return b'x' * size
    stream = Endless()
    request = webob.Request.blank('/v1/app-groups', method='POST')
    request.environ.update({'wsgi.input': stream,
                            'HTTP_TRANSFER_ENCODING': 'chunked'})
    request.environ.pop('CONTENT_LENGTH', None)
    response = request.get_response(_limited())
    assert response.status_int == 413
    assert stream.read_bytes <= 1025


@pytest.mark.parametrize('chunked', [False, True])
def test_a_body_within_the_limit_passes_whole(chunked):
    import io
    request = webob.Request.blank('/v1/app-groups', method='POST',
                                  body=b'x' * 1024)
    if chunked:
        # As gunicorn gives it: de-chunked, terminated, no length.
        request.environ.update({'wsgi.input': io.BytesIO(b'x' * 1024),
                                'wsgi.input_terminated': True,
                                'HTTP_TRANSFER_ENCODING': 'chunked'})
        request.environ.pop('CONTENT_LENGTH', None)
    response = request.get_response(_limited())
    assert response.status_int == 200
    assert response.body == b'1024'


def test_the_pipeline_applies_the_limit(conf):
    conf.set_override('auth_strategy', 'noauth', group='api')
    conf.set_override('max_request_body_size', 2048, group='api')
    request = webob.Request.blank('/v1/app-groups', method='POST',
                                  body=b'{' + b' ' * 4096 + b'}',
                                  content_type='application/json')
    response = request.get_response(deploy.deploy(conf))
    assert response.status_int == 413, response.body


def _arrays(schema, path=()):
    """(path, array schema) of every array a JSON schema allows."""
    if isinstance(schema, dict):
        if schema.get('type') == 'array' or 'items' in schema:
            yield path, schema
        for key, value in schema.items():
            yield from _arrays(value, path + (key,))
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            yield from _arrays(value, path + (i,))


def _request_schemas():
    from importlib import metadata as importlib_metadata
    schemas = {
        'app_group create': app_group_schemas.create(['heat']),
        'app_group update': app_group_schemas.update(['heat']),
        'group_snapshot create': snap_schemas.CREATE,
        'backup_policy create': policy_schemas.CREATE,
        'backup_policy update': policy_schemas.UPDATE,
        'restore create': restore_schemas.CREATE,
    }
    for ep in importlib_metadata.entry_points(group=members.NAMESPACE):
        schemas['source ' + ep.name] = ep.load().schema
    doc = yaml.safe_load(root._openapi_document())
    for path, item in doc['paths'].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and 'requestBody' in operation:
                schemas['document %s %s' % (method, path)] = operation[
                    'requestBody']
    # Components referenced by the bodies: every request component.
    for name, schema in doc['components']['schemas'].items():
        if name.endswith(('Create', 'Update', 'Source')):
            schemas['document ' + name] = schema
    return schemas


@pytest.mark.parametrize('name, schema', sorted(_request_schemas().items()))
def test_every_list_in_a_request_is_bounded(name, schema):
    unbounded = [path for path, array in _arrays(schema)
                 if 'maxItems' not in array]
    assert not unbounded, '%s: %s' % (name, unbounded)
