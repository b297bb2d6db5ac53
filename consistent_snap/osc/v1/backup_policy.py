"""`openstack appgroup policy ...`: scheduled group snapshots, retention."""

import argparse
import logging

from osc_lib.command import command
from osc_lib import exceptions
from osc_lib import utils

from consistent_snap.osc.v1 import common

LOG = logging.getLogger(__name__)

SHOW_COLUMNS = ('id', 'name', 'description', 'project_id', 'app_group_id',
                'cron', 'timezone', 'enabled', 'next_run_at', 'last_run_at',
                'last_result', 'last_snapshot_id', 'keep_last', 'max_age_s',
                'verify_every', 'mode', 'quiesce', 'consistent',
                'include_volumes', 'created_at', 'updated_at')
# List heading -> attribute.
LIST_COLUMNS = (('ID', 'id'), ('Name', 'name'),
                ('App Group', 'app_group_id'), ('Cron', 'cron'),
                ('Timezone', 'timezone'), ('Enabled', 'enabled'),
                ('Next Run At', 'next_run_at'),
                ('Last Result', 'last_result'))
LIST_LONG_COLUMNS = (('Keep Last', 'keep_last'), ('Max Age s', 'max_age_s'),
                     ('Verify Every', 'verify_every'),
                     ('Mode', 'mode'), ('Last Run At', 'last_run_at'),
                     ('Last Snapshot ID', 'last_snapshot_id'))


def _keep_last(value):
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(
            "invalid keep-last '%s' (a whole number, 1 or more)" % value)
    return number


def _verify_every(value):
    """--verification: 'latest' (each new snapshot) or N (every Nth)."""
    if value == 'latest':
        return 1
    try:
        return _keep_last(value)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            "invalid verification '%s' (latest, or a whole number N: every "
            "Nth snapshot)" % value)


def _add_settings(parser):
    """Options create and set share; unset options change nothing."""
    parser.add_argument('--name', metavar='<name>', help='Policy name')
    parser.add_argument('--description', metavar='<description>',
                        help='Policy description')
    parser.add_argument(
        '--timezone', metavar='<zone>',
        help="IANA time zone of the cron's wall times, e.g. Europe/Paris "
             '(default UTC)')
    parser.add_argument(
        '--keep-last', metavar='<n>', type=_keep_last,
        help="Keep the policy's N newest snapshots; the newest available "
             'one is always kept')
    parser.add_argument(
        '--max-age', metavar='<age>',
        help="Delete the policy's snapshots older than this: seconds, or a "
             'number followed by s, m, h, d or w (e.g. 30d)')
    # Not --verify: the openstack command's own option (TLS).
    parser.add_argument(
        '--verification', metavar='<latest|n>', type=_verify_every,
        dest='verify_every',
        help="Verify the policy's snapshots by restoring them in isolation: "
             'latest (each new one) or N (every Nth); retention keeps the '
             'newest that passed')
    parser.add_argument(
        '--mode', metavar='{%s}' % ','.join(common.MODES),
        type=common.parse_mode,
        help="Snapshot mode (default: the app group's)")
    parser.add_argument(
        '--quiesce', action=argparse.BooleanOptionalAction, default=None,
        help="Freeze guest file systems (default: the app group's)")
    parser.add_argument(
        '--consistent', action=argparse.BooleanOptionalAction, default=None,
        help="Fence the servers to one point in time, or fail (default: "
             "the app group's)")
    parser.add_argument(
        '--include-volumes', action=argparse.BooleanOptionalAction,
        default=None,
        help="Snapshot attached volumes too (default: the app group's)")


def settings_from_args(parsed_args):
    """The API attributes of the given options, and only those."""
    settings = {'name': parsed_args.name,
                'description': parsed_args.description,
                'cron': parsed_args.cron,
                'timezone': parsed_args.timezone,
                'keep_last': parsed_args.keep_last,
                'max_age': parsed_args.max_age,
                'verify_every': parsed_args.verify_every,
                'mode': parsed_args.mode,
                'quiesce': parsed_args.quiesce,
                'consistent': parsed_args.consistent,
                'include_volumes': parsed_args.include_volumes,
                'enabled': parsed_args.enabled}
    settings = {key: value for key, value in settings.items()
                if value is not None}
    # Only set has these: they drop a rule.
    for rule in ('keep_last', 'max_age', 'verify_every'):
        if getattr(parsed_args, 'no_' + rule, False):
            settings[rule] = None
    return settings


