"""`openstack appgroup ...`: app groups and their members."""

import argparse
import logging

from osc_lib.cli import format_columns
from osc_lib.cli import parseractions
from osc_lib.command import command
from osc_lib import exceptions
from osc_lib import utils

from consistent_snap.osc.v1 import common

LOG = logging.getLogger(__name__)

# Each source kind and the options that give it.
SOURCE_OPTIONS = {'heat': '--heat-stack', 'server_group': '--server-group',
                  'metadata': '--tag/--property', 'servers': '--server'}

SHOW_COLUMNS = ('id', 'name', 'description', 'project_id', 'source_type',
                'source', 'default_mode', 'quiesce', 'consistent',
                'include_volumes', 'checks', 'hooks', 'created_at',
                'updated_at')
LIST_COLUMNS = ('ID', 'Name', 'Source Type', 'Default Mode')
LIST_LONG_COLUMNS = ('Description', 'Source', 'Quiesce', 'Consistent',
                     'Include Volumes')
MEMBER_COLUMNS = ('Server ID', 'Name', 'Host', 'Host ID', 'Status',
                  'Power State')
MEMBER_LONG_COLUMNS = ('Availability Zone', 'Volumes', 'Guest Agent')


class SourceColumn(format_columns.DictColumn):
    """A source, with its tag list as 'a, b' rather than a Python list."""

    def human_readable(self):
        flat = {key: utils.format_list(value) if isinstance(value, list)
                else value for key, value in (self._value or {}).items()}
        return utils.format_dict(flat)


class ChecksColumn(format_columns.ListColumn):
    """Checks, one 'name: what' per line."""

    def human_readable(self):
        return '\n'.join('%s: %s%s' % (c['name'], c['command'] if (
            'command' in c) else 'TCP port %s of %s' % (
                c['port'], c.get('to') or 'each member'), (
            ' (%s)' % ', '.join(c['members']) if c.get('members') else ''))
            for c in self._value or ())


class VolumesColumn(format_columns.ListDictColumn):
    """A member's volumes, one 'id (size GiB, type)' per line."""

    def human_readable(self):
        return '\n'.join('%s (%s GiB, %s)' % (v['id'], v.get('size'),
                                              v.get('volume_type'))
                         for v in self._value or ())


def _add_settings(parser):
    """Options create and set share; unset options change nothing."""
    parser.add_argument('--description', metavar='<description>',
                        help='App group description')
    parser.add_argument(
        '--mode', metavar='{%s}' % ','.join(common.MODES),
        type=common.parse_mode,
        help='Default mode of group snapshots: barrier (freeze all, then '
             'snapshot all), shared-start (snapshot all at one instant) '
             'or priority')
    parser.add_argument(
        '--quiesce', action=argparse.BooleanOptionalAction, default=None,
        help='Freeze guest file systems through qemu-guest-agent while '
             'snapshotting (--no-quiesce: do not)')
    parser.add_argument(
        '--consistent', action=argparse.BooleanOptionalAction, default=None,
        help='Fail a group snapshot that cannot be consistent rather than '
             'take an inconsistent one (--no-consistent: allow it)')
    parser.add_argument(
        '--include-volumes', action=argparse.BooleanOptionalAction,
        default=None,
        help="Snapshot the servers' attached volumes too "
             '(--no-include-volumes: images only)')
    common.add_check_options(parser, 'when a snapshot of the group is '
                                     'verified')
    common.add_hooks_options(parser, "each snapshot's")


def settings_from_args(parsed_args):
    """The API attributes of the given options, and only those."""
    settings = {'description': parsed_args.description,
                'default_mode': parsed_args.mode,
                'quiesce': parsed_args.quiesce,
                'consistent': parsed_args.consistent,
                'include_volumes': parsed_args.include_volumes,
                'checks': common.checks_from_args(parsed_args),
                'hooks': common.hooks_from_args(parsed_args)}
    if getattr(parsed_args, 'no_checks', False) and not settings['checks']:
        settings['checks'] = []
    return {key: value for key, value in settings.items()
            if value is not None}


def source_from_args(parsed_args):
    """(source_type, source) from the one source kind given.

    Servers are left as given, names or IDs; see common.server_ids().
    """
    sources = {}
    if parsed_args.heat_stack:
        sources['heat'] = {'stack': parsed_args.heat_stack}
    if parsed_args.server_group:
        sources['server_group'] = {'server_group': parsed_args.server_group}
    metadata = {}
    if parsed_args.tags:
        metadata['tags'] = list(dict.fromkeys(parsed_args.tags))
    if parsed_args.properties:
        metadata['properties'] = parsed_args.properties
    if metadata:
        sources['metadata'] = metadata
    if parsed_args.servers:
        sources['servers'] = {'servers': parsed_args.servers}
    if len(sources) != 1:
        given = ', '.join(SOURCE_OPTIONS[kind] for kind in sources) or 'none'
        raise exceptions.CommandError(
            'Give exactly one source of servers: %s (given: %s).' %
            (', '.join(SOURCE_OPTIONS.values()), given))
    return sources.popitem()


def _show(group):
    return SHOW_COLUMNS, utils.get_item_properties(
        group, SHOW_COLUMNS, formatters={'source': SourceColumn,
                                         'checks': ChecksColumn,
                                         'hooks': common.HooksColumn})


