"""The OpenAPI document: valid, complete, and faithful to the code.

Faithful means: every route the router declares is documented and nothing
else is, and the documented request schemas accept and refuse the same
bodies as the schemas the API validates with.
"""

import copy
from importlib import metadata
import re

import jsonschema
from oslo_config import cfg
import pytest
import referencing
import referencing.jsonschema
import webob
import webob.dec
import yaml

from consistent_snap.api import deploy
from consistent_snap.api.handlers import app_groups as app_group_handlers
from consistent_snap.api.handlers import backup_policies as policy_handlers
from consistent_snap.api.handlers import root
from consistent_snap.api import router
from consistent_snap.api.schemas import app_groups as app_group_schemas
from consistent_snap.api.schemas import backup_policies as policy_schemas
from consistent_snap.api.schemas import group_snapshots as snap_schemas
from consistent_snap.api.schemas import restores as restore_schemas
from consistent_snap.api import util
from consistent_snap import clients
from consistent_snap import context as cs_context
from consistent_snap import drivers
from consistent_snap import exception
from consistent_snap import members
from consistent_snap import snapshot_request

METHODS = ('get', 'put', 'post', 'delete', 'options', 'head', 'patch',
           'trace')
# Keywords that say what a schema means without changing what it accepts.
ANNOTATIONS = ('description', 'title', 'examples', 'example', 'default',
               'deprecated', 'readOnly', 'writeOnly', '$comment')
URI = 'urn:consistent-snap:openapi'
SERVER = '0030a364-3c9f-43ac-ac5f-fca7755ad9aa'
SERVER2 = '7b1f1c4e-2a3d-4f5e-9c6b-1d2e3f4a5b6c'


@pytest.fixture(scope='module')
def doc():
    return yaml.safe_load(root._openapi_document())


def _operations(doc):
    for path, item in doc['paths'].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def _resolve(doc, ref):
    assert ref.startswith('#/'), ref
    node = doc
    for part in ref[2:].split('/'):
        node = node[part.replace('~1', '/').replace('~0', '~')]
    return node


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == '$ref':
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _plain(doc, schema):
    """The schema with $refs inlined and annotations dropped."""
    if '$ref' in schema:
        assert set(schema) == {'$ref'}, schema
        return _plain(doc, _resolve(doc, schema['$ref']))
    plain = {}
    for key, value in schema.items():
        if key in ANNOTATIONS:
            continue
        if key in ('properties', 'patternProperties', 'dependentSchemas'):
            value = {name: _plain(doc, s) for name, s in value.items()}
        elif key in ('allOf', 'anyOf', 'oneOf', 'prefixItems'):
            value = [_plain(doc, s) for s in value]
        elif isinstance(value, dict) and key in (
                'items', 'additionalProperties', 'not', 'if', 'then', 'else',
                'contains', 'propertyNames'):
            value = _plain(doc, value)
        plain[key] = value
    return plain


def _component(doc, name):
    return _plain(doc, doc['components']['schemas'][name])


def _validator(doc, name):
    """Validates as the API does: draft 2020-12, formats checked."""
    resource = referencing.Resource.from_contents(
        doc, default_specification=referencing.jsonschema.DRAFT202012)
    registry = referencing.Registry().with_resource(URI, resource)
    return jsonschema.Draft202012Validator(
        {'$ref': '%s#/components/schemas/%s' % (URI, name)},
        registry=registry, format_checker=jsonschema.FormatChecker())


def _body_schema_name(doc, path, method):
    content = doc['paths'][path][method]['requestBody']['content']
    return content['application/json']['schema']['$ref'].rsplit('/', 1)[1]


def _resolver_schemas():
    return {ep.name: ep.load().schema
            for ep in metadata.entry_points(group=members.NAMESPACE)}


SOURCE_COMPONENTS = {'heat': 'HeatSource', 'metadata': 'MetadataSource',
                     'server_group': 'ServerGroupSource',
                     'servers': 'ServersSource'}


# The document itself.

def test_the_document_is_valid_openapi_3_1(doc):
    import openapi_spec_validator
    openapi_spec_validator.validate(
        doc, cls=openapi_spec_validator.OpenAPIV31SpecValidator)


