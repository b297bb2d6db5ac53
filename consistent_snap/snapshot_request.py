"""What a group snapshot request captures, and whether it can be taken.

One home for the checks a request passes before its row is written,
whoever asks: a person through the API, or a backup policy at its slot.
"""

from consistent_snap import clients
from consistent_snap.db import api as db_api
from consistent_snap import exception
from consistent_snap import hooks
from consistent_snap import members
from consistent_snap import states


def find_app_group(context, ref):
    """An app group of the project, by ID or by unique name."""
    try:
        return db_api.app_group_get(context, ref)
    except exception.AppGroupNotFound:
        matches = db_api.app_group_list(context, name=ref)
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise exception.AmbiguousSource(kind='App group', name=ref,
                                            count=len(matches),
                                            project_id=context.project_id)
        raise


def settings(conf, context, body):
    """What to capture and how: the request, else the group's preset."""
    if ('app_group' in body) == ('servers' in body):
        raise exception.InvalidBody(
            reason='group_snapshot: give either app_group (an app group '
                   'name or ID) or servers (a list of server IDs)')
    conn = clients.service_connection(conf)
    if 'app_group' in body:
        group = find_app_group(context, body['app_group'])
        refuse_if_busy(context, group)
        preset = {'consistent': group['consistent'],
                  'mode': group['default_mode'],
                  'quiesce': group['quiesce'],
                  'include_volumes': group['include_volumes'],
                  'hooks': group['hooks'] or []}
        target = {'app_group_id': group['id'], 'servers': None,
                  'project_id': group['project_id']}
    else:
        group = {'id': None, 'name': 'servers', 'source_type': 'servers',
                 'source_ref': {'servers': body['servers']},
                 'project_id': context.project_id}
        # A VM-level request is fenced only when it says so (claim 4).
        preset = {'consistent': False, 'mode': 'barrier', 'quiesce': True,
                  'include_volumes': True, 'hooks': []}
        target = {'app_group_id': None, 'servers': body['servers'],
                  'project_id': context.project_id}
    refuse_if_project_busy(conf, context, target['project_id'])
    preset.update(skip_unhealthy=False, require_quiesce=False)
    values = {key: body.get(key, default) for key, default in
              preset.items()}
    hooks.validate(values['hooks'], 'group_snapshot/hooks',
                   conf.agent.max_freeze_ms)
    if values['hooks'] and not values['consistent']:
        raise exception.InvalidBody(reason=(
            'group_snapshot/hooks: hooks run around the fence of a '
            'consistent snapshot; this one is not (consistent: false)'))
    check_members(conf, context, conn, group, values['skip_unhealthy'])
    return dict(values, **target)


def refuse_if_busy(context, group):
    # One snapshot of an app group at a time: two would freeze the same
    # guests twice over and race for the same hosts.
    for snap in db_api.group_snapshot_list_unfinished(
            context, app_group_id=group['id']):
        if snap['status'] != states.DELETING:
            raise exception.AppGroupBusy(name=group['name'], id=snap['id'],
                                         status=snap['status'])


def refuse_if_project_busy(conf, context, project_id):
    # Each run holds threads and hosts: one project's burst must not
    # take every coordinator's pool from the others.
    cap = conf.coordinator.max_running_per_project
    count = db_api.group_snapshot_count_running(context,
                                                project_id=project_id)
    if cap and count >= cap:
        raise exception.ProjectBusy(project_id=project_id, count=count)


def why_not_capturable(member):
    """Why a resolved member cannot be captured, or None.

    In ERROR; or on no compute host (SHELVED_OFFLOADED, never scheduled):
    no agent holds it, so nothing could freeze or capture it.
    """
    if member['status'] == 'ERROR':
        return 'ERROR'
    if not member['host_id']:
        return '%s, on no compute host' % member['status']
    return None


def check_resolved(group, resolved, skip_unhealthy):
    """Raise if the resolved members cannot be captured as asked.

    The one rule, for the API and the coordinator alike.
    """
    if resolved['missing']:
        missing = ', '.join(resolved['missing'])
        if group['id'] is None:  # Named in the request itself.
            raise exception.ServersNotFound(servers=missing,
                                            project_id=group['project_id'])
        raise exception.MembersMissing(name=group['name'], servers=missing,
                                       project_id=group['project_id'])
    if not resolved['members']:
        raise exception.EmptyAppGroup(name=group['name'])
    broken = ['%s (%s): %s' % (m['name'], m['server_id'],
                               why_not_capturable(m))
              for m in resolved['members'] if why_not_capturable(m)]
    if broken and not skip_unhealthy:
        raise exception.UnhealthyMembers(servers='; '.join(broken))
    if len(broken) == len(resolved['members']):
        raise exception.NoHealthyMembers(name=group['name'],
                                         servers='; '.join(broken))


def check_members(conf, context, conn, group, skip_unhealthy):
    """Refuse now what the coordinator would refuse later.

    Someone is waiting for this answer; the coordinator checks again.
    """
    resolved = members.resolve(conf, conn, group)
    check_resolved(group, resolved, skip_unhealthy)
    # Another snapshot holds one: a 409 now (the coordinator's own
    # reservation is the rule; this only answers early).
    held = db_api.server_holders(context, [
        m['server_id'] for m in resolved['members']
        if not why_not_capturable(m)])
    if held:
        server_id = min(held)
        raise db_api.server_busy(context, server_id, held[server_id])
