"""A restore: a group snapshot brought back as a set, all or nothing."""

from openstack import resource

#: The states a restore ends in, and its failures among them.
FINAL = ('available', 'error', 'deleted')
FAILURES = ('error',)


class Restore(resource.Resource):
    resource_key = 'restore'
    resources_key = 'restores'
    base_path = '/restores'

    allow_create = True
    allow_fetch = True
    allow_delete = True
    allow_list = True

    _query_mapping = resource.QueryParameters('group_snapshot',
                                              'all_projects')

    # Request only.
    #: The group snapshot to restore (its ID).
    group_snapshot = resource.Body('group_snapshot')
    keep_ips = resource.Body('keep_ips', type=bool)
    name_suffix = resource.Body('name_suffix')
    as_app_group = resource.Body('as_app_group')
    network_map = resource.Body('network_map', type=dict)
    flavor_map = resource.Body('flavor_map', type=dict)
    az_map = resource.Body('az_map', type=dict)
    volume_type_map = resource.Body('volume_type_map', type=dict)

    group_snapshot_id = resource.Body('group_snapshot_id')
    project_id = resource.Body('project_id')
    #: pending, restoring, available, error, deleting or deleted.
    status = resource.Body('status')
    mode = resource.Body('mode')
    options = resource.Body('options', type=dict)
    #: {'ok', 'problems', 'steps', 'server_groups', 'members'}.
    plan = resource.Body('plan', type=dict)
    #: Request: the members to restore (ids or names). Response: per
    #: member, its new server and each step's start and end.
    members = resource.Body('members', type=list)
    #: Request to every member ready, in seconds.
    ready_s = resource.Body('ready_s', type=float)
    #: A verification's (mode verify): passed or failed.
    verdict = resource.Body('verdict')
    #: A verification kept for a look is deleted then.
    keep_until = resource.Body('keep_until')
    app_group_id = resource.Body('app_group_id')
    requested_by = resource.Body('requested_by')
    error = resource.Body('error')
    resources = resource.Body('resources', type=list)
    created_at = resource.Body('created_at')
    updated_at = resource.Body('updated_at')
