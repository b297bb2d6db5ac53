"""The one pre-run rule, made by the API and again by the coordinator."""

import pytest

from consistent_snap import exception
from consistent_snap import snapshot_request

GROUP = {'id': 'g1', 'name': 'shop', 'project_id': 'p1'}
REQUEST = {'id': None, 'name': 'servers', 'project_id': 'p1'}


def _member(server_id, status='ACTIVE', host_id='h1'):
    return {'server_id': server_id, 'name': 'vm-%s' % server_id,
            'status': status, 'host_id': host_id}


def _check(group, members, missing=(), skip_unhealthy=False):
    snapshot_request.check_resolved(
        group, {'members': members, 'missing': list(missing)},
        skip_unhealthy)


def test_missing_servers_are_refused_whoever_named_them():
    # Named in the request: not found; named by an app group: a conflict
    # the app group's owner resolves.
    with pytest.raises(exception.ServersNotFound) as raised:
        _check(REQUEST, [_member('s1')], missing=['gone'])
    assert raised.value.code == 404
    with pytest.raises(exception.MembersMissing) as raised:
        _check(GROUP, [_member('s1')], missing=['gone'])
    assert raised.value.code == 409
    assert str(raised.value) == (
        'app group shop names server(s) gone that no longer exist in '
        'project p1: remove them from the app group, then try again.')


def test_unhealthy_members_are_refused_unless_skipped_but_not_all():
    broken = _member('s2', status='ERROR')
    with pytest.raises(exception.UnhealthyMembers):
        _check(GROUP, [_member('s1'), broken])
    _check(GROUP, [_member('s1'), broken], skip_unhealthy=True)
    with pytest.raises(exception.NoHealthyMembers):
        _check(GROUP, [broken], skip_unhealthy=True)
    with pytest.raises(exception.EmptyAppGroup):
        _check(GROUP, [])
