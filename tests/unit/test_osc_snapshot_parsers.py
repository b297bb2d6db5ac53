"""`openstack appgroup snapshot` options and output, without a cloud."""

import io

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


def test_members_column_for_people_and_for_json():
    column = group_snapshot.MembersColumn(MEMBERS)
    lines = column.human_readable().splitlines()
    assert lines[0].startswith('web-1: ')
    assert "artifacts='img-1, snap-1'" in lines[0]
    assert "freeze_ms='250.0'" in lines[0]
    assert "host='h1'" in lines[0]
    # The compute host, when the API shows it (to admins), over host_id.
    assert "host='compute-2'" in lines[1]
    assert column.machine_readable() == MEMBERS


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
