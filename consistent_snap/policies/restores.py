from consistent_snap.policies import base

PREFIX = 'consistent_snap:restore:%s'
CREATE = PREFIX % 'create'
LIST = PREFIX % 'list'
LIST_ALL_PROJECTS = PREFIX % 'list:all_projects'
SHOW = PREFIX % 'show'
DELETE = PREFIX % 'delete'

URL = '/v1/restores'
URL_ONE = URL + '/{restore_id}'


rules = [
    base.rule(CREATE, base.PROJECT_MEMBER_OR_ADMIN,
              'Restore a group snapshot as a set, or plan it (dry_run).',
              'POST', URL),
    base.rule(LIST, base.PROJECT_READER_OR_ADMIN,
              "List the project's restores.", 'GET', URL),
    base.rule(LIST_ALL_PROJECTS, base.ADMIN,
              'List the restores of every project (?all_projects=true).',
              'GET', URL),
    base.rule(SHOW, base.PROJECT_READER_OR_ADMIN,
              'Show a restore with its plan, members and timings.',
              'GET', URL_ONE),
    base.rule(DELETE, base.PROJECT_MEMBER_OR_ADMIN,
              'Delete a restore and everything it created.',
              'DELETE', URL_ONE),
]


def list_rules():
    return rules
