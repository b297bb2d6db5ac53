"""/v1/group-snapshots: one consistent snapshot of a whole application."""

import datetime
import threading

from oslo_config import cfg
from oslo_log import log as logging
import webob.dec

from consistent_snap.api import host_names
from consistent_snap.api.schemas import group_snapshots as schema
from consistent_snap.api import util
from consistent_snap.coordinator import rpcapi as coordinator_rpcapi
from consistent_snap.db import api as db_api
from consistent_snap import hooks
from consistent_snap.policies import app_groups as app_group_rules
from consistent_snap.policies import group_snapshots as rules
from consistent_snap import policy
from consistent_snap import snapshot_request
from consistent_snap import states
from consistent_snap import trusts

LOG = logging.getLogger(__name__)
CONF = cfg.CONF
FIELDS = ('id', 'name', 'description', 'app_group_id', 'project_id',
          'status', 'mode', 'consistent', 'quiesce', 'require_quiesce',
          'include_volumes', 'skip_unhealthy', 'servers', 'skew_ms',
          'skew_bound_ms', 'frozen_together', 'uncertainty_ms',
          'max_freeze_ms', 'hooks_window_ms', 'consistency', 'requested_by',
          'hooks',
          'error', 'created_at', 'updated_at')
MEMBER_FIELDS = ('server_id', 'server_name', 'server_status', 'host_id',
                 'status', 'consistency', 'consistency_reason', 'artifacts',
                 'error', 'manifest', 'hook_results')

_COORDINATOR = None
_COORDINATOR_LOCK = threading.Lock()


def _coordinator():
    # Made on first use, in the worker: never before a fork.
    global _COORDINATOR
    with _COORDINATOR_LOCK:
        if _COORDINATOR is None:
            _COORDINATOR = coordinator_rpcapi.CoordinatorAPI()
        return _COORDINATOR


def _instant(epoch):
    if epoch is None:
        return None
    return datetime.datetime.fromtimestamp(
        epoch, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def _member_view(member, hosts):
    """hosts: None for who may see hosts, else {host name: host_id}."""
    view = {f: member[f] for f in MEMBER_FIELDS}
    view.update({f: _instant(member[f]) for f in states.Member.INSTANTS})
    view['hook_results'] = [dict(r, started_at=_instant(r['started_at']),
                                 ended_at=_instant(r['ended_at']))
                            for r in member['hook_results'] or ()]
    if hosts is None:
        view['host'] = member['host']
        return view
    return host_names.member(view, hosts)


def _verification(restore):
    """A snapshot's latest verification (a restore of mode verify)."""
    if restore is None:
        return {'status': states.Verdict.NEVER}
    return {'status': restore['verdict'] or states.Verdict.VERIFYING,
            'restore_id': restore['id'],
            'requested_at': restore['created_at'],
            'ready_s': restore['ready_s'], 'error': restore['error']}


def _view(req, snap, with_members=True, verdicts=None):
    """verdicts: db_api.verdicts of the snapshots listed with snap."""
    view = {f: snap[f] for f in FIELDS}
    view['fence_at'] = _instant(snap['fence_at'])
    view['hooks'] = hooks.with_defaults(snap['hooks'])
    if verdicts is None:
        verdicts = db_api.verdicts(util.context(req), [snap['id']])
    view['verification'] = _verification(verdicts.get(snap['id']))
    view['links'] = [{'rel': 'self', 'href': util.url(
        req, 'v1', 'group-snapshots', snap['id'])}]
    hosts = hidden_hosts(util.context(req), snap)
    if hosts is not None:
        view['error'] = host_names.text(view['error'], hosts)
    if with_members:
        view['members'] = [_member_view(m, hosts) for m in snap['members']]
    view['member_count'] = len(snap['members'])
    return view


def hidden_hosts(context, snap):
    """None if context may see snap's hosts, else {host name: host_id}."""
    if policy.check(context, app_group_rules.SHOW_HOST,
                    {'project_id': snap['project_id']}):
        return None
    return {m['host']: m['host_id'] for m in snap['members'] if m['host']}


def _trust(req, context):
    """Delegate the caller's member role, so artifacts are theirs."""
    lifetime_s = (CONF.coordinator.prepare_timeout +
                  CONF.coordinator.capture_timeout +
                  CONF.coordinator.finalize_timeout +
                  CONF.coordination.pending_grace + 600)
    return trusts.from_request(CONF, req, context, lifetime_s)


@webob.dec.wsgify
def create_group_snapshot(req):
    context = util.context(req)
    policy.authorize(context, rules.CREATE)
    body = util.extract_json(req, schema.CREATE)['group_snapshot']
    values = snapshot_request.settings(CONF, context, body)
    values.update(name=body.get('name', ''),
                  description=body.get('description', ''),
                  status=states.PENDING, requested_by=context.user_id,
                  trust_id=_trust(req, context))
    snap = db_api.group_snapshot_create(context, values)
    # Recorded first, then cast: a lost cast leaves a visible pending row.
    _coordinator().create_group_snapshot(context, snap['id'])
    LOG.info('Group snapshot %s requested (%s, consistent=%s)', snap['id'],
             snap['mode'], snap['consistent'])
    return util.json_response(
        req, {'group_snapshot': _view(req, snap)}, status=202,
        location=util.url(req, 'v1', 'group-snapshots', snap['id']))


@webob.dec.wsgify
def list_group_snapshots(req):
    context = util.context(req)
    snaps = db_api.group_snapshot_list(context, **util.list_filters(
        req, context, rules, CONF.api.max_limit))
    verdicts = db_api.verdicts(context, [s['id'] for s in snaps])
    return util.json_response(req, {'group_snapshots': [
        _view(req, s, with_members=False, verdicts=verdicts)
        for s in snaps]})


def _get(req, rule):
    context = util.context(req)
    snap = db_api.group_snapshot_get(context,
                                     util.url_args(req)['group_snapshot_id'])
    policy.authorize(context, rule, {'project_id': snap['project_id']})
    return context, snap


@webob.dec.wsgify
def show_group_snapshot(req):
    _, snap = _get(req, rules.SHOW)
    return util.json_response(req, {'group_snapshot': _view(req, snap)})


@webob.dec.wsgify
def delete_group_snapshot(req):
    context, snap = _get(req, rules.DELETE)
    db_api.group_snapshot_update(context, snap['id'],
                                 {'status': states.DELETING},
                                 expected=states.DELETABLE)
    _coordinator().delete_group_snapshot(context, snap['id'])
    req.response.status = 202
    return req.response
