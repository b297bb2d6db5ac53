"""The dashboard's forms -> API request bodies, and API documents -> words."""

import pytest

from consistent_snap.dashboard import payloads

SETTINGS = {'name': 'shop', 'description': '', 'default_mode': 'barrier',
            'consistent': True, 'quiesce': False, 'include_volumes': True}


@pytest.mark.parametrize('form, source', [
    ({'source_type': 'heat', 'stack': 'STACK-ID'}, {'stack': 'STACK-ID'}),
    ({'source_type': 'server_group', 'server_group': 'SG'},
     {'server_group': 'SG'}),
    ({'source_type': 'metadata', 'tags': 'shop, web\nfront', 'properties': ''},
     {'tags': ['shop', 'web', 'front']}),
    ({'source_type': 'metadata', 'tags': '', 'properties': 'tier=db, a = b'},
     {'properties': {'tier': 'db', 'a': 'b'}}),
    ({'source_type': 'servers', 'servers': ['S1', 'S2']},
     {'servers': ['S1', 'S2']}),
])
def test_each_source_kind_becomes_the_api_source(form, source):
    body = payloads.app_group_create_body(dict(SETTINGS, **form))
    assert body == dict(SETTINGS, source_type=form['source_type'],
                        source=source)


@pytest.mark.parametrize('form, message', [
    ({'source_type': 'heat', 'stack': ''}, 'Choose the Heat stack'),
    ({'source_type': 'server_group'}, 'Choose a server group'),
    ({'source_type': 'metadata', 'tags': ' , ', 'properties': ''},
     'Give a tag, a metadata key=value, or both'),
    ({'source_type': 'metadata', 'properties': 'tier'},
     'Metadata "tier" is not of the form key=value'),
    ({'source_type': 'metadata', 'properties': '=db'},
     'Metadata "=db" is not of the form key=value'),
    ({'source_type': 'servers', 'servers': []}, 'Choose at least one server'),
    ({'source_type': 'ports'}, 'Unknown source kind "ports"'),
])
def test_a_missing_source_names_what_to_give(form, message):
    with pytest.raises(payloads.InvalidInput) as raised:
        payloads.app_group_create_body(dict(SETTINGS, **form))
    assert str(raised.value).startswith(message)


def test_snapshot_now_is_always_fenced():
    body = payloads.group_snapshot_body(
        'APP', {'mode': 'shared_start', 'quiesce': False, 'name': ''})
    assert body == {'app_group': 'APP', 'mode': 'shared_start',
                    'consistent': True, 'quiesce': False}


def test_empty_retention_fields_drop_the_rules():
    body = payloads.backup_policy_body({
        'name': '', 'app_group': 'APP', 'cron': ' 30 2 * * * ',
        'timezone': '', 'keep_last': None, 'max_age': ' ', 'mode': '',
        'enabled': True})
    assert body == {'name': '', 'app_group': 'APP', 'cron': '30 2 * * *',
                    'timezone': 'UTC', 'keep_last': None, 'max_age': None,
                    'enabled': True}


@pytest.mark.parametrize('source_type, source, label', [
    ('heat', {'stack': 'ID', 'stack_name': 'shop'}, 'Heat stack shop'),
    ('server_group', {'server_group': 'ID'}, 'Server group ID'),
    ('metadata', {'tags': ['a'], 'properties': {'tier': 'db'}},
     'Servers with tag a, tier=db'),
    ('servers', {'servers': ['x']}, '1 server'),
])
def test_source_label(source_type, source, label):
    assert payloads.source_label(source_type, source) == label


HOST_ID = '0123456789ab' + 'f' * 44  # Nova's: 56 hex characters.


def test_admin_sees_the_host_a_member_the_start_of_the_host_id():
    admin = {'host': 'compute-1', 'host_id': HOST_ID}
    assert payloads.host_label(admin) == 'compute-1'
    assert payloads.host_title(admin) is None
    member = {'host_id': HOST_ID}
    assert payloads.host_label(member) == '0123456789ab'
    # The whole host ID, for the tooltip.
    assert payloads.host_title(member) == HOST_ID


@pytest.mark.parametrize('member', [{'host_id': 'abc'}, {'host_id': None},
                                    {}])
def test_a_short_or_missing_host_id_is_shown_whole(member):
    assert payloads.host_label(member) == (member.get('host_id') or '-')
    assert payloads.host_title(member) is None


def test_newest_snapshot_per_app_group_from_a_newest_first_list():
    snapshots = [{'id': 3, 'app_group_id': 'A'},
                 {'id': 2, 'app_group_id': 'B'},
                 {'id': 1, 'app_group_id': 'A'}]
    newest = payloads.newest_by_app_group(snapshots)
    assert {g: s['id'] for g, s in newest.items()} == {'A': 3, 'B': 2}


def test_restore_form_becomes_the_api_body():
    body = payloads.restore_body({
        'group_snapshot_id': 'gs1', 'mode': 'new', 'members': ['s1'],
        'network_map': 'net-a=net-b, net-c = net-d', 'flavor_map': '',
        'keep_ips': True, 'name_suffix': ' -dr ', 'as_app_group': ''})
    assert body == {'group_snapshot': 'gs1', 'mode': 'new',
                    'members': ['s1'], 'keep_ips': True,
                    'network_map': {'net-a': 'net-b', 'net-c': 'net-d'},
                    'name_suffix': '-dr'}


def test_a_restore_map_needs_both_sides():
    with pytest.raises(payloads.InvalidInput) as e:
        payloads.restore_body({'group_snapshot_id': 'gs1', 'mode': 'new',
                               'flavor_map': 'm1.tiny='})
    assert str(e.value) == ('Flavor map "m1.tiny=" is not of the form '
                            'old=new.')
