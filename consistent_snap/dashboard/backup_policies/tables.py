from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import tables

from consistent_snap.dashboard import api


class CreateBackupPolicy(tables.LinkAction):
    name = 'create'
    verbose_name = _('Create Backup Policy')
    url = 'horizon:project:backup_policies:create'
    classes = ('ajax-modal',)
    icon = 'plus'


class EditBackupPolicy(tables.LinkAction):
    name = 'edit'
    verbose_name = _('Edit')
    url = 'horizon:project:backup_policies:update'
    classes = ('ajax-modal',)
    icon = 'pencil'


class DeleteBackupPolicy(tables.DeleteAction):
    help_text = _('The snapshots it took are kept.')

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Delete Backup Policy', 'Delete Backup Policies',
                             count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Deleted Backup Policy',
                             'Deleted Backup Policies', count)

    def delete(self, request, obj_id):
        api.consistent_snap(request).delete_backup_policy(obj_id)


class _SetEnabled(tables.BatchAction):
    enabled = None

    def allowed(self, request, policy=None):
        return policy is None or policy['enabled'] != self.enabled

    def action(self, request, obj_id):
        api.consistent_snap(request).update_backup_policy(
            obj_id, enabled=self.enabled)


class EnableBackupPolicy(_SetEnabled):
    name = 'enable'
    enabled = True

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Enable Policy', 'Enable Policies', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Enabled Policy', 'Enabled Policies', count)


class DisableBackupPolicy(_SetEnabled):
    name = 'disable'
    enabled = False

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Disable Policy', 'Disable Policies', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Disabled Policy', 'Disabled Policies', count)


def _app_group_url(policy):
    return reverse('horizon:project:app_groups:detail',
                   args=(policy['app_group_id'],))


def _when(field):
    def value(policy):
        text = policy.get(field)
        return text[:16].replace('T', ' ') + ' UTC' if text else '-'
    return value


class BackupPoliciesTable(tables.DataTable):
    name = tables.Column(lambda p: p.get('name') or p['id'][:8],
                         verbose_name=_('Name'))
    # Linked by the policy's app_group_id, not by the row's own ID.
    app_group = tables.Column('app_group_name', verbose_name=_('App group'),
                              link=_app_group_url, empty_value='-')
    cron = tables.Column('cron', verbose_name=_('Cron'))
    timezone = tables.Column('timezone', verbose_name=_('Time zone'))
    keep = tables.Column('keep_last', verbose_name=_('Keep last'),
                         empty_value=_('all'))
    next_run = tables.Column(_when('next_run_at'),
                             verbose_name=_('Next run'))
    last_result = tables.Column('last_result', verbose_name=_('Last result'),
                                empty_value=_('not run yet'))
    enabled = tables.Column('enabled', verbose_name=_('Enabled'),
                            filters=(lambda on: _('yes') if on else _('no'),))

    def get_object_id(self, policy):
        return policy['id']

    def get_object_display(self, policy):
        return policy.get('name') or policy['id']

    class Meta(object):
        name = 'backup_policies'
        verbose_name = _('Backup Policies')
        table_actions = (CreateBackupPolicy, DeleteBackupPolicy)
        row_actions = (EditBackupPolicy, EnableBackupPolicy,
                       DisableBackupPolicy, DeleteBackupPolicy)
