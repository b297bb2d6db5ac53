"""`openstack appgroup` options, parsed as the CLI parses them."""

import pytest

from osc_lib import exceptions

from consistent_snap.osc.v1 import app_group


def _parse(command_class, argv):
    parser = command_class(None, None).get_parser('openstack appgroup')
    return parser.parse_args(argv)


def _create(*argv):
    return _parse(app_group.CreateAppGroup, ['web', *argv])


@pytest.mark.parametrize('argv, source_type, source', [
    (['--heat-stack', 'shop'], 'heat', {'stack': 'shop'}),
    (['--server-group', 'db'], 'server_group', {'server_group': 'db'}),
    (['--tag', 'a', '--tag', 'b', '--tag', 'a'], 'metadata',
     {'tags': ['a', 'b']}),
    (['--property', 'app=shop', '--property', 'tier=web=1'], 'metadata',
     {'properties': {'app': 'shop', 'tier': 'web=1'}}),
    (['--tag', 'a', '--property', 'app=shop'], 'metadata',
     {'tags': ['a'], 'properties': {'app': 'shop'}}),
    (['--server', 'web-1', '--server', 'web-2'], 'servers',
     {'servers': ['web-1', 'web-2']}),
])
def test_one_source_kind_gives_its_source(argv, source_type, source):
    found = app_group.source_from_args(_create(*argv))
    assert found == (source_type, source)


@pytest.mark.parametrize('argv, given', [
    (['--heat-stack', 's', '--server-group', 'g'],
     '--heat-stack, --server-group'),
    (['--tag', 't', '--server', 'web-1'], '--tag/--property, --server'),
    (['--property', 'a=b', '--heat-stack', 's'],
     '--heat-stack, --tag/--property'),
    ([], 'none'),
])
def test_sources_are_mutually_exclusive(argv, given):
    with pytest.raises(exceptions.CommandError) as error:
        app_group.source_from_args(_create(*argv))
    assert 'exactly one source' in str(error.value)
    assert '(given: %s)' % given in str(error.value)


@pytest.mark.parametrize('value, mode', [
    ('barrier', 'barrier'),
    ('shared-start', 'shared_start'),
    ('shared_start', 'shared_start'),
    ('priority', 'priority'),
])
def test_mode_is_sent_in_the_api_spelling(value, mode):
    args = _create('--tag', 't', '--mode', value)
    assert app_group.settings_from_args(args) == {'default_mode': mode}


def test_unknown_mode_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as error:
        _create('--tag', 't', '--mode', 'fast')
    assert error.value.code == 2
    assert "invalid mode 'fast'" in capsys.readouterr().err


@pytest.mark.parametrize('value, message', [
    ('noequals', "Expected 'key=value' type"),
    ('=value', 'Property key must be specified'),
])
def test_property_must_be_key_equals_value(value, message, capsys):
    with pytest.raises(SystemExit) as error:
        _create('--property', value)
    assert error.value.code == 2
    assert message in capsys.readouterr().err


def test_unset_settings_are_not_sent():
    assert app_group.settings_from_args(_create('--tag', 't')) == {}


def test_boolean_settings_and_their_negations():
    args = _create('--tag', 't', '--quiesce', '--no-consistent',
                   '--no-include-volumes', '--description', '')
    assert app_group.settings_from_args(args) == {
        'quiesce': True, 'consistent': False, 'include_volumes': False,
        'description': ''}


def test_the_last_of_quiesce_and_no_quiesce_wins():
    args = _create('--tag', 't', '--quiesce', '--no-quiesce')
    assert app_group.settings_from_args(args) == {'quiesce': False}


def test_set_takes_name_and_settings():
    args = _parse(app_group.SetAppGroup,
                  ['web', '--name', 'shop', '--mode', 'priority'])
    assert (args.app_group, args.name) == ('web', 'shop')
    assert app_group.settings_from_args(args) == {'default_mode': 'priority'}


def test_checks_of_both_kinds_are_sent_in_order_given():
    args = _create('--tag', 't', '--check', 'rows=psql -c "select 1"',
                   '--port-check', 'db=db-0:5432', '--port-check', 'ssh=22')
    assert app_group.settings_from_args(args) == {'checks': [
        {'name': 'rows', 'command': 'psql -c "select 1"'},
        {'name': 'db', 'port': 5432, 'to': 'db-0'},
        {'name': 'ssh', 'port': 22}]}


@pytest.mark.parametrize('option, value', [
    ('--port-check', 'db=db-0:http'), ('--port-check', 'db=70000'),
    ('--port-check', 'db'), ('--check', 'no command'), ('--check', 'x=')])
def test_a_malformed_check_is_a_usage_error(option, value, capsys):
    with pytest.raises(SystemExit) as error:
        _create('--tag', 't', option, value)
    assert error.value.code == 2
    assert 'a %scheck is NAME=' % ('port ' if 'port' in option else '') in (
        capsys.readouterr().err)


def test_hooks_come_from_a_yaml_file_and_no_hooks_removes_them(tmp_path):
    path = tmp_path / 'hooks.yaml'
    path.write_text('- name: flush\n  when: pre_freeze\n  command: db '
                    'flush\n  members: [db-0]\n  timeout_s: 1.5\n')
    args = _create('--tag', 't', '--hooks', str(path))
    assert app_group.settings_from_args(args) == {'hooks': [
        {'name': 'flush', 'when': 'pre_freeze', 'command': 'db flush',
         'members': ['db-0'], 'timeout_s': 1.5}]}
    args = _parse(app_group.SetAppGroup, ['web', '--no-hooks'])
    assert app_group.settings_from_args(args) == {'hooks': []}


@pytest.mark.parametrize('text, message', [
    ('name: flush\n', 'must hold a list of hooks'),
    ('- [unclosed\n', 'cannot read hooks from'),
])
def test_a_hooks_file_that_is_no_list_is_a_usage_error(tmp_path, capsys,
                                                       text, message):
    path = tmp_path / 'hooks.yaml'
    path.write_text(text)
    with pytest.raises(SystemExit):
        _create('--tag', 't', '--hooks', str(path))
    assert message in capsys.readouterr().err


def test_set_no_checks_removes_them():
    args = _parse(app_group.SetAppGroup, ['web', '--no-checks'])
    assert app_group.settings_from_args(args) == {'checks': []}


def test_delete_takes_several_app_groups():
    args = _parse(app_group.DeleteAppGroup, ['a', 'b'])
    assert args.app_groups == ['a', 'b']


@pytest.mark.parametrize('command_class', [
    app_group.ListAppGroup, app_group.ListAppGroupMember])
def test_long_is_off_by_default(command_class):
    argv = ['web'] if command_class is app_group.ListAppGroupMember else []
    assert _parse(command_class, argv).long is False


def test_hooks_read_one_per_line_with_their_members():
    from consistent_snap.osc.v1 import common
    column = common.HooksColumn([
        {'name': 'flush', 'when': 'pre_freeze', 'stage': 1,
         'command': 'db flush', 'timeout_s': 1.5, 'on_error': 'fail',
         'members': ['db-0']},
        {'name': 'resume', 'when': 'post_thaw', 'stage': 2,
         'command': 'web resume', 'timeout_s': 2, 'on_error': 'continue',
         'name_pattern': 'web-*'}])
    assert column.human_readable() == (
        'pre_freeze stage 1 flush: db flush (1.5 s, on error fail; only '
        'db-0)\npost_thaw stage 2 resume: web resume (2 s, on error '
        'continue; only web-*)')
