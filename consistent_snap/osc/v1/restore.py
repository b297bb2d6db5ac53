"""`openstack appgroup restore ...`: a group snapshot brought back as a set."""

import logging

from cliff import columns
from openstack import exceptions as sdk_exceptions
from osc_lib.cli import format_columns
from osc_lib.command import command
from osc_lib import exceptions
from osc_lib import utils

from consistent_snap.osc.v1 import common

LOG = logging.getLogger(__name__)

SHOW_COLUMNS = ('id', 'group_snapshot_id', 'project_id', 'status', 'mode',
                'options', 'ready_s', 'app_group_id', 'requested_by',
                'error', 'created_at', 'updated_at', 'plan', 'members',
                'resources')
LIST_COLUMNS = ('ID', 'Group Snapshot ID', 'Status', 'Ready s',
                'App Group ID', 'Created At')
MAPS = ('network', 'flavor', 'az', 'volume-type')


class PlanColumn(columns.FormattableColumn):
    """A plan: its problems, then its steps, a line each."""

    def human_readable(self):
        return plan_text(self._value or {})

    def machine_readable(self):
        return self._value


class MembersColumn(columns.FormattableColumn):
    def human_readable(self):
        return '\n'.join(
            '%s -> %s: %s' % (m.get('name'), m.get('new_server_id') or (
                'in place'), ', '.join(
                '%s %.1f s%s' % (s['step'], s['ended_at'] - s['started_at'],
                                 ' (%s)' % s['error'] if s.get('error')
                                 else '')
                for s in m.get('steps', ()) if s.get('ended_at')))
            for m in self._value or ())

    def machine_readable(self):
        return self._value


def plan_text(plan):
    lines = ['problem: %s%s' % (
        '%s: ' % (p.get('server_name') or p['server_id'])
        if p.get('server_id') else '', p['message'])
        for p in plan.get('problems', ())]
    lines += ['%d. [%s] %s' % (i, s['stage'], s['action'])
              for i, s in enumerate(plan.get('steps', ()), 1)]
    return '\n'.join(lines)


def _mapping(text):
    old, sep, new = text.partition('=')
    if not sep or not old or not new:
        raise exceptions.CommandError('a map is OLD=NEW, got %r' % text)
    return old, new


def _show(restore):
    return SHOW_COLUMNS, utils.get_item_properties(
        restore, SHOW_COLUMNS, formatters={
            'options': format_columns.DictColumn, 'plan': PlanColumn,
            'members': MembersColumn,
            'resources': format_columns.ListDictColumn})


class CreateRestore(command.ShowOne):
    """Restore a group snapshot as a new copy of the application."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('snapshot', metavar='<snapshot>',
                            help='Group snapshot to restore (name or ID)')
        parser.add_argument(
            '--plan', action='store_true',
            help='Only check and list the steps; create nothing')
        parser.add_argument(
            '--mode', choices=['new', 'in-place'], default='new',
            help='new: a copy beside the original (the default); in-place: '
                 'the original servers, keeping their ids and addresses, '
                 'rebuilt from the member images and their volumes '
                 'reverted (every server is stopped first)')
        parser.add_argument(
            '--member', metavar='<server>', dest='members', action='append',
            help='Restore only this member (server name or ID at snapshot '
                 'time; repeat option for more)')
        for kind in MAPS:
            parser.add_argument(
                '--%s-map' % kind, metavar='<old=new>', type=_mapping,
                action='append', dest='%s_map' % kind.replace('-', '_'),
                help='Restore what used %s OLD with NEW (name or ID; '
                     'repeat option for more)' % kind.replace('-', ' '))
        parser.add_argument(
            '--keep-ips', action='store_true', default=None,
            help='Reuse the recorded fixed IPs and MACs (the plan refuses '
                 'addresses taken on the target network)')
        parser.add_argument('--name-suffix', metavar='<suffix>',
                            help='Appended to every restored name '
                                 '(default: -restored-<restore id>)')
        parser.add_argument('--as-app-group', metavar='<name>',
                            help='Register the restored servers as a new '
                                 'app group')
        parser.add_argument(
            '--wait', action='store_true',
            help='Wait until every server is ACTIVE with its volumes, '
                 'showing progress on stderr; fail if it ends in error')
        return parser

    @common.api_errors
    def take_action(self, parsed_args):
        client = self.app.client_manager.consistent_snap
        snapshot = client.find_group_snapshot(parsed_args.snapshot,
                                              ignore_missing=False)
        attrs = {'group_snapshot': snapshot.id,
                 'mode': parsed_args.mode.replace('-', '_')}
        for key in ('members', 'keep_ips', 'name_suffix', 'as_app_group'):
            if getattr(parsed_args, key) is not None:
                attrs[key] = getattr(parsed_args, key)
        for kind in MAPS:
            key = '%s_map' % kind.replace('-', '_')
            if getattr(parsed_args, key):
                attrs[key] = dict(getattr(parsed_args, key))
        if parsed_args.plan:
            plan = client.plan_restore(**attrs)
            if not plan['ok']:
                raise exceptions.CommandError(
                    'The restore would fail:\n%s' % plan_text(plan))
            return ('ok', 'members', 'plan'), (
                True, len(plan['members']), PlanColumn(plan))
        restore = client.create_restore(**attrs)
        if parsed_args.wait:
            progress = common.Progress(self.app.stderr)
            try:
                client.wait_for_restore(
                    restore, interval=1, callback=lambda _: progress.show(
                        restore.status))
            except sdk_exceptions.ResourceFailure:
                raise exceptions.CommandError('Restore %s ended in %s: %s' % (
                    restore.id, restore.status, restore.error))
            finally:
                progress.done()
        return _show(restore)


class ListRestore(command.Lister):
    """List restores, newest first."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--group-snapshot', metavar='<snapshot>',
                            help='Only the restores of this group snapshot')
        parser.add_argument('--all-projects', action='store_true',
                            help='The restores of every project (admin)')
        return parser

    @common.api_errors
    def take_action(self, parsed_args):
        client = self.app.client_manager.consistent_snap
        query = {}
        if parsed_args.group_snapshot:
            query['group_snapshot'] = client.find_group_snapshot(
                parsed_args.group_snapshot, ignore_missing=False).id
        if parsed_args.all_projects:
            query['all_projects'] = True
        return LIST_COLUMNS, [utils.get_item_properties(r, (
            'id', 'group_snapshot_id', 'status', 'ready_s', 'app_group_id',
            'created_at')) for r in client.restores(**query)]


class ShowRestore(command.ShowOne):
    """Show a restore: its plan, each member's steps and times."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('restore', metavar='<restore>',
                            help='Restore to show (ID)')
        return parser

    @common.api_errors
    def take_action(self, parsed_args):
        client = self.app.client_manager.consistent_snap
        return _show(client.get_restore(parsed_args.restore))


class DeleteRestore(command.Command):
    """Delete restore(s): everything they created, and nothing else."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('restores', metavar='<restore>', nargs='+',
                            help='Restore(s) to delete (ID)')
        parser.add_argument('--wait', action='store_true',
                            help='Wait until everything is deleted')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.consistent_snap
        failed = []
        for ref in parsed_args.restores:
            try:
                client.delete_restore(ref, ignore_missing=False)
                if parsed_args.wait:
                    client.wait_for_restore(ref, status='deleted')
            except sdk_exceptions.SDKException as e:
                LOG.error("Failed to delete restore '%s': %s", ref, e)
                failed.append(ref)
        if failed:
            raise exceptions.CommandError(
                '%d of %d restores failed to delete' % (
                    len(failed), len(parsed_args.restores)))
