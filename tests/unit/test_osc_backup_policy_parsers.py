"""`openstack appgroup policy` options, parsed as the CLI parses them."""

from osc_lib import exceptions
import pytest

from consistent_snap.osc.v1 import backup_policy
from consistent_snap.sdk.v1 import backup_policy as sdk_backup_policy


def _parse(command_class, argv):
    parser = command_class(None, None).get_parser('openstack appgroup policy')
    return parser.parse_args(argv)


def _create(*argv):
    return _parse(backup_policy.CreateBackupPolicy, ['shop', *argv])


def _set(*argv):
    return _parse(backup_policy.SetBackupPolicy, ['nightly', *argv])


def test_create_sends_only_what_is_given():
    args = _create('--cron', '0 */6 * * *')
    assert args.app_group == 'shop'
    assert backup_policy.settings_from_args(args) == {'cron': '0 */6 * * *'}


def test_create_with_every_option():
    args = _create('--cron', '*/5 * * * * *', '--timezone', 'Europe/Paris',
                   '--keep-last', '2', '--max-age', '30d', '--mode',
                   'shared-start', '--quiesce', '--no-consistent',
                   '--no-include-volumes', '--disabled', '--name', 'n',
                   '--description', 'd')
    assert backup_policy.settings_from_args(args) == {
        'cron': '*/5 * * * * *', 'timezone': 'Europe/Paris', 'keep_last': 2,
        'max_age': '30d', 'mode': 'shared_start', 'quiesce': True,
        'consistent': False, 'include_volumes': False, 'enabled': False,
        'name': 'n', 'description': 'd'}


def test_create_needs_a_cron(capsys):
    with pytest.raises(SystemExit) as error:
        _create()
    assert error.value.code == 2
    assert '--cron' in capsys.readouterr().err


@pytest.mark.parametrize('value', ['0', '-1', 'two', '1.5'])
def test_keep_last_is_a_whole_number_from_one(value, capsys):
    with pytest.raises(SystemExit) as error:
        _create('--cron', '* * * * *', '--keep-last', value)
    assert error.value.code == 2
    assert "invalid keep-last '%s'" % value in capsys.readouterr().err


def test_unknown_mode_is_a_usage_error(capsys):
    with pytest.raises(SystemExit):
        _create('--cron', '* * * * *', '--mode', 'fast')
    assert "invalid mode 'fast'" in capsys.readouterr().err


@pytest.mark.parametrize('argv, enabled', [
    ([], None), (['--enable'], True), (['--disable'], False)])
def test_set_enable_and_disable(argv, enabled):
    settings = backup_policy.settings_from_args(_set(*argv))
    assert settings.get('enabled') is enabled


def test_set_enable_and_disable_are_exclusive(capsys):
    with pytest.raises(SystemExit):
        _set('--enable', '--disable')
    assert 'not allowed with argument' in capsys.readouterr().err


def test_set_drops_retention_rules():
    args = _set('--no-keep-last', '--no-max-age', '--cron', '0 3 * * *')
    assert backup_policy.settings_from_args(args) == {
        'keep_last': None, 'max_age': None, 'cron': '0 3 * * *'}


def test_set_nothing_sends_nothing():
    assert backup_policy.settings_from_args(_set()) == {}


def test_set_refuses_a_rule_and_its_removal():
    command = backup_policy.SetBackupPolicy(None, None)
    with pytest.raises(exceptions.CommandError, match='--keep-last or '):
        command.take_action(_set('--keep-last', '2', '--no-keep-last'))


def test_delete_takes_several_policies():
    args = _parse(backup_policy.DeleteBackupPolicy, ['a', 'b'])
    assert args.backup_policies == ['a', 'b']


def test_list_filters():
    args = _parse(backup_policy.ListBackupPolicy,
                  ['--app-group', 'shop', '--long'])
    assert (args.app_group, args.long, args.all_projects) == (
        'shop', True, False)


def test_the_sdk_sends_a_dropped_rule_as_null():
    found = sdk_backup_policy.BackupPolicy.existing(id='p', keep_last=3)
    found._update(keep_last=None, max_age=None)
    assert found._body.dirty == {'keep_last': None, 'max_age': None}


def test_every_shown_column_is_a_resource_attribute():
    for column in backup_policy.SHOW_COLUMNS:
        assert hasattr(sdk_backup_policy.BackupPolicy, column), column
    for _, attribute in (backup_policy.LIST_COLUMNS +
                         backup_policy.LIST_LONG_COLUMNS):
        assert attribute in backup_policy.SHOW_COLUMNS
