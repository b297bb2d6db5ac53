from oslo_policy import policy

ADMIN = 'rule:context_is_admin'
PROJECT_READER = 'role:reader and project_id:%(project_id)s'
PROJECT_MEMBER = 'role:member and project_id:%(project_id)s'
PROJECT_READER_OR_ADMIN = f'({PROJECT_READER}) or {ADMIN}'
PROJECT_MEMBER_OR_ADMIN = f'({PROJECT_MEMBER}) or {ADMIN}'

rules = [
    policy.RuleDefault('context_is_admin', 'role:admin',
                       description='Who is an administrator: acts in any '
                                   'project and sees compute host names.'),
]


def list_rules():
    return rules
