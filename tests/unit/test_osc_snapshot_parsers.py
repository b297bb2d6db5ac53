"""`openstack appgroup snapshot` options and output, without a cloud."""

import io
import types

from cliff import columns
from openstack import exceptions as sdk_exceptions
from osc_lib import exceptions
import pytest

from consistent_snap.osc.v1 import group_snapshot
from consistent_snap.sdk.v1 import group_snapshot as sdk_group_snapshot


def _parse(command_class, argv):
    parser = command_class(None, None).get_parser(
        'openstack appgroup snapshot')
    return parser.parse_args(argv)


def _create(*argv):
    return _parse(group_snapshot.CreateGroupSnapshot, list(argv))


def test_an_app_group_is_sent_as_given():
    args = _create('shop')
    assert group_snapshot.target_from_args(args) == {'app_group': 'shop'}
    assert args.wait is False


def test_servers_are_a_list_in_order():
    args = _create('--server', 'web-1', '--server', 'db-1')
    assert group_snapshot.target_from_args(args) == {
        'servers': ['web-1', 'db-1']}


@pytest.mark.parametrize('argv, message', [
    (['shop', '--server', 'web-1'], 'not both'),
    ([], 'Give an app group or at least one --server'),
])
def test_app_group_and_servers_are_mutually_exclusive(argv, message):
    with pytest.raises(exceptions.CommandError) as error:
        group_snapshot.target_from_args(_create(*argv))
    assert message in str(error.value)


def test_unset_settings_are_left_to_the_preset():
    assert group_snapshot.settings_from_args(_create('shop')) == {}


@pytest.mark.parametrize('value, mode', [
    ('barrier', 'barrier'),
    ('shared-start', 'shared_start'),
    ('priority', 'priority'),
])
def test_mode_is_sent_in_the_api_spelling(value, mode):
    args = _create('shop', '--mode', value)
    assert group_snapshot.settings_from_args(args) == {'mode': mode}


def test_unknown_mode_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as error:
        _create('shop', '--mode', 'fast')
    assert error.value.code == 2
    assert "invalid mode 'fast'" in capsys.readouterr().err


def test_settings_and_their_negations():
    args = _create('shop', '--no-quiesce', '--consistent',
                   '--no-include-volumes', '--name', 'nightly',
                   '--description', '', '--skip-unhealthy', '--wait')
    assert group_snapshot.settings_from_args(args) == {
        'quiesce': False, 'consistent': True, 'include_volumes': False,
        'skip_unhealthy': True, 'name': 'nightly', 'description': ''}
    assert args.wait is True


def test_list_options():
    args = _parse(group_snapshot.ListGroupSnapshot,
                  ['--app-group', 'shop', '--all-projects', '--long'])
    assert (args.app_group, args.all_projects, args.long) == (
        'shop', True, True)
    args = _parse(group_snapshot.ListGroupSnapshot, [])
    assert (args.app_group, args.all_projects, args.long) == (
        None, False, False)


def test_delete_takes_several_snapshots():
    args = _parse(group_snapshot.DeleteGroupSnapshot, ['a', 'b', '--wait'])
    assert (args.snapshots, args.wait) == (['a', 'b'], True)


def test_show_needs_a_snapshot(capsys):
    with pytest.raises(SystemExit):
        _parse(group_snapshot.ShowGroupSnapshot, [])
    assert _parse(group_snapshot.ShowGroupSnapshot, ['s']).snapshot == 's'


MEMBERS = [
    {'server_id': 'id-1', 'server_name': 'web-1', 'host_id': 'h1',
     'status': 'captured', 'frozen_at': '2026-01-01T00:00:00.000000Z',
     'captured_at': '2026-01-01T00:00:00.010000Z',
     'thawed_at': '2026-01-01T00:00:00.250000Z',
     'artifacts': [{'type': 'image', 'id': 'img-1'},
                   {'type': 'volume_snapshot', 'id': 'snap-1'}]},
    {'server_id': 'id-2', 'server_name': 'web-2', 'host_id': 'h2',
     'host': 'compute-2', 'status': 'captured',
     'captured_at': '2026-01-01T00:00:00.011000Z', 'artifacts': []},
    {'server_id': 'id-3', 'server_name': 'web-3', 'host_id': 'h3',
     'status': 'frozen', 'frozen_at': '2026-01-01T00:00:00.000000Z',
     'artifacts': []},
]


@pytest.mark.parametrize('status, line', [
    ('pending', 'pending'),
    ('fencing', 'fencing: 2/3 members frozen'),
    ('capturing', 'capturing: 2/3 members captured'),
    ('finalizing', 'finalizing: 0/3 members available'),
])
def test_progress_line_counts_the_members_of_the_phase(status, line):
    snapshot = sdk_group_snapshot.GroupSnapshot(status=status,
                                                members=MEMBERS)
    assert group_snapshot.progress_line(snapshot) == line


def test_progress_is_the_percent_captured():
    snapshot = sdk_group_snapshot.GroupSnapshot(members=MEMBERS)
    assert snapshot.progress == 66
    assert sdk_group_snapshot.GroupSnapshot().progress == 0


def test_freeze_is_thawed_minus_frozen():
    assert group_snapshot.freeze_ms(MEMBERS[0]) == 250.0
    assert group_snapshot.freeze_ms(MEMBERS[2]) is None


def test_show_gives_people_the_member_count_and_json_the_members():
    column = group_snapshot.MembersColumn(MEMBERS, snapshot_id='gs-1')
    assert column.human_readable() == (
        '3 members: openstack appgroup snapshot member list gs-1')
    assert column.machine_readable() == MEMBERS
    one = group_snapshot.MembersColumn(MEMBERS[:1], snapshot_id='gs-1')
    assert one.human_readable().startswith('1 member: ')
    assert group_snapshot.MembersColumn([]).human_readable() == '0 members'