def _find(client, name_or_id):
    return client.find_app_group(name_or_id, ignore_missing=False)


class CreateAppGroup(command.ShowOne):
    """Create an app group: one application's servers, from one source."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', metavar='<name>',
                            help='New app group name (unique in the project)')
        source = parser.add_argument_group(
            'source', 'Where the servers come from: exactly one of '
                      '--heat-stack, --server-group, --server, or --tag '
                      'and/or --property. Membership is resolved at each '
                      'snapshot.')
        source.add_argument(
            '--heat-stack', metavar='<stack>',
            help="A Heat stack's servers (name or ID), nested stacks "
                 'included')
        source.add_argument(
            '--server-group', metavar='<server-group>',
            help='The members of a server group (name or ID)')
        source.add_argument(
            '--tag', metavar='<tag>', dest='tags', action='append',
            help='Servers with this tag (repeat option: servers with every '
                 'tag)')
        source.add_argument(
            '--property', metavar='<key=value>', dest='properties',
            action=parseractions.KeyValueAction,
            help='Servers with this metadata property (repeat option: '
                 'every property)')
        source.add_argument(
            '--server', metavar='<server>', dest='servers', action='append',
            help='This server (name or ID) (repeat option for more)')
        _add_settings(parser)
        return parser

    @common.api_errors
    def take_action(self, parsed_args):
        source_type, source = source_from_args(parsed_args)
        if source_type == 'servers':
            compute = self.app.client_manager.sdk_connection.compute
            source = {'servers': common.server_ids(compute,
                                                   source['servers'])}
        client = self.app.client_manager.consistent_snap
        group = client.create_app_group(
            name=parsed_args.name, source_type=source_type, source=source,
            **settings_from_args(parsed_args))
        return _show(group)


class ListAppGroup(command.Lister):
    """List app groups."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--name', metavar='<name>',
                            help='Only the app group with this name')
        parser.add_argument('--all-projects', action='store_true',
                            help='App groups of every project (admin only)')
        parser.add_argument('--long', action='store_true',
                            help='List additional fields in output')
        return parser

    @common.api_errors
    def take_action(self, parsed_args):
        client = self.app.client_manager.consistent_snap
        columns = LIST_COLUMNS
        query = {}
        if parsed_args.name:
            query['name'] = parsed_args.name
        if parsed_args.all_projects:
            query['all_projects'] = True
            columns += ('Project ID',)
        if parsed_args.long:
            columns += LIST_LONG_COLUMNS
        # A list, not a generator: errors must surface inside take_action.
        rows = [utils.get_item_properties(g, columns,
                                          formatters={'Source': SourceColumn})
                for g in client.app_groups(**query)]
        return columns, rows


class ShowAppGroup(command.ShowOne):
    """Show an app group."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('app_group', metavar='<app-group>',
                            help='App group to show (name or ID)')
        return parser

    @common.api_errors
    def take_action(self, parsed_args):
        client = self.app.client_manager.consistent_snap
        return _show(_find(client, parsed_args.app_group))


class SetAppGroup(command.Command):
    """Set app group properties."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('app_group', metavar='<app-group>',
                            help='App group to modify (name or ID)')
        parser.add_argument('--name', metavar='<name>',
                            help='New app group name')
        _add_settings(parser)
        parser.add_argument(
            '--no-checks', action='store_true',
            help="Remove the group's checks (--check and --port-check "
                 'replace them all)')
        return parser

    @common.api_errors
    def take_action(self, parsed_args):
        client = self.app.client_manager.consistent_snap
        attrs = settings_from_args(parsed_args)
        if parsed_args.name is not None:
            attrs['name'] = parsed_args.name
        group = _find(client, parsed_args.app_group)
        if attrs:
            client.update_app_group(group, **attrs)


class DeleteAppGroup(command.Command):
    """Delete app group(s)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('app_groups', metavar='<app-group>', nargs='+',
                            help='App group(s) to delete (name or ID)')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.consistent_snap
        common.delete_each(
            parsed_args.app_groups,
            lambda ref: client.delete_app_group(_find(client, ref),
                                                ignore_missing=False),
            'app groups')


class ListAppGroupMember(command.Lister):
    """List an app group's servers as they are now, with their hosts."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('app_group', metavar='<app-group>',
                            help='App group (name or ID)')
        parser.add_argument('--long', action='store_true',
                            help='List additional fields in output')
        return parser

    @common.api_errors
    def take_action(self, parsed_args):
        client = self.app.client_manager.consistent_snap
        group = _find(client, parsed_args.app_group)
        found = client.app_group_members(group)
        members = found['members']
        if not members:
            LOG.warning('%s', found.get('message') or
                        'app group %s has no servers' % group.name)
        if found.get('missing'):
            LOG.warning('Warning: app group %s names servers that no longer '
                        'exist; a snapshot would miss them: %s', group.name,
                        ', '.join(found['missing']))
        # Only admins are shown compute host names; others get Host ID.
        columns = tuple(c for c in MEMBER_COLUMNS
                        if c != 'Host' or any('host' in m for m in members))
        if parsed_args.long:
            columns += MEMBER_LONG_COLUMNS
        rows = [utils.get_dict_properties(
                dict(m, guest_agent=m.get('qemu_guest_agent')), columns,
                formatters={'Volumes': VolumesColumn}) for m in members]
        return columns, rows