def test_the_document_is_well_formed(doc):
    assert re.match(r'^3\.1\.\d+$', doc['openapi'])
    assert doc['info']['title'] and doc['info']['version']
    for ref in set(_refs(doc)):
        assert _resolve(doc, ref) is not None, ref
    operation_ids = [op['operationId'] for _, _, op in _operations(doc)]
    assert len(operation_ids) == len(set(operation_ids))
    for path, method, op in _operations(doc):
        assert op['responses'], (path, method)
        for status in op['responses']:
            assert re.match(r'^[1-5]\d\d$', str(status)), (path, status)
        parameters = (doc['paths'][path].get('parameters', []) +
                      op.get('parameters', []))
        declared = {_plain(doc, p)['name'] for p in parameters
                    if _plain(doc, p)['in'] == 'path'}
        assert set(re.findall(r'{(\w+)}', path)) == declared, path


def test_what_a_create_returns_links_to_the_operations_on_it(doc):
    """A stateful fuzzer, and a person, follow a created resource by them.

    Each names an existing operation and fills exactly its path
    parameter, from an id the response's schema has.
    """
    by_id = {op['operationId']: (path, method)
             for path, method, op in _operations(doc)}
    linked = set()
    for path, method, op in _operations(doc):
        for status, response in op['responses'].items():
            for name, link in _plain(doc, response).get('links', {}).items():
                target_path, _ = by_id[link['operationId']]
                assert set(link['parameters']) == set(
                    re.findall(r'{(\w+)}', target_path)), name
                for expression in link['parameters'].values():
                    key = re.fullmatch(r'\$response\.body#/(\w+)/id',
                                       expression).group(1)
                    schema = _plain(doc, response['content'][
                        'application/json']['schema'])
                    item = _plain(doc, schema['properties'][key])
                    assert 'id' in item.get('required', ()), (name, key)
                linked.add(target_path)
    # Every resource a create makes can be read and deleted by its links.
    for path, method, op in _operations(doc):
        if re.fullmatch(r'/v1/[\w-]+/{\w+}', path):
            assert path in linked, path


def test_the_token_is_the_keystone_header(doc):
    schemes = doc['components']['securitySchemes']
    assert schemes == {'keystone': {
        'type': 'apiKey', 'in': 'header', 'name': 'X-Auth-Token',
        'description': schemes['keystone']['description']}}
    assert doc['security'] == [{'keystone': []}]


def test_every_route_is_documented_and_nothing_else():
    doc = yaml.safe_load(root._openapi_document())
    documented = {(path, method.upper())
                  for path, method, _ in _operations(doc)}
    routed = {(path, method)
              for path, handlers in router.ROUTE_DECLARATIONS.items()
              for method in handlers}
    assert documented == routed


def test_exactly_the_public_paths_need_no_token(doc):
    public = {path for path, _, op in _operations(doc)
              if op.get('security') == []}
    assert public == set(router.PUBLIC_PATHS)


def test_every_authenticated_operation_documents_its_errors(doc):
    for path, method, op in _operations(doc):
        responses = op['responses']
        for response in responses.values():
            response = _plain(doc, response)
            for media_type in response.get('content', {}).values():
                assert media_type['schema'], (path, method)
        if op.get('security') == []:
            continue
        assert {'401', '403'} <= set(responses), (path, method)
        parameters = [_plain(doc, p) for p in op.get('parameters', ())]
        if 'requestBody' in op or any(p['in'] == 'query' for p in
                                      parameters):
            assert '400' in responses, (path, method)
        if '{' in path or 'marker' in {p['name'] for p in parameters}:
            assert '404' in responses, (path, method)
        for status, response in responses.items():
            if status.startswith(('4', '5')):
                schema = _plain(doc, response)['content'][
                    'application/json']['schema']
                assert _plain(doc, schema) == _component(doc, 'Error'), (
                    path, method, status)


def test_errors_are_the_error_object(doc):
    error = _validator(doc, 'Error')
    request = webob.Request.blank('/')
    request.environ['openstack.request_id'] = 'req-1'
    body = util.error_response(request, 404, 'Not Found', 'gone').json
    error.validate(body)
    # As keystonemiddleware answers a missing token.
    error.validate({'error': {'code': 401, 'title': 'Unauthorized',
                              'message': 'requires authentication.'}})
    assert not error.is_valid({'message': 'x'})


def test_the_versions_documents_fit_their_schemas(doc):
    request = webob.Request.blank('/')
    _validator(doc, 'Versions').validate(
        request.get_response(root.versions).json)
    _validator(doc, 'VersionDocument').validate(
        webob.Request.blank('/v1').get_response(root.version_v1).json)


