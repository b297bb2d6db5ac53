"""`openstack appgroup snapshot ...`: group snapshots of applications."""

import argparse
import datetime
import functools
import logging

from cliff import columns
from openstack import exceptions as sdk_exceptions
from osc_lib.cli import format_columns
from osc_lib.command import command
from osc_lib import exceptions
from osc_lib import utils

from consistent_snap.osc.v1 import common

LOG = logging.getLogger(__name__)

SHOW_COLUMNS = ('id', 'name', 'description', 'app_group_id', 'project_id',
                'status', 'mode', 'consistent', 'quiesce', 'require_quiesce',
                'include_volumes', 'servers', 'fence_at', 'skew_bound_ms',
                'frozen_together', 'skew_ms', 'uncertainty_ms',
                'max_freeze_ms', 'hooks_window_ms', 'consistency', 'hooks',
                'requested_by', 'error',
                'created_at', 'updated_at', 'verification', 'member_count',
                'members')
# List heading -> attribute: several headings are not the attribute name.
LIST_COLUMNS = (('ID', 'id'), ('Name', 'name'),
                ('App Group', 'app_group_id'), ('Status', 'status'),
                ('Mode', 'mode'), ('Consistent', 'consistent'),
                ('Skew bound ms', 'skew_bound_ms'),
                ('Frozen together', 'frozen_together'),
                ('Max freeze ms', 'max_freeze_ms'),
                ('Members', 'member_count'),
                ('Verification', 'verification'),
                ('Created At', 'created_at'))
LIST_LONG_COLUMNS = (('Consistency', 'consistency'),
                     ('Call spread ms', 'skew_ms'),
                     ('Uncertainty ms', 'uncertainty_ms'),
                     ('Fence At', 'fence_at'), ('Error', 'error'))
# `snapshot member list`, from the keys _member_row makes: 'Captured At'
# is captured_at. Host is shown when the API gives it (to admins), Host ID
# otherwise.
MEMBER_COLUMNS = ('Server ID', 'Name', 'Host', 'Host ID', 'Status',
                  'Consistency', 'Captured At', 'Freeze ms', 'Artifacts')
MEMBER_LONG_COLUMNS = ('Fixed At', 'Hooks', 'Manifest', 'Error')
# Characters of a host ID the member table shows: enough to tell hosts
# apart (Nova's host IDs are 56-character hashes).
SHORT_HOST_ID = 12
# What --wait counts in each phase, and how a member shows it is done.
PHASE_COUNTS = {
    'fencing': ('frozen', lambda m: m.get('frozen_at')),
    'capturing': ('captured', lambda m: m.get('captured_at')),
    'finalizing': ('available', lambda m: m.get('status') == 'available'),
}


def _parse_instant(value):
    # The API writes '...Z'; fromisoformat() takes it from Python 3.11 only.
    return datetime.datetime.fromisoformat(value.replace('Z', '+00:00'))


def freeze_ms(member):
    """How long a member was frozen (thawed_at - frozen_at), or None."""
    if not member.get('frozen_at') or not member.get('thawed_at'):
        return None
    delta = (_parse_instant(member['thawed_at']) -
             _parse_instant(member['frozen_at']))
    return round(delta.total_seconds() * 1000.0, 3)


def manifest_summary(manifest):
    """What a member would be rebuilt from, in a few words.

    E.g. 'm1.tiny, image 5f3c..., networks private, 1 volume'; the whole
    manifest is in -f json.
    """
    if not manifest:
        return 'none recorded'
    if manifest.get('boot_volume_id'):
        boot = 'boot volume %s' % manifest['boot_volume_id']
    else:
        boot = 'image %s' % manifest.get('image_id')
    networks = list(dict.fromkeys(
        p.get('network_name') or p.get('network_id')
        for p in manifest.get('ports') or ()))
    volumes = len(manifest.get('volumes') or ())
    parts = [(manifest.get('flavor') or {}).get('name') or 'flavor unknown',
             boot,
             'networks %s' % ' '.join(networks) if networks else 'no ports',
             '%d volume%s' % (volumes, '' if volumes == 1 else 's')]
    if manifest.get('incomplete'):
        parts.append('INCOMPLETE: %s' % '; '.join(manifest['incomplete']))
    return ', '.join(parts)


class MembersColumn(columns.FormattableColumn):
    """Members: how many and how to list them; the objects for -f json.

    The table gives a count and the `snapshot member list` command;
    -f json and yaml give the API's member objects, whole.
    """

    def __init__(self, value, snapshot_id=None):
        super().__init__(value)
        self.snapshot_id = snapshot_id

    def human_readable(self):
        count = len(self._value or ())
        if not count:
            return '0 members'
        return '%d member%s: openstack appgroup snapshot member list %s' % (
            count, '' if count == 1 else 's', self.snapshot_id)

    def machine_readable(self):
        return list(self._value or ())


class ShortIdColumn(columns.FormattableColumn):
    """A host ID by its first 12 characters in the table, whole elsewhere."""

    def human_readable(self):
        if not self._value:
            return self._value
        return self._value[:SHORT_HOST_ID]

    def machine_readable(self):
        return self._value


