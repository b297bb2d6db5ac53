"""An app group: the servers of one application, found by a source."""

from openstack import exceptions
from openstack import resource


class AppGroup(resource.Resource):
    resource_key = 'app_group'
    resources_key = 'app_groups'
    # Relative to the version endpoint that discovery finds (.../v1/), not
    # to the catalog URL: a catalog entry with or without /v1 both work.
    base_path = '/app-groups'

    allow_create = True
    allow_fetch = True
    allow_commit = True
    allow_delete = True
    allow_list = True
    commit_method = 'PATCH'

    # limit and marker come with QueryParameters' pagination defaults.
    _query_mapping = resource.QueryParameters('name', 'all_projects')

    name = resource.Body('name')
    description = resource.Body('description')
    project_id = resource.Body('project_id')
    #: heat, server_group, metadata or servers.
    source_type = resource.Body('source_type')
    #: What the source names, e.g. {'stack': id, 'stack_name': name}.
    source = resource.Body('source', type=dict)
    include_volumes = resource.Body('include_volumes', type=bool)
    #: barrier, shared_start or priority.
    default_mode = resource.Body('default_mode')
    quiesce = resource.Body('quiesce', type=bool)
    consistent = resource.Body('consistent', type=bool)
    #: Checks each verification of the group's snapshots runs.
    checks = resource.Body('checks', type=list)
    #: Hooks run in the guests around each snapshot's freeze.
    hooks = resource.Body('hooks', type=list)
    created_at = resource.Body('created_at')
    updated_at = resource.Body('updated_at')
    links = resource.Body('links', type=list)

    @classmethod
    def find(cls, session, name_or_id, ignore_missing=True, **params):
        # Say it as the API does rather than "No AppGroup found for x".
        try:
            return super().find(session, name_or_id, ignore_missing=False,
                                **params)
        except exceptions.NotFoundException:
            if ignore_missing:
                return None
            raise exceptions.NotFoundException(
                'App group %s could not be found.' % name_or_id)
