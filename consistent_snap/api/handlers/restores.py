"""/v1/restores: a group snapshot brought back as a set, or its plan.

A verification (POST /v1/group-snapshots/{id}/verify) is a restore too, of
mode verify: it is listed, shown and deleted as one.
"""

from oslo_config import cfg
from oslo_log import log as logging
import webob.dec

from consistent_snap.api.handlers import group_snapshots
from consistent_snap.api.schemas import checks as check_schema
from consistent_snap.api.schemas import restores as schema
from consistent_snap.api import util
from consistent_snap import clients
from consistent_snap.db import api as db_api
from consistent_snap import exception
from consistent_snap.policies import group_snapshots as snapshot_rules
from consistent_snap.policies import restores as rules
from consistent_snap import policy
from consistent_snap.restore import checks
from consistent_snap.restore import plan as restore_plan
from consistent_snap import states
from consistent_snap import trusts

LOG = logging.getLogger(__name__)
CONF = cfg.CONF
FIELDS = ('id', 'group_snapshot_id', 'project_id', 'status', 'mode',
          'options', 'plan', 'members', 'ready_s', 'verdict', 'keep_until',
          'app_group_id', 'requested_by', 'error', 'created_at',
          'updated_at')
OPTIONS = ('members', 'network_map', 'flavor_map', 'az_map',
           'volume_type_map', 'keep_ips', 'name_suffix', 'as_app_group')


def _view(req, restore):
    view = {f: restore[f] for f in FIELDS}
    view['resources'] = [{k: r[k] for k in ('type', 'resource_id',
                                            'server_id', 'deleted')}
                         for r in restore['resources']]
    view['links'] = [{'rel': 'self', 'href': util.url(
        req, 'v1', 'restores', restore['id'])}]
    return view


def _trust(req, context):
    # In place: stop, rebuild, start; detach, revert, attach.
    lifetime_s = (CONF.restore.volume_timeout * 3 +
                  CONF.restore.server_timeout * 3 +
                  CONF.coordination.pending_grace + 600)
    return trusts.from_request(CONF, req, context, lifetime_s)


@webob.dec.wsgify
def create_restore(req):
    context = util.context(req)
    policy.authorize(context, rules.CREATE)
    body = util.extract_json(req, schema.CREATE)['restore']
    snap = db_api.group_snapshot_get(context, body['group_snapshot'])
    options = {k: body[k] for k in OPTIONS if k in body}
    if options.get('as_app_group') and db_api.app_group_list(
            context, name=options['as_app_group']):
        raise exception.AppGroupNameExists(name=options['as_app_group'],
                                           project_id=snap['project_id'])
    return _start(req, context, snap, body.get('mode', restore_plan.NEW),
                  options, body.get('dry_run'))


@webob.dec.wsgify
def verify_group_snapshot(req):
    context = util.context(req)
    snap = db_api.group_snapshot_get(context,
                                     util.url_args(req)['group_snapshot_id'])
    policy.authorize(context, snapshot_rules.VERIFY,
                     {'project_id': snap['project_id']})
    body = util.extract_json(req, schema.VERIFY)['verify']
    options = {k: body[k] for k in OPTIONS if k in body}
    if body.get('keep_for'):
        options['keep_for_s'] = body['keep_for']
    check_schema.validate(body.get('checks') or (), 'verify/checks')
    options['checks'] = checks.of_snapshot(context, snap, body.get('checks'))
    return _start(req, context, snap, restore_plan.VERIFY, options,
                  body.get('dry_run'))


def _start(req, context, snap, mode, options, dry_run):
    """The plan of a restore; unless a dry run, the restore, started."""
    plan = restore_plan.Plan(clients.service_connection(CONF), snap, options,
                             snap['project_id'], mode=mode).make()
    if dry_run:
        return util.json_response(req, {'restore_plan': plan.view()})
    values = {'group_snapshot_id': snap['id'],
              'project_id': snap['project_id'], 'mode': mode,
              'options': options, 'plan': plan.view(),
              'requested_by': context.user_id}
    problems = plan.problem_text()
    if mode == restore_plan.VERIFY and plan.unrestorable():
        # The snapshot itself cannot come back: that is the verdict, with
        # nothing made.
        restore = db_api.restore_create(context, dict(
            values, status=states.Restore.ERROR, error=problems,
            verdict=states.Verdict.FAILED))
        LOG.info('Verification %s of group snapshot %s failed at once: %s',
                 restore['id'], snap['id'], problems)
        return _accepted(req, restore)
    if plan.problems:
        # A restore whose plan fails creates nothing.
        raise exception.RestorePlanFailed(count=len(plan.problems),
                                          problems=problems)
    restore = db_api.restore_create(context, dict(
        values, status=states.Restore.PENDING,
        trust_id=_trust(req, context)))
    group_snapshots._coordinator().create_restore(context, restore['id'])
    LOG.info('%s %s of group snapshot %s requested',
             'Verification' if mode == restore_plan.VERIFY else 'Restore',
             restore['id'], snap['id'])
    return _accepted(req, restore)


def _accepted(req, restore):
    return util.json_response(
        req, {'restore': _view(req, restore)}, status=202,
        location=util.url(req, 'v1', 'restores', restore['id']))


@webob.dec.wsgify
def list_restores(req):
    context = util.context(req)
    filters = util.list_filters(req, context, rules, CONF.api.max_limit)
    filters.pop('app_group_id')
    snapshot_ref = req.GET.get('group_snapshot')
    if snapshot_ref:
        filters['group_snapshot_id'] = db_api.group_snapshot_get(
            context, snapshot_ref)['id']
    return util.json_response(req, {'restores': [
        _view(req, r) for r in db_api.restore_list(context, **filters)]})


def _get(req, rule):
    context = util.context(req)
    restore = db_api.restore_get(context, util.url_args(req)['restore_id'])
    policy.authorize(context, rule, {'project_id': restore['project_id']})
    return context, restore


@webob.dec.wsgify
def show_restore(req):
    _, restore = _get(req, rules.SHOW)
    return util.json_response(req, {'restore': _view(req, restore)})


@webob.dec.wsgify
def delete_restore(req):
    context, restore = _get(req, rules.DELETE)
    db_api.restore_update(context, restore['id'],
                          {'status': states.Restore.DELETING},
                          expected=states.Restore.DELETABLE)
    group_snapshots._coordinator().delete_restore(context, restore['id'])
    req.response.status = 202
    return req.response