# Serving it.

def test_the_router_serves_the_document_as_yaml():
    response = webob.Request.blank('/v1/openapi.yaml').get_response(
        router.Router())
    assert response.status_int == 200
    assert response.content_type == 'application/yaml'
    assert yaml.safe_load(response.body)['openapi'].startswith('3.1')


def test_the_document_needs_no_token():
    @webob.dec.wsgify
    def refuse(req):
        return util.error_response(req, 401, 'Unauthorized', 'no token')

    application = deploy.PublicPaths(refuse, router.Router())
    assert webob.Request.blank('/v1/openapi.yaml').get_response(
        application).status_int == 200
    assert webob.Request.blank('/v1/app-groups').get_response(
        application).status_int == 401


# Faithful to the code's schemas.

def test_the_source_types_are_the_resolvers(doc):
    types = drivers.names(members.NAMESPACE)
    assert _component(doc, 'SourceType')['enum'] == types
    assert sorted(SOURCE_COMPONENTS) == types
    source = _component(doc, 'Source')
    assert source['anyOf'] == [_component(doc, SOURCE_COMPONENTS[t])
                               for t in types]


@pytest.mark.parametrize('source_type', sorted(SOURCE_COMPONENTS))
def test_each_source_schema_is_its_resolvers(doc, source_type):
    resolver_schema = _resolver_schemas()[source_type]
    assert _component(doc, SOURCE_COMPONENTS[source_type]) == resolver_schema
    by_type = {clause['if']['properties']['source_type']['const']: clause
               for clause in _component(doc, 'SourceByType')['allOf']}
    assert set(by_type) == set(SOURCE_COMPONENTS)
    assert by_type[source_type] == {
        'if': {'required': ['source_type'],
               'properties': {'source_type': {'const': source_type}}},
        'then': {'properties': {'source': resolver_schema}}}


def test_the_modes_are_the_codes(doc):
    assert _component(doc, 'Mode')['enum'] == app_group_schemas.MODES


@pytest.mark.parametrize('component, code', [
    ('AppGroupCreate', app_group_schemas.create),
    ('AppGroupUpdate', app_group_schemas.update),
])
def test_app_group_bodies_are_the_codes(doc, component, code):
    code = copy.deepcopy(code(drivers.names(members.NAMESPACE)))
    documented = _component(doc, component)
    code_group = code['properties'].pop('app_group')
    documented_group = documented['properties'].pop('app_group')
    assert documented == code  # The envelope.
    fields, by_type = documented_group.pop('allOf')
    assert by_type == _component(doc, 'SourceByType')
    # The source is an object whose shape its type decides (above).
    assert code_group['properties'].pop('source') == {'type': 'object'}
    assert fields['properties'].pop('source') == _component(doc, 'Source')
    assert fields == {key: code_group.pop(key) for key in
                      ('type', 'properties', 'additionalProperties')}
    assert documented_group == code_group  # required, minProperties...


def test_the_group_snapshot_body_is_the_codes(doc):
    documented = _component(doc, 'GroupSnapshotCreate')
    body = documented['properties']['group_snapshot']
    # The handler's rule, which the schema in the code does not say.
    assert body.pop('oneOf') == [{'required': ['app_group']},
                                 {'required': ['servers']}]
    assert documented == snap_schemas.CREATE


@pytest.mark.parametrize('component, code', [
    ('BackupPolicyCreate', policy_schemas.CREATE),
    ('BackupPolicyUpdate', policy_schemas.UPDATE),
])
def test_backup_policy_bodies_are_the_codes(doc, component, code):
    documented = _component(doc, component)
    body = documented['properties']['backup_policy']
    [fields] = body.pop('allOf')
    documented['properties']['backup_policy'] = dict(fields, **body)
    assert documented == code


@pytest.mark.parametrize('path, method', [
    ('/v1/app-groups', 'post'),
    ('/v1/app-groups/{app_group_id}', 'patch'),
    ('/v1/group-snapshots', 'post'),
    ('/v1/backup-policies', 'post'),
    ('/v1/backup-policies/{backup_policy_id}', 'patch'),
])
def test_the_examples_fit_the_document_and_the_code(doc, path, method,
                                                    code_accepts):
    name = _body_schema_name(doc, path, method)
    content = doc['paths'][path][method]['requestBody']['content']
    examples = content['application/json']['examples']
    assert examples
    for example in examples.values():
        _validator(doc, name).validate(example['value'])
        assert code_accepts(name, example['value'])