def progress_line(snapshot):
    """Where a snapshot is, e.g. 'capturing: 2/3 members captured'."""
    members = snapshot.members or ()
    counted = PHASE_COUNTS.get(snapshot.status)
    if counted is None or not members:
        return snapshot.status
    word, is_done = counted
    done = sum(1 for m in members if is_done(m))
    return '%s: %d/%d members %s' % (snapshot.status, done, len(members),
                                     word)


def _wait(client, snapshot, status, stream):
    """Wait for status with a progress line; CommandError on failure."""
    progress = common.Progress(stream)
    try:
        # wait_for_group_snapshot refreshes snapshot itself, in place.
        client.wait_for_group_snapshot(
            snapshot, status=status, interval=1,
            callback=lambda _percent: progress.show(progress_line(snapshot)))
        progress.show(progress_line(snapshot))
    except sdk_exceptions.ResourceFailure:
        progress.show(progress_line(snapshot))
        raise exceptions.CommandError(
            'Group snapshot %s ended in %s: %s' % (
                snapshot.id, snapshot.status,
                snapshot.error or 'no error recorded'))
    finally:
        progress.done()
    return snapshot


class VerificationColumn(columns.FormattableColumn):
    """The latest verification: 'passed, ready in 21.5 s' or 'never'."""

    def human_readable(self):
        verification = self._value or {}
        text = verification.get('status', 'never')
        if verification.get('ready_s') is not None:
            text += ', ready in %.1f s' % verification['ready_s']
        return text

    def machine_readable(self):
        return self._value


def _show(snapshot):
    return SHOW_COLUMNS, utils.get_item_properties(
        snapshot, SHOW_COLUMNS,
        formatters={'servers': format_columns.ListColumn,
                    'hooks': common.HooksColumn,
                    'verification': VerificationColumn,
                    'members': functools.partial(MembersColumn,
                                                 snapshot_id=snapshot.id)})


def _member_row(member):
    """A member as the API gives it -> the keys of MEMBER_COLUMNS."""
    return dict(member, name=member.get('server_name'),
                freeze_ms=freeze_ms(member),
                artifacts=[a['id'] for a in member.get('artifacts') or ()],
                hooks=', '.join('%s %s (%.1f s)' % (
                    r['name'], 'ok' if r['passed'] else 'FAILED', (
                        _parse_instant(r['ended_at']) - _parse_instant(
                            r['started_at'])).total_seconds())
                    for r in member.get('hook_results') or ()),
                manifest=manifest_summary(member.get('manifest')))


def _find(client, name_or_id):
    return client.find_group_snapshot(name_or_id, ignore_missing=False)


def target_from_args(parsed_args):
    """{'app_group': ...} or {'servers': [...]}: exactly one is given."""
    if bool(parsed_args.app_group) == bool(parsed_args.servers):
        raise exceptions.CommandError(
            'Give either an app group or --server (repeat option for more '
            'servers), not both.' if parsed_args.app_group else
            'Give an app group or at least one --server.')
    if parsed_args.app_group:
        # Name or ID alike: the API resolves names in the project.
        return {'app_group': parsed_args.app_group}
    return {'servers': parsed_args.servers}


def settings_from_args(parsed_args):
    """The API attributes of the given options, and only those.

    The API takes the others from the app group's preset.
    """
    settings = {'mode': parsed_args.mode,
                'quiesce': parsed_args.quiesce,
                'require_quiesce': parsed_args.require_quiesce,
                'consistent': parsed_args.consistent,
                'include_volumes': parsed_args.include_volumes,
                'skip_unhealthy': parsed_args.skip_unhealthy,
                'hooks': common.hooks_from_args(parsed_args),
                'name': parsed_args.name,
                'description': parsed_args.description}
    return {key: value for key, value in settings.items()
            if value is not None}


