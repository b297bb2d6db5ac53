"""Helpers every handler uses: JSON in and out, errors, URLs."""

import datetime

import jsonschema
from oslo_serialization import jsonutils
import webob

from consistent_snap import exception
from consistent_snap import policy
from consistent_snap import snapshot_request

CONTEXT_KEY = 'consistent_snap.context'


def context(req):
    return req.environ[CONTEXT_KEY]


def url_args(req):
    return req.environ['wsgiorg.routing_args'][1]


def _field(error, prefix):
    path = '/'.join(str(p) for p in prefix + tuple(error.absolute_path))
    return path or '(body)'


def validate(data, schema, prefix=()):
    """Raise a 400 naming the first offending field."""
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(data),
                    key=lambda e: (len(e.absolute_path), e.path))
    if errors:
        error = errors[0]
        raise exception.InvalidBody(
            reason='%s: %s' % (_field(error, prefix), error.message))


def _check_text(data):
    """Refuse what no database stores: a lone UTF-16 surrogate.

    JSON lets a string escape half of a surrogate pair (\\ud800); Python
    decodes it, and the database driver fails to encode it later.
    """
    try:
        jsonutils.dumps(data, ensure_ascii=False).encode('utf-8')
    except UnicodeEncodeError as e:
        raise exception.InvalidBody(
            reason='a string holds %r, half of a UTF-16 surrogate pair: '
                   'send valid Unicode' % e.object[e.start:e.end])


def extract_json(req, schema):
    if req.content_type != 'application/json':
        raise exception.InvalidBody(
            reason="send JSON with 'Content-Type: application/json'")
    try:
        data = jsonutils.loads(req.body)
        _check_text(data)
    except ValueError as e:
        raise exception.InvalidBody(reason='malformed JSON: %s' % e)
    except RecursionError:
        raise exception.InvalidBody(reason='the JSON is nested too deeply')
    validate(data, schema)
    return data


def _default(value):
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=None).isoformat() + 'Z'
    raise TypeError('%r is not JSON serializable' % value)


def json_response(req, body, status=200, location=None):
    response = req.response
    response.status = status
    response.content_type = 'application/json'
    response.charset = None
    response.body = jsonutils.dump_as_bytes(body, default=_default)
    if location:
        response.location = location
    return response


def error_response(req, code, title, message):
    response = webob.Response(status=code, content_type='application/json',
                              charset=None)
    response.body = jsonutils.dump_as_bytes({'error': {
        'code': code, 'title': title, 'message': message,
        'request_id': req.environ.get('openstack.request_id')}})
    return response


def url(req, *parts):
    return '/'.join((req.application_url.rstrip('/'),) + parts)


def _query(req):
    try:
        return req.GET
    except UnicodeDecodeError:
        raise exception.Invalid(reason='the query string is not UTF-8 once '
                                       'percent-decoded')


def bool_param(req, name):
    value = _query(req).get(name, 'false').lower()
    if value not in ('true', 'false', '1', '0', 'yes', 'no'):
        raise exception.Invalid(reason="query parameter '%s' must be true "
                                       "or false, not '%s'" % (name, value))
    return value in ('true', '1', 'yes')


def int_param(req, name, default, maximum):
    value = _query(req).get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= maximum:
        raise exception.Invalid(reason="query parameter '%s' must be an "
                                       "integer from 1 to %d" %
                                       (name, maximum))
    return number


def list_filters(req, context, rules, max_limit):
    """A list request's filters, authorized: its project(s), app group, page.

    rules: the resource's policy module (LIST, LIST_ALL_PROJECTS).
    """
    policy.authorize(context, rules.LIST)
    all_projects = bool_param(req, 'all_projects')
    if all_projects:
        policy.authorize(context, rules.LIST_ALL_PROJECTS)
    app_group_id = req.GET.get('app_group')
    if app_group_id:
        app_group_id = snapshot_request.find_app_group(
            context, app_group_id)['id']
    return {'app_group_id': app_group_id, 'all_projects': all_projects,
            'limit': int_param(req, 'limit', max_limit, max_limit),
            'marker': req.GET.get('marker')}
