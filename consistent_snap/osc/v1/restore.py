"""`openstack appgroup restore ...`: a group snapshot brought back as a set."""

import logging
import time

from cliff import columns
from openstack import exceptions as sdk_exceptions
from osc_lib.cli import format_columns
from osc_lib.command import command
from osc_lib import exceptions
from osc_lib import utils

from consistent_snap.osc.v1 import common

LOG = logging.getLogger(__name__)

SHOW_COLUMNS = ('id', 'group_snapshot_id', 'project_id', 'status', 'mode',
                'options', 'ready_s', 'verdict', 'keep_until', 'app_group_id',
                'requested_by', 'error', 'created_at', 'updated_at', 'plan',
                'members', 'resources')
LIST_COLUMNS = ('ID', 'Group Snapshot ID', 'Status', 'Mode', 'Verdict',
                'Ready s', 'App Group ID', 'Created At')
MAPS = ('network', 'flavor', 'az', 'volume-type')


class PlanColumn(columns.FormattableColumn):
    """A plan: its problems, then its steps, a line each."""

    def human_readable(self):
        return plan_text(self._value or {})

    def machine_readable(self):
        return self._value


class MembersColumn(columns.FormattableColumn):
    """Per member: its new server, each step's time; then its checks."""

    def human_readable(self):
        lines = []
        for m in self._value or ():
            lines.append('%s -> %s: %s' % (
                m.get('name'), m.get('new_server_id') or 'in place',
                ', '.join('%s %.1f s%s' % (
                    s['step'], s['ended_at'] - s['started_at'],
                    ' (%s)' % s['error'] if s.get('error') else '')
                    for s in m.get('steps', ()) if s.get('ended_at'))))
            lines += ['  check %s: %s (%s)' % (
                c['check'], {True: 'passed', False: 'FAILED'}.get(
                    c.get('passed'), 'skipped'), c.get('output', ''))
                for c in m.get('checks', ())]
        return '\n'.join(lines)

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


def _add_member_and_maps(parser, kinds, what):
    parser.add_argument(
        '--member', metavar='<server>', dest='members', action='append',
        help='%s only this member (server name or ID at snapshot time; '
             'repeat option for more)' % what)
    for kind in kinds:
        parser.add_argument(
            '--%s-map' % kind, metavar='<old=new>', type=_mapping,
            action='append', dest='%s_map' % kind.replace('-', '_'),
            help='Restore what used %s OLD with NEW (name or ID; repeat '
                 'option for more)' % kind.replace('-', ' '))


def _maps(parsed_args, kinds):
    attrs = {}
    if parsed_args.members:
        attrs['members'] = parsed_args.members
    for kind in kinds:
        key = '%s_map' % kind.replace('-', '_')
        if getattr(parsed_args, key):
            attrs[key] = dict(getattr(parsed_args, key))
    return attrs


def _plan_answer(plan, what):
    if not plan['ok']:
        raise exceptions.CommandError('The %s would fail:\n%s' % (
            what, plan_text(plan)))
    return ('ok', 'members', 'plan'), (True, len(plan['members']),
                                       PlanColumn(plan))


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
        _add_member_and_maps(parser, MAPS, 'Restore')
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
        attrs = dict(_maps(parsed_args, MAPS), group_snapshot=snapshot.id,
                     mode=parsed_args.mode.replace('-', '_'))
        for key in ('keep_ips', 'name_suffix', 'as_app_group'):
            if getattr(parsed_args, key) is not None:
                attrs[key] = getattr(parsed_args, key)
        if parsed_args.plan:
            return _plan_answer(client.plan_restore(**attrs), 'restore')
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


# A verification keeps its networks and addresses: no network map.
VERIFY_MAPS = ('flavor', 'az', 'volume-type')


class VerifyGroupSnapshot(command.ShowOne):
    """Verify a group snapshot: restore it in isolation, check it, delete it.

    A restore of mode verify, on copies of the members' networks with the
    same CIDRs and no router, with every recorded address; each member is
    then checked (its server ACTIVE; where its host reaches a guest agent,
    the agent answers and the file systems mounted clean; each --check),
    the verdict is recorded on the restore and the snapshot, and everything
    is deleted (after --keep-for).
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('snapshot', metavar='<snapshot>',
                            help='Group snapshot to verify (name or ID)')
        parser.add_argument(
            '--plan', action='store_true',
            help='Only check and list the steps; create nothing')
        _add_member_and_maps(parser, VERIFY_MAPS, 'Verify')
        common.add_check_options(
            parser, "(besides its app group's checks, which one of the same "
                    'name replaces)')
        parser.add_argument(
            '--keep-for', metavar='<duration>', type=common.duration_s,
            help='Keep the restored copy this long after its checks, for a '
                 'look (seconds, or e.g. 10m); then it is deleted')
        parser.add_argument(
            '--wait', action='store_true',
            help='Wait for the verdict (and, without --keep-for, for the '
                 'copy to be deleted); fail if the verification failed')
        return parser

    @common.api_errors
    def take_action(self, parsed_args):
        client = self.app.client_manager.consistent_snap
        snapshot = client.find_group_snapshot(parsed_args.snapshot,
                                              ignore_missing=False)
        attrs = _maps(parsed_args, VERIFY_MAPS)
        if parsed_args.keep_for:
            attrs['keep_for'] = parsed_args.keep_for
        if common.checks_from_args(parsed_args):
            attrs['checks'] = common.checks_from_args(parsed_args)
        if parsed_args.plan:
            return _plan_answer(client.verify_group_snapshot(
                snapshot.id, dry_run=True, **attrs), 'verification')
        verification = client.verify_group_snapshot(snapshot.id, **attrs)
        if parsed_args.wait:
            verification = _wait_for_verdict(client, verification,
                                             self.app.stderr)
            if verification.verdict != 'passed':
                raise exceptions.CommandError(
                    'Verification %s of group snapshot %s failed: %s' % (
                        verification.id, snapshot.id, verification.error))
        return _show(verification)


def _wait_for_verdict(client, verification, stream):
    """Until it has its verdict and is deleted (or kept, or in error)."""
    progress = common.Progress(stream)
    try:
        while True:
            verification = client.get_restore(verification.id)
            progress.show(verification.status)
            if verification.status in ('deleted', 'error') or (
                    verification.status == 'available' and
                    verification.keep_until):
                return verification
            time.sleep(1)
    finally:
        progress.done()


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
            'id', 'group_snapshot_id', 'status', 'mode', 'verdict', 'ready_s',
            'app_group_id', 'created_at')) for r in client.restores(**query)]


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