@pytest.fixture
def code_accepts(monkeypatch, db):
    """Whether the API's own checks take a body, as its handlers run them.

    Only the lookups in the cloud are replaced: a body that reaches them
    has passed every check of its shape. The database is real: a request
    is counted against its project's snapshots in progress.
    """
    class Reached(Exception):
        pass

    def reached(*args, **kwargs):
        raise Reached()

    monkeypatch.setattr(clients, 'service_connection', lambda conf: None)
    monkeypatch.setattr(members, 'validate_source', reached)
    monkeypatch.setattr(members, 'resolve', reached)
    monkeypatch.setattr(snapshot_request, 'find_app_group', reached)
    types = drivers.names(members.NAMESPACE)
    context = cs_context.RequestContext(user_id='u', project_id='p')

    def check(name, body, stored_type='heat'):
        try:
            if name == 'AppGroupCreate':
                util.validate(body, app_group_schemas.create(types))
                group = body['app_group']
                app_group_handlers._check_source(
                    context, 'p', group['source_type'], group['source'])
            elif name == 'AppGroupUpdate':
                util.validate(body, app_group_schemas.update(types))
                group = body['app_group']
                if 'source' in group:
                    # As update_app_group: a source alone takes its type.
                    source_type = group.get('source_type') or (
                        app_group_handlers._type_of(group['source'],
                                                    stored_type))
                    app_group_handlers._check_source(
                        context, 'p', source_type, group['source'])
            elif name.startswith('BackupPolicy'):
                create = name == 'BackupPolicyCreate'
                util.validate(body, policy_schemas.CREATE if create else
                              policy_schemas.UPDATE)
                values = dict({'cron': '* * * * *', 'timezone': 'UTC',
                               'enabled': True},
                              **policy_handlers._values(
                                  body['backup_policy']))
                policy_handlers._next_run_at(values)
            else:
                util.validate(body, snap_schemas.CREATE)
                snapshot_request.settings(cfg.CONF, context,
                                          body['group_snapshot'])
        except exception.InvalidBody:
            return False
        except Reached:
            return True
        return True
    return check


def _group(**fields):
    return {'app_group': fields}


HEAT = {'name': 'shop', 'source_type': 'heat', 'source': {'stack': 's'}}

APP_GROUP_CREATE = [
    (_group(**HEAT), True),
    (_group(**dict(HEAT, description='d' * 1024, include_volumes=False,
                   default_mode='priority', quiesce=True,
                   consistent=False)), True),
    (_group(name='x', source_type='metadata', source={'tags': ['a']}),
     True),
    (_group(name='x', source_type='metadata',
            source={'properties': {'k': 'v'}, 'tags': ['a', 'b']}), True),
    (_group(name='x', source_type='server_group',
            source={'server_group': 'g'}), True),
    (_group(name='x', source_type='servers',
            source={'servers': [SERVER, SERVER2]}), True),
    (_group(name='a b', source_type='heat', source={'stack': 's' * 255}),
     True),
    ({}, False),
    ([], False),
    ({'app_group': HEAT, 'extra': 1}, False),
    (_group(**dict(HEAT, colour='red')), False),
    (_group(**dict(HEAT, name='')), False),
    (_group(**dict(HEAT, name=' padded')), False),
    (_group(**dict(HEAT, name='padded ')), False),
    (_group(**dict(HEAT, name='n' * 256)), False),
    (_group(**dict(HEAT, name=7)), False),
    (_group(**dict(HEAT, description='d' * 1025)), False),
    (_group(**dict(HEAT, default_mode='fast')), False),
    (_group(**dict(HEAT, quiesce='yes')), False),
    (_group(**dict(HEAT, source_type='ldap')), False),
    (_group(name='x', source_type='heat'), False),
    (_group(name='x', source={'stack': 's'}), False),
    (_group(source_type='heat', source={'stack': 's'}), False),
    (_group(**dict(HEAT, source=['s'])), False),
    (_group(**dict(HEAT, source={'stack': ''})), False),
    (_group(**dict(HEAT, source={'stack': 's' * 256})), False),
    (_group(**dict(HEAT, source={'stack': 's', 'x': 1})), False),
    (_group(**dict(HEAT, source={'server_group': 'g'})), False),
    (_group(name='x', source_type='metadata', source={}), False),
    (_group(name='x', source_type='metadata', source={'tags': []}), False),
    (_group(name='x', source_type='metadata',
            source={'tags': ['a', 'a']}), False),
    (_group(name='x', source_type='metadata',
            source={'tags': ['t' * 61]}), False),
    (_group(name='x', source_type='metadata',
            source={'properties': {}}), False),
    (_group(name='x', source_type='metadata',
            source={'properties': {'k': 1}}), False),
    (_group(name='x', source_type='servers', source={'servers': []}),
     False),
    (_group(name='x', source_type='servers', source={'servers': ['web']}),
     False),
    (_group(name='x', source_type='servers',
            source={'servers': [SERVER, SERVER]}), False),
    (_group(name='x', source_type='servers', source={'stack': 's'}),
     False),
]

