from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import tables

from consistent_snap.dashboard import api
from consistent_snap.dashboard import columns
from consistent_snap.dashboard import payloads


class CreateAppGroup(tables.LinkAction):
    name = 'create'
    verbose_name = _('Create App Group')
    url = 'horizon:project:app_groups:create'
    classes = ('ajax-modal',)
    icon = 'plus'


class SnapshotNow(tables.LinkAction):
    name = 'snapshot'
    verbose_name = _('Snapshot now')
    url = 'horizon:project:app_groups:snapshot'
    classes = ('ajax-modal', 'btn-primary')
    icon = 'camera'


class EditAppGroup(tables.LinkAction):
    name = 'edit'
    verbose_name = _('Edit')
    url = 'horizon:project:app_groups:update'
    classes = ('ajax-modal',)
    icon = 'pencil'


class DeleteAppGroup(tables.DeleteAction):
    help_text = _('Its group snapshots and backup policies are not '
                  'deleted with it.')

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Delete App Group', 'Delete App Groups', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Deleted App Group', 'Deleted App Groups',
                             count)

    def delete(self, request, obj_id):
        api.consistent_snap(request).delete_app_group(obj_id)


def _last_snapshot(group):
    snapshot = group.get('last_snapshot')
    if not snapshot:
        return _('never')
    return '%s, %s' % (snapshot['status'], snapshot['created_at'][:19])


class AppGroupsTable(tables.DataTable):
    name = tables.WrappingColumn('name', verbose_name=_('Name'),
                                 link='horizon:project:app_groups:detail')
    source = tables.Column(
        lambda g: payloads.source_label(g['source_type'], g['source']),
        verbose_name=_('Source'))
    members = tables.Column('member_count', verbose_name=_('Members'),
                            empty_value='-')
    last_snapshot = tables.Column(_last_snapshot,
                                  verbose_name=_('Last snapshot'))
    policy = tables.Column('policies', verbose_name=_('Backup policy'),
                           empty_value=_('none'))

    def get_object_id(self, group):
        return group['id']

    def get_object_display(self, group):
        return group['name']

    class Meta(object):
        name = 'app_groups'
        verbose_name = _('App Groups')
        table_actions = (CreateAppGroup, DeleteAppGroup)
        row_actions = (SnapshotNow, EditAppGroup, DeleteAppGroup)


class SnapshotThisGroup(SnapshotNow):
    """Snapshot now, above the member table of the group's detail page."""

    def get_link_url(self, datum=None):
        return reverse(self.url, args=(self.table.kwargs['app_group_id'],))


def _guest_agent(member):
    if member.get('qemu_guest_agent'):
        return _('yes')
    return _('no: crash-consistent')


class MembersTable(tables.DataTable):
    name = tables.Column('name', verbose_name=_('Server'),
                         link='horizon:project:instances:detail')
    host = columns.host_column()
    zone = tables.Column('availability_zone',
                         verbose_name=_('Availability zone'))
    status = tables.Column('status', verbose_name=_('Status'))
    guest_agent = tables.Column(_guest_agent, verbose_name=_('Guest agent'))
    volumes = tables.Column(payloads.volumes_label,
                            verbose_name=_('Volumes'))

    def get_object_id(self, member):
        return member['server_id']

    def get_object_display(self, member):
        return member['name']

    class Meta(object):
        name = 'members'
        verbose_name = _('Members (resolved now)')
        table_actions = (SnapshotThisGroup,)
