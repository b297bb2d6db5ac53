from consistent_snap.policies import base

PREFIX = 'consistent_snap:backup_policy:%s'
CREATE = PREFIX % 'create'
LIST = PREFIX % 'list'
LIST_ALL_PROJECTS = PREFIX % 'list:all_projects'
SHOW = PREFIX % 'show'
UPDATE = PREFIX % 'update'
DELETE = PREFIX % 'delete'

URL = '/v1/backup-policies'
URL_ONE = URL + '/{backup_policy_id}'


rules = [
    base.rule(CREATE, base.PROJECT_MEMBER_OR_ADMIN,
              'Schedule group snapshots of an app group, with retention.',
              'POST', URL),
    base.rule(LIST, base.PROJECT_READER_OR_ADMIN,
              "List the project's backup policies.", 'GET', URL),
    base.rule(LIST_ALL_PROJECTS, base.ADMIN,
              'List the backup policies of every project '
              '(?all_projects=true).', 'GET', URL),
    base.rule(SHOW, base.PROJECT_READER_OR_ADMIN,
              'Show a backup policy with its next run and last result.',
              'GET', URL_ONE),
    base.rule(UPDATE, base.PROJECT_MEMBER_OR_ADMIN,
              'Update a backup policy.', 'PATCH', URL_ONE),
    base.rule(DELETE, base.PROJECT_MEMBER_OR_ADMIN,
              'Delete a backup policy; its snapshots are kept.', 'DELETE',
              URL_ONE),
]


def list_rules():
    return rules
