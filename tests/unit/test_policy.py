import pytest

from consistent_snap import context
from consistent_snap.policies import app_groups as rules
from consistent_snap.policies import backup_policies
from consistent_snap import policy

PROJECT = 'p1'
OTHER = 'p2'
READS = [rules.LIST, rules.SHOW, rules.MEMBERS, backup_policies.LIST,
         backup_policies.SHOW]
WRITES = [rules.CREATE, rules.UPDATE, rules.DELETE, backup_policies.CREATE,
          backup_policies.UPDATE, backup_policies.DELETE]


def _ctx(roles, project=PROJECT):
    return context.RequestContext(user_id='u', project_id=project,
                                  roles=roles)


def _allowed(ctx, rule, project=PROJECT):
    return policy.check(ctx, rule, {'project_id': project})


@pytest.mark.parametrize('rule', READS)
def test_reader_may_read_its_project(enforcer, rule):
    assert _allowed(_ctx(['reader']), rule)


@pytest.mark.parametrize('rule', WRITES)
def test_reader_may_not_write(enforcer, rule):
    assert not _allowed(_ctx(['reader']), rule)


@pytest.mark.parametrize('rule', READS + WRITES)
def test_member_may_read_and_write_its_project(enforcer, rule):
    # Keystone's implied roles give a member the reader role too.
    assert _allowed(_ctx(['member', 'reader']), rule)


@pytest.mark.parametrize('rule', READS + WRITES)
def test_member_of_another_project_may_do_nothing(enforcer, rule):
    assert not _allowed(_ctx(['member', 'reader'], project=OTHER), rule)


@pytest.mark.parametrize('rule', READS + WRITES + [
    rules.LIST_ALL_PROJECTS, backup_policies.LIST_ALL_PROJECTS])
def test_admin_may_act_in_any_project(enforcer, rule):
    assert _allowed(_ctx(['admin', 'member', 'reader'], project=OTHER), rule)


def test_other_projects_policies_are_listed_to_admin_only(enforcer):
    assert not _allowed(_ctx(['member', 'reader']),
                        backup_policies.LIST_ALL_PROJECTS)


def test_compute_hosts_are_shown_to_admin_only(enforcer):
    assert _allowed(_ctx(['admin']), rules.SHOW_HOST)
    assert not _allowed(_ctx(['member', 'reader']), rules.SHOW_HOST)


def test_authorize_raises_forbidden_naming_the_rule(enforcer):
    from consistent_snap import exception
    with pytest.raises(exception.Forbidden, match=rules.CREATE):
        policy.authorize(_ctx(['reader']), rules.CREATE)


def test_every_rule_is_documented_and_project_scoped():
    from consistent_snap import policies
    for rule in policies.list_rules():
        if rule.name == 'context_is_admin':
            continue
        assert rule.description
        assert rule.scope_types == ['project']
