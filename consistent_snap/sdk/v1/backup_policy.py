"""A backup policy: group snapshots of an app group on a cron schedule."""

from openstack import exceptions
from openstack import resource


class BackupPolicy(resource.Resource):
    resource_key = 'backup_policy'
    resources_key = 'backup_policies'
    # Relative to the discovered version endpoint, as AppGroup's.
    base_path = '/backup-policies'

    allow_create = True
    allow_fetch = True
    allow_commit = True
    allow_delete = True
    allow_list = True
    commit_method = 'PATCH'

    # limit and marker come with QueryParameters' pagination defaults.
    _query_mapping = resource.QueryParameters('app_group', 'all_projects')

    # Request only.
    #: An app group name or ID.
    app_group = resource.Body('app_group')
    #: Seconds, or a number followed by s, m, h, d or w, e.g. '30d'.
    max_age = resource.Body('max_age')

    name = resource.Body('name')
    description = resource.Body('description')
    project_id = resource.Body('project_id')
    app_group_id = resource.Body('app_group_id')
    #: 5 fields, or 6 with seconds first.
    cron = resource.Body('cron')
    #: An IANA time zone name; the cron's wall times are in it.
    timezone = resource.Body('timezone')
    keep_last = resource.Body('keep_last', type=int)
    #: Verify a new snapshot when none of the newest N was (1: each).
    verify_every = resource.Body('verify_every', type=int)
    max_age_s = resource.Body('max_age_s', type=int)
    #: barrier, shared_start or priority; None: the app group's.
    mode = resource.Body('mode')
    quiesce = resource.Body('quiesce', type=bool)
    consistent = resource.Body('consistent', type=bool)
    include_volumes = resource.Body('include_volumes', type=bool)
    enabled = resource.Body('enabled', type=bool)
    #: The next slot, ISO 8601 in UTC; None while disabled.
    next_run_at = resource.Body('next_run_at')
    last_run_at = resource.Body('last_run_at')
    last_snapshot_id = resource.Body('last_snapshot_id')
    #: e.g. 'available: snapshot ID, skew 3.1 ms'; None while it runs.
    last_result = resource.Body('last_result')
    created_at = resource.Body('created_at')
    updated_at = resource.Body('updated_at')
    links = resource.Body('links', type=list)

    @classmethod
    def find(cls, session, name_or_id, ignore_missing=True, **params):
        # Say it as the API does rather than "No BackupPolicy found for x".
        try:
            return super().find(session, name_or_id, ignore_missing=False,
                                **params)
        except exceptions.NotFoundException:
            if ignore_missing:
                return None
            raise exceptions.NotFoundException(
                'Backup policy %s could not be found.' % name_or_id)
