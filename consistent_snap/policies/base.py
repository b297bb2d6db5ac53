from oslo_policy import policy

ADMIN = 'rule:context_is_admin'
PROJECT_READER = 'role:reader and project_id:%(project_id)s'
PROJECT_MEMBER = 'role:member and project_id:%(project_id)s'
PROJECT_READER_OR_ADMIN = f'({PROJECT_READER}) or {ADMIN}'
PROJECT_MEMBER_OR_ADMIN = f'({PROJECT_MEMBER}) or {ADMIN}'


def rule(name, check, description, method, path):
    """A project-scoped rule for one API operation."""
    return policy.DocumentedRuleDefault(
        name=name, check_str=check, description=description,
        operations=[{'method': method, 'path': path}],
        scope_types=['project'])


rules = [
    policy.RuleDefault('context_is_admin', 'role:admin',
                       description='Who is an administrator: acts in any '
                                   'project and sees compute host names.'),
]


def list_rules():
    return rules
