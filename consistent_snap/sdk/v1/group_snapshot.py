"""A group snapshot: one point in time of every server of an application."""

from openstack import exceptions
from openstack import resource

#: The states a group snapshot ends in, and its failures among them.
FINAL = ('available', 'error', 'deleted')
FAILURES = ('error',)


class GroupSnapshot(resource.Resource):
    resource_key = 'group_snapshot'
    resources_key = 'group_snapshots'
    # Relative to the discovered version endpoint, as AppGroup's.
    base_path = '/group-snapshots'

    allow_create = True
    allow_fetch = True
    allow_delete = True
    allow_list = True

    # limit and marker come with QueryParameters' pagination defaults.
    _query_mapping = resource.QueryParameters('app_group', 'all_projects')

    # Request only: what to snapshot, an app group (name or ID) or servers.
    #: An app group name or ID; its preset fills unspecified settings.
    app_group = resource.Body('app_group')
    #: Server IDs, for a snapshot of servers outside any app group.
    servers = resource.Body('servers', type=list)

    name = resource.Body('name')
    description = resource.Body('description')
    app_group_id = resource.Body('app_group_id')
    project_id = resource.Body('project_id')
    #: pending, fencing, capturing, finalizing, available, error, aborted,
    #: deleting or deleted: what wait_for_status watches.
    status = resource.Body('status')
    #: barrier, shared_start or priority.
    mode = resource.Body('mode')
    consistent = resource.Body('consistent', type=bool)
    quiesce = resource.Body('quiesce', type=bool)
    #: Fail rather than capture a member without a guest freeze.
    require_quiesce = resource.Body('require_quiesce', type=bool)
    include_volumes = resource.Body('include_volumes', type=bool)
    #: Snapshot the healthy members when some are in ERROR, not fail.
    skip_unhealthy = resource.Body('skip_unhealthy', type=bool)
    #: The hooks it runs (its request's, else its app group's).
    hooks = resource.Body('hooks', type=list)
    #: The instant every member was told to capture at (ISO 8601).
    fence_at = resource.Body('fence_at')
    #: Spread of the members' capture instants.
    skew_ms = resource.Body('skew_ms', type=float)
    skew_bound_ms = resource.Body('skew_bound_ms', type=float)
    frozen_together = resource.Body('frozen_together', type=bool)
    uncertainty_ms = resource.Body('uncertainty_ms', type=float)
    max_freeze_ms = resource.Body('max_freeze_ms', type=float)
    hooks_window_ms = resource.Body('hooks_window_ms', type=float)
    #: crash, filesystem or application: the weakest member's.
    consistency = resource.Body('consistency')
    requested_by = resource.Body('requested_by')
    error = resource.Body('error')
    created_at = resource.Body('created_at')
    updated_at = resource.Body('updated_at')
    member_count = resource.Body('member_count', type=int)
    #: The latest verification: {'status': never, verifying, passed or
    #: failed, 'restore_id', 'requested_at', 'ready_s', 'error'}.
    verification = resource.Body('verification', type=dict)
    #: One dict per server, as the API gives it; not in list results.
    members = resource.Body('members', type=list)
    links = resource.Body('links', type=list)

    @property
    def progress(self):
        """Percent of members captured: what wait_for_status reports."""
        members = self.members or ()
        if not members:
            return 0
        done = sum(1 for m in members if m.get('captured_at'))
        return 100 * done // len(members)

    @classmethod
    def find(cls, session, name_or_id, ignore_missing=True, **params):
        # Say it as the API does rather than "No GroupSnapshot found".
        try:
            found = super().find(session, name_or_id, ignore_missing=False,
                                 **params)
        except exceptions.NotFoundException:
            if ignore_missing:
                return None
            raise exceptions.NotFoundException(
                'Group snapshot %s could not be found.' % name_or_id)
        if found.members is None:
            # Found by name in the list, which leaves the members out.
            found = found.fetch(session)
        return found
