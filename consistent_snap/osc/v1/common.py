"""What the `openstack appgroup ...` command modules share.

Error reporting, the --mode spelling, server names to IDs, deleting
several things, the --wait progress line, and the options and rows of the
snapshot and policy `list` commands. The command modules import these from
here, not from each other.
"""

import argparse
import functools
import logging
import re

from openstack import exceptions as sdk_exceptions
from osc_lib.cli import format_columns
from osc_lib import exceptions
from osc_lib import utils
from oslo_utils import uuidutils
import yaml

from consistent_snap import schedule
from consistent_snap import states

LOG = logging.getLogger(__name__)

# CLI spelling -> API value: options use dashes, the API underscores.
MODES = {mode.replace('_', '-'): mode for mode in states.MODES}


def error_message(error):
    """The API's own message (the SDK keeps it in details), with status."""
    status = getattr(error, 'status_code', None)
    if status is None:  # not from an HTTP response, e.g. find's own
        return error.message
    message = '%s (HTTP %s)' % (error.details or error.message, status)
    if error.request_id:
        message += ' (Request-ID: %s)' % error.request_id
    return message


def api_errors(take_action):
    """Report SDK errors as CommandErrors a person can act on."""
    @functools.wraps(take_action)
    def wrapper(self, parsed_args):
        try:
            return take_action(self, parsed_args)
        except sdk_exceptions.SDKException as e:
            raise exceptions.CommandError(error_message(e))
    return wrapper


def parse_mode(value):
    """--mode's argparse type: the CLI spelling -> the API's."""
    # Also take the API's spelling, which show and list print.
    mode = MODES.get(value.replace('_', '-'))
    if mode is None:
        raise argparse.ArgumentTypeError(
            "invalid mode '%s' (choose from %s)" % (value, ', '.join(MODES)))
    return mode


def duration_s(value):
    """A duration option's argparse type: seconds, or e.g. 10m, 2h, 1d."""
    match = re.fullmatch(r'(\d+)([smhdw]?)', value.strip())
    if match is None:
        raise argparse.ArgumentTypeError(
            "invalid duration '%s': seconds, or a number followed by s, m, "
            "h, d or w (e.g. 10m)" % value)
    return int(match[1]) * schedule.UNIT_S[match[2] or 's']


def server_ids(compute, refs):
    """Server IDs for names or IDs, in order, without repeats."""
    ids = []
    for ref in refs:
        if uuidutils.is_uuid_like(ref):
            # Sent as is: the API checks it is a server of the project.
            ids.append(ref)
            continue
        try:
            ids.append(compute.find_server(ref, ignore_missing=False).id)
        except sdk_exceptions.NotFoundException:
            raise exceptions.CommandError(
                'Server %s could not be found.' % ref)
    return list(dict.fromkeys(ids))


def delete_each(refs, delete_one, kind):
    """delete_one(ref) for every ref; one failure does not stop the rest.

    kind: what the refs name, in the plural, for the messages.
    """
    failed = []
    for ref in refs:
        try:
            delete_one(ref)
        except sdk_exceptions.SDKException as e:
            LOG.error("Failed to delete %s '%s': %s", kind, ref,
                      error_message(e))
            failed.append(ref)
    if failed:
        raise exceptions.CommandError('%d of %d %s failed to delete: %s' % (
            len(failed), len(refs), kind, ', '.join(failed)))


class Progress:
    """A live line on stderr.

    Rewritten in place on a terminal; elsewhere a new line at each change,
    so that logs stay readable.
    """

    def __init__(self, stream):
        self.stream = stream
        self.last = None
        self.tty = stream.isatty() if hasattr(stream, 'isatty') else False

    def show(self, line):
        if line == self.last:
            return
        if self.tty:
            self.stream.write('\r%s\x1b[K' % line)
        else:
            self.stream.write(line + '\n')
        self.stream.flush()
        self.last = line

    def done(self):
        if self.tty and self.last is not None:
            self.stream.write('\n')
            self.stream.flush()


def add_list_options(parser, what):
    """--app-group, --all-projects and --long, for a list of ``what``."""
    parser.add_argument('--app-group', metavar='<app-group>',
                        help='Only the %s of this app group (name or ID)'
                             % what)
    parser.add_argument('--all-projects', action='store_true',
                        help='The %s of every project (admin only)' % what)
    parser.add_argument('--long', action='store_true',
                        help='List additional fields in output')