APP_GROUP_UPDATE = [
    (_group(name='new'), True),
    (_group(description=''), True),
    (_group(default_mode='barrier', consistent=True), True),
    (_group(source={'stack': 'other'}), True),
    (_group(source_type='servers', source={'servers': [SERVER]}), True),
    ({'app_group': {}}, False),
    ({}, False),
    (_group(source_type='heat'), False),
    (_group(name=' new'), False),
    (_group(colour='red'), False),
    (_group(source_type='servers', source={'stack': 's'}), False),
    (_group(source={'stack': ''}), False),
    (_group(source='s'), False),
]

GROUP_SNAPSHOT_CREATE = [
    ({'group_snapshot': {'app_group': 'shop'}}, True),
    ({'group_snapshot': {'servers': [SERVER]}}, True),
    ({'group_snapshot': {
        'app_group': 'a' * 255, 'consistent': True, 'mode': 'shared_start',
        'quiesce': False, 'include_volumes': False, 'skip_unhealthy': True,
        'name': 'n' * 255, 'description': 'd' * 1024}}, True),
    ({'group_snapshot': {'servers': [SERVER, SERVER2], 'name': ''}}, True),
    ({}, False),
    ({'group_snapshot': {}}, False),
    ({'group_snapshot': {'app_group': 'a', 'servers': [SERVER]}}, False),
    ({'group_snapshot': {'name': 'only a name'}}, False),
    ({'group_snapshot': {'app_group': ''}}, False),
    ({'group_snapshot': {'app_group': 'a' * 256}}, False),
    ({'group_snapshot': {'app_group': 7}}, False),
    ({'group_snapshot': {'servers': []}}, False),
    ({'group_snapshot': {'servers': ['web-1']}}, False),
    ({'group_snapshot': {'servers': [SERVER, SERVER]}}, False),
    ({'group_snapshot': {'servers': SERVER}}, False),
    ({'group_snapshot': {'app_group': 'a', 'mode': 'fast'}}, False),
    ({'group_snapshot': {'app_group': 'a', 'consistent': 'true'}}, False),
    ({'group_snapshot': {'app_group': 'a', 'name': 'n' * 256}}, False),
    ({'group_snapshot': {'app_group': 'a', 'colour': 'red'}}, False),
    ({'group_snapshot': {'app_group': 'a'}, 'extra': True}, False),
]


def _policy(**fields):
    return {'backup_policy': fields}


NIGHTLY = {'app_group': 'shop', 'cron': '30 2 * * *'}

BACKUP_POLICY_CREATE = [
    (_policy(**NIGHTLY), True),
    (_policy(**dict(NIGHTLY, timezone='Europe/Paris', keep_last=1,
                    max_age='30d', mode='priority', quiesce=False,
                    consistent=True, include_volumes=False, enabled=False,
                    name='n' * 255, description='d' * 1024)), True),
    (_policy(**dict(NIGHTLY, cron='*/5 * * * * *', max_age=60)), True),
    (_policy(**dict(NIGHTLY, keep_last=None, max_age=None)), True),
    (_policy(**dict(NIGHTLY, max_age='12h')), True),
    (_policy(**dict(NIGHTLY, max_age='90m')), True),
    ({}, False),
    (_policy(cron='* * * * *'), False),
    (_policy(app_group='shop'), False),
    (_policy(**dict(NIGHTLY, app_group='')), False),
    (_policy(**dict(NIGHTLY, keep_last=0)), False),
    (_policy(**dict(NIGHTLY, keep_last='2')), False),
    (_policy(**dict(NIGHTLY, max_age=0)), False),
    (_policy(**dict(NIGHTLY, max_age='30 days')), False),
    (_policy(**dict(NIGHTLY, max_age='1.5h')), False),
    (_policy(**dict(NIGHTLY, max_age=2 ** 31)), False),
    (_policy(**dict(NIGHTLY, mode='fast')), False),
    (_policy(**dict(NIGHTLY, enabled='yes')), False),
    (_policy(**dict(NIGHTLY, colour='red')), False),
    ({'backup_policy': NIGHTLY, 'extra': 1}, False),
    (_policy(**dict(NIGHTLY, name='n' * 256)), False),
    (_policy(**dict(NIGHTLY, timezone='')), False),
    (_policy(**dict(NIGHTLY, cron='')), False),
]

