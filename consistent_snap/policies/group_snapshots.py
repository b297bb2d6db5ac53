from consistent_snap.policies import base

PREFIX = 'consistent_snap:group_snapshot:%s'
CREATE = PREFIX % 'create'
LIST = PREFIX % 'list'
LIST_ALL_PROJECTS = PREFIX % 'list:all_projects'
SHOW = PREFIX % 'show'
DELETE = PREFIX % 'delete'
VERIFY = PREFIX % 'verify'

URL = '/v1/group-snapshots'
URL_ONE = URL + '/{group_snapshot_id}'
URL_VERIFY = URL_ONE + '/verify'


rules = [
    base.rule(CREATE, base.PROJECT_MEMBER_OR_ADMIN,
              'Take a group snapshot of an app group or a list of servers.',
              'POST', URL),
    base.rule(LIST, base.PROJECT_READER_OR_ADMIN,
              "List the project's group snapshots.", 'GET', URL),
    base.rule(LIST_ALL_PROJECTS, base.ADMIN,
              'List the group snapshots of every project '
              '(?all_projects=true).',
              'GET', URL),
    base.rule(SHOW, base.PROJECT_READER_OR_ADMIN,
              'Show a group snapshot with its members, skew and freeze '
              'window.',
              'GET', URL_ONE),
    base.rule(DELETE, base.PROJECT_MEMBER_OR_ADMIN,
              'Delete a group snapshot and the images and volume snapshots it '
              'made.', 'DELETE', URL_ONE),
    base.rule(VERIFY, base.PROJECT_MEMBER_OR_ADMIN,
              'Verify a group snapshot: restore it on isolated copies of '
              'its networks, check every member, record the verdict, '
              'delete the copy (or plan it: dry_run).', 'POST', URL_VERIFY),
]


def list_rules():
    return rules