def test_show_formats_members_with_the_snapshot_id():
    snapshot = sdk_group_snapshot.GroupSnapshot(id='gs-1', members=MEMBERS,
                                                servers=['id-1'])
    names, values = group_snapshot._show(snapshot)
    members = values[names.index('members')]
    assert members.human_readable().endswith('member list gs-1')
    assert members.machine_readable() == MEMBERS


HOST_ID = 'f' * 12 + '0' * 44


class _Client:
    """A consistent-snap client that finds one group snapshot."""

    def __init__(self, members):
        self.snapshot = sdk_group_snapshot.GroupSnapshot(id='gs-1',
                                                         members=members)

    def find_group_snapshot(self, name_or_id, ignore_missing):
        assert (name_or_id, ignore_missing) == ('nightly', False)
        return self.snapshot


def _member_list(members, *argv):
    app = types.SimpleNamespace(client_manager=types.SimpleNamespace(
        consistent_snap=_Client(members)))
    command = group_snapshot.ListGroupSnapshotMember(app, None)
    parsed_args = command.get_parser('openstack appgroup snapshot member '
                                     'list').parse_args(['nightly', *argv])
    headings, rows = command.take_action(parsed_args)
    return [dict(zip(headings, row)) for row in rows]


def _people(value):
    return value.human_readable() if isinstance(
        value, columns.FormattableColumn) else value


def _json(value):
    return value.machine_readable() if isinstance(
        value, columns.FormattableColumn) else value


def test_member_list_a_row_per_member_with_the_short_host_id():
    members = [dict(m, host_id=HOST_ID) for m in MEMBERS]
    del members[1]['host']
    rows = _member_list(members)
    assert list(rows[0]) == ['Server ID', 'Name', 'Host ID', 'Status',
                             'Consistency', 'Captured At', 'Freeze ms',
                             'Artifacts']
    first = {k: _people(v) for k, v in rows[0].items()}
    assert first == {
        'Server ID': 'id-1', 'Name': 'web-1', 'Host ID': 'ffffffffffff',
        'Status': 'captured', 'Consistency': '',
        'Captured At': '2026-01-01T00:00:00.010000Z', 'Freeze ms': 250.0,
        'Artifacts': 'img-1, snap-1'}
    # -f json and value: the whole host ID, the artifact IDs as a list.
    assert _json(rows[0]['Host ID']) == HOST_ID
    assert _json(rows[0]['Artifacts']) == ['img-1', 'snap-1']
    assert [r['Freeze ms'] for r in rows] == [250.0, None, None]


def test_member_list_shows_admins_the_host_and_long_adds_fields():
    members = [dict(m, host='compute-%d' % n, fixed_at='t%d' % n)
               for n, m in enumerate(MEMBERS, 1)]
    members[2].update(error='boom', manifest={
        'flavor': {'name': 'm1.tiny'}, 'image_id': 'img-0'}, hook_results=[
            {'name': 'flush', 'passed': True,
             'started_at': '2026-12-05T03:00:10.000000Z',
             'ended_at': '2026-12-05T03:00:10.250000Z'},
            {'name': 'resume', 'passed': False,
             'started_at': '2026-12-05T03:00:12.000000Z',
             'ended_at': '2026-12-05T03:00:14.000000Z'}])
    rows = _member_list(members, '--long')
    assert list(rows[2]) == ['Server ID', 'Name', 'Host', 'Status',
                             'Consistency', 'Captured At', 'Freeze ms',
                             'Artifacts', 'Fixed At', 'Hooks', 'Manifest',
                             'Error']
    assert rows[2]['Hooks'] == 'flush ok (0.2 s), resume FAILED (2.0 s)'
    assert rows[0]['Hooks'] == ''
    assert [r['Host'] for r in rows] == ['compute-1', 'compute-2',
                                         'compute-3']
    assert (rows[2]['Fixed At'], rows[2]['Error']) == ('t3', 'boom')
    assert rows[2]['Manifest'] == (
        'm1.tiny, image img-0, no ports, 0 volumes')
    assert rows[0]['Manifest'] == 'none recorded'


def test_member_list_long_gives_the_whole_host_id():
    rows = _member_list([dict(MEMBERS[0], host_id=HOST_ID)], '--long')
    assert _people(rows[0]['Host ID']) == HOST_ID


def test_a_missing_host_id_stays_missing():
    column = group_snapshot.ShortIdColumn(None)
    assert (column.human_readable(), column.machine_readable()) == (
        None, None)


def test_member_list_of_no_members_is_empty():
    assert _member_list([]) == []


class _FailingClient:
    """A consistent-snap client whose snapshot ends in error."""

    def wait_for_group_snapshot(self, snapshot, status, interval, callback):
        callback(0)
        snapshot.status = 'error'
        snapshot.error = 'capture failed on host compute-2: boom'
        raise sdk_exceptions.ResourceFailure('GroupSnapshot went to error')


def test_wait_reports_the_error_and_the_progress():
    stream = io.StringIO()
    snapshot = sdk_group_snapshot.GroupSnapshot(
        id='gs-1', status='capturing', members=MEMBERS)
    with pytest.raises(exceptions.CommandError) as error:
        group_snapshot._wait(_FailingClient(), snapshot, 'available', stream)
    assert str(error.value) == (
        'Group snapshot gs-1 ended in error: capture failed on host '
        'compute-2: boom')
    assert stream.getvalue().splitlines() == [
        'capturing: 2/3 members captured', 'error']
