"""/v1/app-groups: applications as first-class objects."""

from importlib import metadata

from oslo_config import cfg
from oslo_log import log as logging
import webob.dec

from consistent_snap.api.schemas import app_groups as schema
from consistent_snap.api.schemas import checks
from consistent_snap.api import util
from consistent_snap import clients
from consistent_snap.db import api as db_api
from consistent_snap import drivers
from consistent_snap import exception
from consistent_snap import hooks
from consistent_snap import members
from consistent_snap.policies import app_groups as rules
from consistent_snap import policy

LOG = logging.getLogger(__name__)
CONF = cfg.CONF
FIELDS = ('id', 'project_id', 'name', 'description', 'source_type',
          'include_volumes', 'default_mode', 'quiesce', 'consistent',
          'created_at', 'updated_at')


def _view(req, group):
    view = {f: group[f] for f in FIELDS}
    view['source'] = group['source_ref']
    view['checks'] = group['checks'] or []
    view['hooks'] = hooks.with_defaults(group['hooks'])
    view['links'] = [{'rel': 'self',
                      'href': util.url(req, 'v1', 'app-groups', group['id'])},
                     {'rel': 'members',
                      'href': util.url(req, 'v1', 'app-groups', group['id'],
                                       'members')}]
    return view


def _source_types():
    return drivers.names(members.NAMESPACE)


def _source_schemas():
    return {ep.name: ep.load().schema
            for ep in metadata.entry_points(group=members.NAMESPACE)}


def _fits(source, schema_):
    try:
        util.validate(source, schema_)
    except exception.InvalidBody:
        return False
    return True


def _type_of(source, stored_type):
    """The type of a source given alone: the one whose shape it has.

    As the OpenAPI document says (a source alone is any one source type),
    so that the document and the API judge a body alike. A source that
    fits no type (or several) is checked against the stored type, whose
    schema then names the offending field.
    """
    schemas = _source_schemas()
    if _fits(source, schemas.get(stored_type, {'not': {}})):
        return stored_type
    fitting = [t for t, s in sorted(schemas.items()) if _fits(source, s)]
    return fitting[0] if len(fitting) == 1 else stored_type


def _check_source(context, project_id, source_type, source):
    """Validate the source's shape, then that it exists in the project."""
    resolver = members.resolver(CONF, clients.service_connection(CONF),
                                source_type)
    util.validate(source, resolver.schema, prefix=('app_group', 'source'))
    return members.validate_source(CONF, clients.service_connection(CONF),
                                   project_id, source_type, source)


def _target(group):
    return {'project_id': group['project_id']}


@webob.dec.wsgify
def create_app_group(req):
    context = util.context(req)
    policy.authorize(context, rules.CREATE)
    body = util.extract_json(req, schema.create(_source_types()))['app_group']
    checks.validate(body.get('checks') or (), 'app_group/checks')
    hooks.validate(body.get('hooks') or [], 'app_group/hooks',
                   CONF.agent.max_freeze_ms)
    source = body.pop('source')
    values = dict(body, project_id=context.project_id,
                  source_ref=_check_source(context, context.project_id,
                                           body['source_type'], source))
    group = db_api.app_group_create(context, values)
    LOG.info('Created app group %s (%s) in project %s', group['id'],
             group['source_type'], group['project_id'])
    return util.json_response(
        req, {'app_group': _view(req, group)}, status=201,
        location=util.url(req, 'v1', 'app-groups', group['id']))


@webob.dec.wsgify
def list_app_groups(req):
    context = util.context(req)
    policy.authorize(context, rules.LIST)
    all_projects = util.bool_param(req, 'all_projects')
    if all_projects:
        policy.authorize(context, rules.LIST_ALL_PROJECTS)
    groups = db_api.app_group_list(
        context, all_projects=all_projects,
        limit=util.int_param(req, 'limit', CONF.api.max_limit,
                             CONF.api.max_limit),
        marker=req.GET.get('marker'), name=req.GET.get('name'))
    return util.json_response(req, {'app_groups': [
        _view(req, g) for g in groups]})


def _get(req, rule):
    context = util.context(req)
    group = db_api.app_group_get(context, util.url_args(req)['app_group_id'])
    policy.authorize(context, rule, _target(group))
    return context, group


@webob.dec.wsgify
def show_app_group(req):
    _, group = _get(req, rules.SHOW)
    return util.json_response(req, {'app_group': _view(req, group)})


@webob.dec.wsgify
def update_app_group(req):
    context, group = _get(req, rules.UPDATE)
    values = util.extract_json(req, schema.update(_source_types()))[
        'app_group']
    checks.validate(values.get('checks') or (), 'app_group/checks')
    hooks.validate(values.get('hooks') or [], 'app_group/hooks',
                   CONF.agent.max_freeze_ms)
    if 'source' in values:
        source_type = values.setdefault(
            'source_type', _type_of(values['source'], group['source_type']))
        values['source_ref'] = _check_source(
            context, group['project_id'], source_type, values.pop('source'))
    group = db_api.app_group_update(context, group['id'], values)
    return util.json_response(req, {'app_group': _view(req, group)})


@webob.dec.wsgify
def delete_app_group(req):
    context, group = _get(req, rules.DELETE)
    db_api.app_group_delete(context, group['id'])
    LOG.info('Deleted app group %s', group['id'])
    req.response.status = 204
    return req.response


@webob.dec.wsgify
def list_members(req):
    context, group = _get(req, rules.MEMBERS)
    show_host = policy.check(context, rules.SHOW_HOST, _target(group))
    last = db_api.group_snapshot_latest_available(context, group['id'])
    resolved = members.resolve(CONF, clients.service_connection(CONF), group,
                               show_host=show_host, last_snapshot=last)
    return util.json_response(req, resolved)