def list_rows(list_items, parsed_args, columns, long_columns,
              formatters=None):
    """(headings, rows) of list_items(**query) for the parsed options.

    columns, long_columns: (heading, attribute) pairs; formatters: by
    attribute.
    """
    listed = columns
    query = {}
    if parsed_args.app_group:
        query['app_group'] = parsed_args.app_group
    if parsed_args.all_projects:
        query['all_projects'] = True
        listed += (('Project ID', 'project_id'),)
    if parsed_args.long:
        listed += long_columns
    headings = tuple(heading for heading, _ in listed)
    attributes = tuple(attribute for _, attribute in listed)
    # A list, not a generator: errors must surface inside take_action.
    return headings, [utils.get_item_properties(item, attributes,
                                                formatters=formatters)
                      for item in list_items(**query)]


_CHECK_NAME = r'[A-Za-z0-9_.-]{1,64}'


def _command_check(text):
    name, sep, command = text.partition('=')
    if not sep or not re.fullmatch(_CHECK_NAME, name) or not command.strip():
        raise argparse.ArgumentTypeError(
            'a check is NAME=COMMAND (NAME: letters, digits, _ . -), got '
            '%r' % text)
    return {'name': name, 'command': command}


def _port_check(text):
    name, sep, target = text.partition('=')
    to, _, port = target.rpartition(':')
    if not sep or not re.fullmatch(_CHECK_NAME, name) or not (
            port.isdigit() and 1 <= int(port) <= 65535):
        raise argparse.ArgumentTypeError(
            'a port check is NAME=[MEMBER:]PORT (NAME: letters, digits, '
            '_ . -; PORT: 1-65535), got %r' % text)
    return dict({'name': name, 'port': int(port)}, **({'to': to} if to
                                                      else {}))


def add_check_options(parser, where):
    """--check and --port-check: checks run in each restored guest."""
    parser.add_argument(
        '--check', metavar='<name=command>', type=_command_check,
        action='append', dest='checks',
        help='Run this command in each restored guest %s through its '
             'qemu-guest-agent (sh -c); it must exit 0 within 30 s (repeat '
             'option for more; per member and with other exit codes or '
             'times: the API)' % where)
    parser.add_argument(
        '--port-check', metavar='<name=[member:]port>', type=_port_check,
        action='append', dest='port_checks',
        help='From each restored guest %s, open a TCP connection to this '
             "port of the member's restored address (the guest's own without "
             'member: server name or ID at snapshot time); it must be '
             'accepted within 30 s, inside the isolated network (repeat '
             'option for more)' % where)


def checks_from_args(parsed_args):
    """The checks given, or None."""
    given = (parsed_args.checks or []) + (parsed_args.port_checks or [])
    return given or None


def _hooks_file(path):
    """The hooks of a YAML (or JSON) file: a list, as the API takes it."""
    try:
        with open(path) as f:
            hooks = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        raise argparse.ArgumentTypeError('cannot read hooks from %s: %s' % (
            path, e))
    if not isinstance(hooks, list):
        raise argparse.ArgumentTypeError(
            '%s must hold a list of hooks, each with name, when (pre_freeze '
            'or post_thaw) and command' % path)
    return hooks


def add_hooks_options(parser, what):
    """--hooks FILE and --no-hooks."""
    parser.add_argument(
        '--hooks', metavar='<file>', type=_hooks_file,
        help='Run these hooks in the guests around %s freeze: a YAML or '
             'JSON list, each hook with name, when (pre_freeze or '
             'post_thaw), command (sh -c in the guest, through '
             'qemu-guest-agent), and optionally timeout_s (default 2), '
             'on_error (fail or continue), stage (default 1: every hook of '
             'a stage ends before the next stage begins; post_thaw in '
             'reverse) and members (server names or IDs) or name_pattern '
             '(e.g. db-*)' % what)
    parser.add_argument('--no-hooks', action='store_true',
                        help='Run no hooks')


def hooks_from_args(parsed_args):
    """The hooks given ([] for --no-hooks), or None."""
    if parsed_args.hooks is not None:
        return parsed_args.hooks
    return [] if parsed_args.no_hooks else None


class HooksColumn(format_columns.ListColumn):
    """Hooks, one 'when stage N name: command (...)' per line."""

    def human_readable(self):
        lines = []
        for h in self._value or ():
            only = h.get('members') and ', '.join(h['members']) or h.get(
                'name_pattern')
            lines.append('%s stage %d %s: %s (%s s, on error %s%s)' % (
                h['when'], h['stage'], h['name'], h['command'],
                h['timeout_s'], h['on_error'], '; only %s' % only if only
                else ''))
        return '\n'.join(lines)
