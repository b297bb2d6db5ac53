"""What the `openstack appgroup` command modules share, without a cloud."""

import argparse
import io
import types

from openstack import exceptions as sdk_exceptions
from osc_lib import exceptions
import pytest

from consistent_snap.osc.v1 import common


def _http_error(details, request_id):
    return types.SimpleNamespace(message='Conflict', details=details,
                                 status_code=409, request_id=request_id)


def test_error_message_is_the_api_own_with_status_and_request():
    assert common.error_message(_http_error('busy', 'req-1')) == (
        'busy (HTTP 409) (Request-ID: req-1)')
    assert common.error_message(_http_error(None, None)) == (
        'Conflict (HTTP 409)')
    found = sdk_exceptions.NotFoundException(message='No such snapshot')
    assert common.error_message(found) == 'No such snapshot'


def test_api_errors_become_command_errors():
    class Command:
        @common.api_errors
        def take_action(self, parsed_args):
            raise sdk_exceptions.NotFoundException(message='gone')

    with pytest.raises(exceptions.CommandError, match='^gone$'):
        Command().take_action(None)


@pytest.mark.parametrize('value, mode', [
    ('barrier', 'barrier'), ('shared-start', 'shared_start'),
    ('shared_start', 'shared_start'), ('priority', 'priority')])
def test_parse_mode_takes_both_spellings(value, mode):
    assert common.parse_mode(value) == mode


def test_parse_mode_names_the_choices():
    with pytest.raises(argparse.ArgumentTypeError) as error:
        common.parse_mode('fast')
    assert str(error.value) == (
        "invalid mode 'fast' (choose from barrier, shared-start, priority)")


class _Compute:
    def find_server(self, ref, ignore_missing):
        if ref == 'web-1':
            return types.SimpleNamespace(
                id='5f0c6a54-0000-4000-8000-000000000001')
        raise sdk_exceptions.NotFoundException()


def test_server_ids_resolves_names_in_order_without_repeats():
    uuid = '5f0c6a54-0000-4000-8000-000000000002'
    assert common.server_ids(_Compute(), [uuid, 'web-1', uuid]) == [
        uuid, '5f0c6a54-0000-4000-8000-000000000001']
    with pytest.raises(exceptions.CommandError,
                       match='Server db-1 could not be found.'):
        common.server_ids(_Compute(), ['db-1'])


def test_delete_each_deletes_the_rest_after_a_failure():
    deleted = []

    def delete_one(ref):
        if ref == 'b':
            raise sdk_exceptions.NotFoundException(message='no b')
        deleted.append(ref)

    with pytest.raises(exceptions.CommandError) as error:
        common.delete_each(['a', 'b', 'c'], delete_one, 'app groups')
    assert deleted == ['a', 'c']
    assert str(error.value) == '1 of 3 app groups failed to delete: b'


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_is_a_line_per_change_off_a_terminal():
    stream = io.StringIO()
    progress = common.Progress(stream)
    for line in ('pending', 'pending', 'capturing', 'available'):
        progress.show(line)
    progress.done()
    assert stream.getvalue() == 'pending\ncapturing\navailable\n'


def test_progress_rewrites_its_line_on_a_terminal():
    stream = _Terminal()
    progress = common.Progress(stream)
    progress.show('pending')
    progress.show('available')
    progress.done()
    assert stream.getvalue() == (
        '\rpending\x1b[K\ravailable\x1b[K\n')


def test_list_rows_adds_project_and_long_columns():
    listed = []

    def items(**query):
        listed.append(query)
        return [types.SimpleNamespace(id='p1', name='a', project_id='x',
                                      cron='* * * * *')]

    args = argparse.Namespace(app_group='shop', all_projects=True,
                              long=True)
    headings, rows = common.list_rows(items, args, (('ID', 'id'),),
                                      (('Cron', 'cron'),))
    assert listed == [{'app_group': 'shop', 'all_projects': True}]
    assert headings == ('ID', 'Project ID', 'Cron')
    assert rows == [('p1', 'x', '* * * * *')]
