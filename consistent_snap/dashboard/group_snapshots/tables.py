from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import tables

from consistent_snap.dashboard import api
from consistent_snap.dashboard import columns
from consistent_snap import figures

# True: final and good, False: final and failed, None: poll again.
STATUS_CHOICES = (('available', True), ('error', False), ('deleted', False),
                  ('pending', None), ('fencing', None), ('capturing', None),
                  ('finalizing', None), ('deleting', None))


class RestoreGroupSnapshot(tables.LinkAction):
    name = 'restore'
    verbose_name = _('Restore')
    classes = ('ajax-modal',)
    icon = 'undo'

    def get_link_url(self, snapshot):
        return reverse('horizon:project:group_snapshots:restore',
                       args=[snapshot['id']])

    def allowed(self, request, snapshot=None):
        return snapshot is not None and snapshot['status'] == 'available'


class DeleteGroupSnapshot(tables.DeleteAction):
    help_text = _('Its images and volume snapshots are deleted with it.')

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Delete Group Snapshot',
                             'Delete Group Snapshots', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Scheduled deletion of Group Snapshot',
                             'Scheduled deletion of Group Snapshots', count)

    def allowed(self, request, snapshot=None):
        # Deleting one in progress is refused by the API; say it here.
        return snapshot is None or snapshot['status'] in (
            'available', 'error')

    def delete(self, request, obj_id):
        api.consistent_snap(request).delete_group_snapshot(obj_id)


def with_app_group_name(client, snapshot, names=None):
    """The snapshot with app_group_name; names: {ID: name} known already."""
    group_id = snapshot['app_group_id']
    if names is None and group_id:
        group = client.find_app_group(group_id)  # None once deleted.
        names = {group_id: group.name} if group else {}
    snapshot['app_group_name'] = (names or {}).get(group_id)
    return snapshot


class UpdateRow(tables.Row):
    ajax = True

    def get_data(self, request, snapshot_id):
        client = api.consistent_snap(request)
        snapshot = client.get_group_snapshot(snapshot_id).to_dict(
            computed=False)
        return with_app_group_name(client, snapshot)


def _name(snapshot):
    return snapshot.get('name') or snapshot['id'][:8]


def _ms(field):
    def value(snapshot):
        number = snapshot.get(field)
        return '-' if number is None else '%.1f' % number
    return value


def verification_text(snapshot):
    """Its latest verification: 'passed (ready in 21.5 s)', 'never'..."""
    verification = snapshot.get('verification') or {}
    text = verification.get('status', 'never')
    if verification.get('ready_s') is not None:
        text += ' (ready in %.1f s)' % verification['ready_s']
    return text


def _verification_link(snapshot):
    restore_id = (snapshot.get('verification') or {}).get('restore_id')
    return restore_id and reverse(
        'horizon:project:group_snapshots:restore_detail', args=[restore_id])


class GroupSnapshotsTable(tables.DataTable):
    name = tables.Column(_name, verbose_name=_('Name'),
                         link='horizon:project:group_snapshots:detail')
    app_group = tables.Column('app_group_name', verbose_name=_('App group'),
                              empty_value='-')
    status = tables.Column('status', verbose_name=_('Status'), status=True,
                           status_choices=STATUS_CHOICES)
    mode = tables.Column('mode', verbose_name=_('Mode'))
    members = tables.Column('member_count', verbose_name=_('Members'))
    cut = tables.Column(figures.cut_text, verbose_name=_('Cut'))
    freeze = tables.Column(_ms('max_freeze_ms'),
                           verbose_name=_('Freeze window (ms)'))
    consistency = tables.Column('consistency', verbose_name=_('Consistency'),
                                empty_value='-')
    verification = tables.Column(verification_text,
                                 verbose_name=_('Verification'),
                                 link=_verification_link)
    created = tables.Column('created_at', verbose_name=_('Created'),
                            filters=(lambda t: t[:19].replace('T', ' '),))

    def get_object_id(self, snapshot):
        return snapshot['id']

    def get_object_display(self, snapshot):
        return _name(snapshot)

    class Meta(object):
        name = 'group_snapshots'
        verbose_name = _('Group Snapshots')
        table_actions = (DeleteGroupSnapshot,)
        row_actions = (RestoreGroupSnapshot, DeleteGroupSnapshot)
        row_class = UpdateRow
        status_columns = ('status',)


def _instant(field):
    def value(member):
        text = member.get(field)
        return text[11:23] if text else '-'
    return value


class MembersTable(tables.DataTable):
    name = tables.Column('server_name', verbose_name=_('Server'))
    host = columns.host_column()
    status = tables.Column('status', verbose_name=_('Status'))
    consistency = tables.Column('consistency', verbose_name=_('Consistency'),
                                empty_value='-')
    frozen = tables.Column(_instant('frozen_at'),
                           verbose_name=_('Frozen at (UTC)'))
    captured = tables.Column(_instant('captured_at'),
                             verbose_name=_('Captured at (UTC)'))
    thawed = tables.Column(_instant('thawed_at'),
                           verbose_name=_('Thawed at (UTC)'))
    artifacts = tables.Column(
        lambda m: ', '.join('%s %s' % (a['type'], a['status'])
                            for a in m.get('artifacts') or ()) or '-',
        verbose_name=_('Artifacts'))
    error = tables.Column('error', verbose_name=_('Error'), empty_value='')

    def get_object_id(self, member):
        return member['server_id']

    def get_object_display(self, member):
        return member.get('server_name')

    class Meta(object):
        name = 'members'
        verbose_name = _('Members')


def _steps(member):
    return ', '.join('%s %.1f s' % (s['step'], s['ended_at'] - s['started_at'])
                     for s in member.get('steps') or () if s.get('ended_at'))


def _checks(member):
    """A verification's checks of the member: 'server_active passed, ...'."""
    return ', '.join('%s %s' % (c['check'], {
        True: 'passed', None: 'skipped'}.get(
            c.get('passed'), 'FAILED: %s' % c.get('output')))
        for c in member.get('checks') or ())


class RestoreMembersTable(tables.DataTable):
    name = tables.Column('name', verbose_name=_('Server'))
    restored = tables.Column(
        lambda m: m.get('new_server_id') or _('in place'),
        verbose_name=_('Restored as'))
    steps = tables.Column(_steps, verbose_name=_('Steps'), empty_value='-')
    checks = tables.Column(_checks, verbose_name=_('Checks'),
                           empty_value='-')
    ready = tables.Column(
        lambda m: '-' if m.get('active_s') is None else '%.1f' % m[
            'active_s'], verbose_name=_('Ready after (s)'))

    def get_object_id(self, member):
        return member['server_id']

    def get_object_display(self, member):
        return member.get('name')

    class Meta(object):
        name = 'restore_members'
        verbose_name = _('Members')