BACKUP_POLICY_UPDATE = [
    (_policy(enabled=False), True),
    (_policy(keep_last=3, max_age=None), True),
    (_policy(cron='0 * * * *', timezone='Asia/Tokyo'), True),
    (_policy(app_group='other'), True),
    ({'backup_policy': {}}, False),
    ({}, False),
    (_policy(keep_last=-1), False),
    (_policy(colour='red'), False),
]


@pytest.mark.parametrize('name, cases', [
    ('AppGroupCreate', APP_GROUP_CREATE),
    ('AppGroupUpdate', APP_GROUP_UPDATE),
    ('GroupSnapshotCreate', GROUP_SNAPSHOT_CREATE),
    ('BackupPolicyCreate', BACKUP_POLICY_CREATE),
    ('BackupPolicyUpdate', BACKUP_POLICY_UPDATE),
], ids=['create-app-group', 'update-app-group', 'create-group-snapshot',
        'create-backup-policy', 'update-backup-policy'])
def test_the_document_and_the_code_judge_bodies_alike(
        doc, code_accepts, name, cases):
    validator = _validator(doc, name)
    for body, valid in cases:
        assert validator.is_valid(body) is valid, body
        assert code_accepts(name, body) is valid, body


@pytest.mark.parametrize('field, body', [
    ('cron', _policy(**dict(NIGHTLY, cron='61 * * * *'))),
    ('cron', _policy(**dict(NIGHTLY, cron='* * *'))),
    ('cron', _policy(**dict(NIGHTLY, cron='0 0 30 2 *'))),
    ('timezone', _policy(**dict(NIGHTLY, timezone='Mars/Olympus'))),
])
def test_what_a_schema_cannot_say_the_code_refuses(doc, code_accepts,
                                                   field, body):
    # The document takes any string; the handler names the field.
    assert _validator(doc, 'BackupPolicyCreate').is_valid(body)
    assert not code_accepts('BackupPolicyCreate', body)
    with pytest.raises(exception.InvalidBody,
                       match='backup_policy/%s: ' % field):
        policy_handlers._next_run_at(dict(
            {'timezone': 'UTC', 'enabled': True}, **body['backup_policy']))


SOURCES_ALONE = [
    {'stack': '0'},  # The schema fuzzer's find.
    {'stack': 's' * 255},
    {'server_group': 'g'},
    {'tags': ['a']},
    {'properties': {'k': 'v'}},
    {'servers': [SERVER]},
    {},
    {'stack': ''},
    {'stack': 's', 'tags': ['a']},
    {'servers': ['web']},
    {'colour': 'red'},
]


@pytest.mark.parametrize('stored_type', sorted(SOURCE_COMPONENTS))
@pytest.mark.parametrize('source', SOURCES_ALONE,
                         ids=lambda source: str(source)[:24])
def test_a_source_alone_is_judged_alike_whatever_the_stored_type(
        doc, code_accepts, stored_type, source):
    # The document cannot know the group's stored type: a source alone
    # is valid when it fits one source type. The API must agree, so a
    # source alone takes the type it fits (PATCH {"source": {"stack": "0"}}
    # on a metadata group was valid by the document and refused).
    body = _group(source=source)
    valid = _validator(doc, 'AppGroupUpdate').is_valid(body)
    assert code_accepts('AppGroupUpdate', body,
                        stored_type=stored_type) is valid


def test_the_restore_body_is_the_codes(doc):
    documented = _component(doc, 'RestoreCreate')
    assert documented == restore_schemas.CREATE


def test_the_verify_body_is_the_codes(doc):
    assert _component(doc, 'VerifyCreate') == restore_schemas.VERIFY
