"""/v1/backup-policies: group snapshots on a schedule, with retention."""

from oslo_config import cfg
from oslo_log import log as logging
from oslo_utils import timeutils
import webob.dec

from consistent_snap.api.schemas import backup_policies as schema
from consistent_snap.api import util
from consistent_snap.db import api as db_api
from consistent_snap import exception
from consistent_snap.policies import backup_policies as rules
from consistent_snap import policy
from consistent_snap import schedule
from consistent_snap import snapshot_request
from consistent_snap import trusts

LOG = logging.getLogger(__name__)
CONF = cfg.CONF
FIELDS = ('id', 'project_id', 'app_group_id', 'name', 'description', 'cron',
          'timezone', 'keep_last', 'max_age_s', 'verify_every', 'mode',
          'quiesce', 'consistent', 'include_volumes', 'enabled',
          'next_run_at', 'last_run_at', 'last_snapshot_id', 'last_result',
          'created_at', 'updated_at')
# What decides when the policy runs: a change recomputes next_run_at.
TIMING = ('cron', 'timezone', 'enabled')


def _view(req, backup_policy):
    view = {f: backup_policy[f] for f in FIELDS}
    view['links'] = [{'rel': 'self', 'href': util.url(
        req, 'v1', 'backup-policies', backup_policy['id'])}]
    return view


def _invalid(field, error):
    return exception.InvalidBody(reason='backup_policy/%s: %s' % (field,
                                                                  error))


def _values(body):
    """The row's values for the body's fields; schedule checked."""
    values = dict(body)
    if 'max_age' in values:
        max_age = values.pop('max_age')
        try:
            values['max_age_s'] = (None if max_age is None else
                                   schedule.max_age_s(max_age))
        except schedule.InvalidSchedule as e:
            raise _invalid('max_age', e)
    return values


def _next_run_at(values):
    """When the policy runs next, from now; None if it does not."""
    try:
        schedule.validate(values['cron'], values['timezone'],
                          timeutils.utcnow())
    except schedule.InvalidSchedule as e:
        raise exception.InvalidBody(reason='backup_policy/%s' % e)
    if not values['enabled']:
        return None
    return schedule.next_run(values['cron'], values['timezone'],
                             timeutils.utcnow())


def _trust(req, context):
    """The caller's trust, without expiry: for runs nobody attends."""
    return trusts.from_request(CONF, req, context)


@webob.dec.wsgify
def create_backup_policy(req):
    context = util.context(req)
    policy.authorize(context, rules.CREATE)
    body = util.extract_json(req, schema.CREATE)['backup_policy']
    group = snapshot_request.find_app_group(context, body.pop('app_group'))
    values = dict({'timezone': 'UTC', 'enabled': True}, **_values(body))
    values['next_run_at'] = _next_run_at(values)
    # Checked before the trust is made: a refused body leaves none behind.
    values.update(project_id=group['project_id'], app_group_id=group['id'],
                  created_by=context.user_id, trust_id=_trust(req, context))
    created = db_api.backup_policy_create(context, values)
    LOG.info('Created backup policy %s of app group %s (%s %s), next run '
             '%s', created['id'], group['id'], created['cron'],
             created['timezone'], created['next_run_at'])
    return util.json_response(
        req, {'backup_policy': _view(req, created)}, status=201,
        location=util.url(req, 'v1', 'backup-policies', created['id']))


@webob.dec.wsgify
def list_backup_policies(req):
    context = util.context(req)
    found = db_api.backup_policy_list(context, **util.list_filters(
        req, context, rules, CONF.api.max_limit))
    return util.json_response(req, {'backup_policies': [
        _view(req, p) for p in found]})


def _get(req, rule):
    context = util.context(req)
    found = db_api.backup_policy_get(
        context, util.url_args(req)['backup_policy_id'])
    policy.authorize(context, rule, {'project_id': found['project_id']})
    return context, found


@webob.dec.wsgify
def show_backup_policy(req):
    _, found = _get(req, rules.SHOW)
    return util.json_response(req, {'backup_policy': _view(req, found)})


@webob.dec.wsgify
def update_backup_policy(req):
    context, found = _get(req, rules.UPDATE)
    body = util.extract_json(req, schema.UPDATE)['backup_policy']
    if 'app_group' in body:
        body['app_group_id'] = snapshot_request.find_app_group(
            context, body.pop('app_group'))['id']
    values = _values(body)
    if any(key in values for key in TIMING):
        merged = dict({k: found[k] for k in TIMING}, **values)
        values['next_run_at'] = _next_run_at(merged)
    updated = db_api.backup_policy_update(context, found['id'], values)
    return util.json_response(req, {'backup_policy': _view(req, updated)})


@webob.dec.wsgify
def delete_backup_policy(req):
    context, found = _get(req, rules.DELETE)
    db_api.backup_policy_delete(context, found['id'])
    if found['trust_id']:
        # A run in progress may fail for it: better than a delegation
        # that outlives what it was given for.
        try:
            trusts.delete(CONF, found['trust_id'])
        except Exception as e:
            LOG.warning('Backup policy %s deleted, but not its trust: %s',
                        found['id'], e)
    LOG.info('Deleted backup policy %s', found['id'])
    req.response.status = 204
    return req.response