def _show(backup_policy):
    return SHOW_COLUMNS, utils.get_item_properties(backup_policy,
                                                   SHOW_COLUMNS)


def _find(client, name_or_id):
    return client.find_backup_policy(name_or_id, ignore_missing=False)


class CreateBackupPolicy(command.ShowOne):
    """Snapshot an app group on a schedule, keeping some of the snapshots."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('app_group', metavar='<app-group>',
                            help='App group to snapshot (name or ID)')
        parser.add_argument(
            '--cron', metavar='<expression>', required=True,
            help='When: 5 cron fields (minute hour day month weekday), e.g. '
                 '"0 */6 * * *"; or 6, seconds first')
        _add_settings(parser)
        parser.add_argument(
            '--disabled', dest='enabled', action='store_false', default=None,
            help='Create the policy disabled (no run until enabled)')
        return parser

    @common.api_errors
    def take_action(self, parsed_args):
        client = self.app.client_manager.consistent_snap
        created = client.create_backup_policy(
            app_group=parsed_args.app_group,
            **settings_from_args(parsed_args))
        return _show(created)


class ListBackupPolicy(command.Lister):
    """List backup policies."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        common.add_list_options(parser, 'policies')
        return parser

    @common.api_errors
    def take_action(self, parsed_args):
        client = self.app.client_manager.consistent_snap
        return common.list_rows(client.backup_policies, parsed_args,
                                LIST_COLUMNS, LIST_LONG_COLUMNS)


class ShowBackupPolicy(command.ShowOne):
    """Show a backup policy, its next run and its last result."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('backup_policy', metavar='<policy>',
                            help='Backup policy to show (name or ID)')
        return parser

    @common.api_errors
    def take_action(self, parsed_args):
        client = self.app.client_manager.consistent_snap
        return _show(_find(client, parsed_args.backup_policy))


class SetBackupPolicy(command.Command):
    """Set backup policy properties."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('backup_policy', metavar='<policy>',
                            help='Backup policy to modify (name or ID)')
        parser.add_argument('--cron', metavar='<expression>',
                            help='New schedule (5 fields, or 6 with seconds '
                                 'first)')
        _add_settings(parser)
        parser.add_argument('--no-keep-last', action='store_true',
                            help='Keep any number of snapshots')
        parser.add_argument('--no-max-age', action='store_true',
                            help='Keep snapshots however old')
        parser.add_argument('--no-verification', action='store_true',
                            dest='no_verify_every',
                            help='Verify no more snapshots')
        enabled = parser.add_mutually_exclusive_group()
        enabled.add_argument('--enable', dest='enabled', action='store_true',
                             default=None, help='Run on schedule again')
        enabled.add_argument('--disable', dest='enabled',
                             action='store_false', default=None,
                             help='Stop running until enabled')
        return parser

    @common.api_errors
    def take_action(self, parsed_args):
        for rule, option in (('keep_last', 'keep-last'),
                             ('max_age', 'max-age'),
                             ('verify_every', 'verification')):
            if (getattr(parsed_args, 'no_' + rule) and
                    getattr(parsed_args, rule) is not None):
                raise exceptions.CommandError(
                    'Give --%s or --no-%s, not both.' % (option, option))
        client = self.app.client_manager.consistent_snap
        attrs = settings_from_args(parsed_args)
        found = _find(client, parsed_args.backup_policy)
        if attrs:
            client.update_backup_policy(found, **attrs)


class DeleteBackupPolicy(command.Command):
    """Delete backup policy(ies); their snapshots are kept."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('backup_policies', metavar='<policy>', nargs='+',
                            help='Backup policy(ies) to delete (name or ID)')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.consistent_snap
        common.delete_each(
            parsed_args.backup_policies,
            lambda ref: client.delete_backup_policy(
                _find(client, ref), ignore_missing=False),
            'backup policies')
