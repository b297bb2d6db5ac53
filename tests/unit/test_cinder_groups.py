"""Which volumes one Cinder group snapshot captures, and for which member."""

import copy

from consistent_snap.capturers import cinder
from consistent_snap.coordinator import volume_groups

GROUP = {'name': 'db', 'status': 'available', 'consistent': True,
         'volume_ids': ['vol-a', 'vol-b']}


def _payloads():
    return [
        {'server_id': 'srv-2', 'volumes': [
            {'id': 'vol-b', 'group_id': 'grp'},
            {'id': 'vol-x', 'group_id': None}]},
        {'server_id': 'srv-1', 'volumes': [
            {'id': 'vol-a', 'group_id': 'grp'}]},
        {'server_id': 'srv-3', 'volumes': []},
    ]


def test_one_member_takes_the_whole_group():
    payloads = _payloads()
    assert volume_groups.assign_groups(payloads, {'grp': GROUP}) == {}
    by_id = {p['server_id']: p for p in payloads}
    # The first holder by server id, so every coordinator picks the same.
    assert by_id['srv-1']['volume_groups'] == [
        {'id': 'grp', 'volume_ids': ['vol-a', 'vol-b']}]
    assert by_id['srv-1']['volumes'] == []
    # Its other holder no longer snapshots the group's volume itself...
    assert by_id['srv-2']['volumes'] == [{'id': 'vol-x', 'group_id': None}]
    assert 'volume_groups' not in by_id['srv-2']
    assert 'volume_groups' not in by_id['srv-3']


def _refused(**change):
    payloads = _payloads()
    before = copy.deepcopy(payloads)
    refused = volume_groups.assign_groups(payloads,
                                          {'grp': dict(GROUP, **change)})
    assert payloads == before  # ...unless the group is refused.
    return refused['grp']


def test_group_type_without_consistent_snapshots_is_not_used():
    assert _refused(consistent=False) == (
        'its group type does not set consistent_group_snapshot_enabled')


def test_group_in_another_state_is_not_used():
    assert _refused(status='updating') == 'it is updating'


def test_group_with_a_volume_outside_the_app_is_not_used():
    # Its snapshot would capture (and its deletion delete) foreign data.
    assert _refused(volume_ids=['vol-a', 'vol-b', 'vol-z']) == (
        'it also holds vol-z, not attached to a member')


def test_payloads_without_groups_ask_cinder_nothing():
    payloads = [{'server_id': 's', 'volumes': [{'id': 'v', 'group_id': None}]}]
    assert volume_groups.plan_groups(conn=None, payloads=payloads) == {}


def test_group_label_is_what_find_looks_for():
    assert cinder.group_label('abc') == (
        'consistent_snap_group_snapshot_id=abc')