class CreateGroupSnapshot(command.ShowOne):
    """Snapshot an app group's servers, or given servers, at one instant."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'app_group', metavar='<app-group>', nargs='?',
            help='App group to snapshot (name or ID); its settings apply '
                 'unless overridden below')
        parser.add_argument(
            '--server', metavar='<server>', dest='servers', action='append',
            help='Snapshot this server (name or ID) instead of an app '
                 'group (repeat option for more)')
        parser.add_argument(
            '--mode', metavar='{%s}' % ','.join(common.MODES),
            type=common.parse_mode,
            help='barrier (freeze all, then snapshot all), shared-start '
                 '(snapshot all at one instant) or priority')
        parser.add_argument(
            '--quiesce', action=argparse.BooleanOptionalAction, default=None,
            help='Freeze guest file systems through qemu-guest-agent '
                 '(--no-quiesce: do not)')
        parser.add_argument(
            '--require-quiesce', action='store_true', default=None,
            help='Fail, thawing everything, rather than capture a server '
                 'whose guest cannot be frozen (no guest agent, no answer)')
        parser.add_argument(
            '--consistent', action=argparse.BooleanOptionalAction,
            default=None,
            help='Fence the servers to one point in time, or fail '
                 '(--no-consistent: each server as soon as it can; the '
                 'default with --server)')
        parser.add_argument(
            '--include-volumes', action=argparse.BooleanOptionalAction,
            default=None,
            help="Snapshot the servers' attached volumes too "
                 '(--no-include-volumes: images only)')
        parser.add_argument(
            '--skip-unhealthy', action='store_true', default=None,
            help='Snapshot the other servers when some are in ERROR, '
                 'rather than refuse')
        common.add_hooks_options(
            parser, "this snapshot's (instead of the app group's)")
        parser.add_argument('--name', metavar='<name>',
                            help='Group snapshot name')
        parser.add_argument('--description', metavar='<description>',
                            help='Group snapshot description')
        parser.add_argument(
            '--wait', action='store_true',
            help='Wait until the snapshot is available, showing progress '
                 'on stderr; fail if it ends in error')
        return parser

    @common.api_errors
    def take_action(self, parsed_args):
        target = target_from_args(parsed_args)
        if 'servers' in target:
            compute = self.app.client_manager.sdk_connection.compute
            target['servers'] = common.server_ids(compute,
                                                  target['servers'])
        client = self.app.client_manager.consistent_snap
        snapshot = client.create_group_snapshot(
            **target, **settings_from_args(parsed_args))
        if parsed_args.wait:
            snapshot = _wait(client, snapshot, 'available', self.app.stderr)
        return _show(snapshot)


class ListGroupSnapshot(command.Lister):
    """List group snapshots, newest first."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        common.add_list_options(parser, 'snapshots')
        return parser

    @common.api_errors
    def take_action(self, parsed_args):
        client = self.app.client_manager.consistent_snap
        return common.list_rows(client.group_snapshots, parsed_args,
                                LIST_COLUMNS, LIST_LONG_COLUMNS,
                                {'verification': VerificationColumn})


class ShowGroupSnapshot(command.ShowOne):
    """Show a group snapshot (its members: appgroup snapshot member list).

    In the table, members is their count and the command that lists them;
    -f json and yaml give the member objects whole.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('snapshot', metavar='<snapshot>',
                            help='Group snapshot to show (name or ID)')
        return parser

    @common.api_errors
    def take_action(self, parsed_args):
        client = self.app.client_manager.consistent_snap
        return _show(_find(client, parsed_args.snapshot))


class ListGroupSnapshotMember(command.Lister):
    """List a group snapshot's members: each server as it was captured.

    Host is shown to admins, Host ID to others: in the table by its first
    12 characters unless --long; whole with -f json, yaml, value or csv.
    Artifacts are the IDs of what was captured (images, volume
    snapshots). --long adds when each capture was fixed, what the server
    would be rebuilt from (its manifest, summed up: the whole one is in
    `appgroup snapshot show -f json`) and the member's error.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('snapshot', metavar='<snapshot>',
                            help='Group snapshot (name or ID)')
        parser.add_argument(
            '--long', action='store_true',
            help='List additional fields in output, and host IDs whole')
        return parser

    @common.api_errors
    def take_action(self, parsed_args):
        client = self.app.client_manager.consistent_snap
        snapshot = _find(client, parsed_args.snapshot)
        members = snapshot.members or ()
        if not members:
            LOG.warning('group snapshot %s has no members', snapshot.id)
        # Only admins are shown compute host names; others get Host ID.
        hidden = 'Host ID' if any('host' in m for m in members) else 'Host'
        headings = tuple(c for c in MEMBER_COLUMNS if c != hidden)
        formatters = {'Artifacts': format_columns.ListColumn,
                      'Host ID': ShortIdColumn}
        if parsed_args.long:
            headings += MEMBER_LONG_COLUMNS
            del formatters['Host ID']
        rows = [utils.get_dict_properties(_member_row(m), headings,
                                          formatters=formatters)
                for m in members]
        return headings, rows


class DeleteGroupSnapshot(command.Command):
    """Delete group snapshot(s): their images and volume snapshots."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('snapshots', metavar='<snapshot>', nargs='+',
                            help='Group snapshot(s) to delete (name or ID)')
        parser.add_argument(
            '--wait', action='store_true',
            help='Wait until every image and volume snapshot is deleted')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.consistent_snap
        failed = []
        deleting = []
        for ref in parsed_args.snapshots:
            # One failure must not stop the others from being deleted.
            try:
                snapshot = _find(client, ref)
                client.delete_group_snapshot(snapshot, ignore_missing=False)
                deleting.append((ref, snapshot))
            except sdk_exceptions.SDKException as e:
                LOG.error("Failed to delete group snapshot '%s': %s", ref,
                          common.error_message(e))
                failed.append(ref)
        if parsed_args.wait:
            for ref, snapshot in deleting:
                try:
                    _wait(client, snapshot, 'deleted', self.app.stderr)
                except (exceptions.CommandError,
                        sdk_exceptions.SDKException) as e:
                    LOG.error("Failed to delete group snapshot '%s': %s",
                              ref, e)
                    failed.append(ref)
        if failed:
            raise exceptions.CommandError(
                '%d of %d group snapshots failed to delete: %s' %
                (len(failed), len(parsed_args.snapshots),
                 ', '.join(failed)))
