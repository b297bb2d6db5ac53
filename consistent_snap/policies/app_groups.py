from consistent_snap.policies import base

PREFIX = 'consistent_snap:app_group:%s'
CREATE = PREFIX % 'create'
LIST = PREFIX % 'list'
LIST_ALL_PROJECTS = PREFIX % 'list:all_projects'
SHOW = PREFIX % 'show'
UPDATE = PREFIX % 'update'
DELETE = PREFIX % 'delete'
MEMBERS = PREFIX % 'members'
SHOW_HOST = 'consistent_snap:member:host'

URL = '/v1/app-groups'
URL_ONE = URL + '/{app_group_id}'


rules = [
    base.rule(CREATE, base.PROJECT_MEMBER_OR_ADMIN, 'Create an app group.',
              'POST', URL),
    base.rule(LIST, base.PROJECT_READER_OR_ADMIN,
              "List the project's app groups.", 'GET', URL),
    base.rule(LIST_ALL_PROJECTS, base.ADMIN,
              'List the app groups of every project (?all_projects=true).',
              'GET', URL),
    base.rule(SHOW, base.PROJECT_READER_OR_ADMIN, 'Show an app group.',
              'GET', URL_ONE),
    base.rule(UPDATE, base.PROJECT_MEMBER_OR_ADMIN, 'Update an app group.',
              'PATCH', URL_ONE),
    base.rule(DELETE, base.PROJECT_MEMBER_OR_ADMIN, 'Delete an app group.',
              'DELETE', URL_ONE),
    base.rule(MEMBERS, base.PROJECT_READER_OR_ADMIN,
              "List an app group's servers, resolved live.", 'GET',
              URL_ONE + '/members'),
    base.rule(SHOW_HOST, base.ADMIN,
              'Show the compute host name of each member. Others see Nova\'s '
              'per-project hostId instead, as with Nova\'s extended server '
              'attributes.', 'GET', URL_ONE + '/members'),
]


def list_rules():
    return rules
