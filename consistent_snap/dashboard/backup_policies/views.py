from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import tables

from consistent_snap.dashboard import api
from consistent_snap.dashboard.backup_policies import forms as bp_forms
from consistent_snap.dashboard.backup_policies import tables as bp_tables
from consistent_snap.dashboard import views

INDEX_URL = reverse_lazy('horizon:project:backup_policies:index')
FORM_HELP = _('The scheduler takes a group snapshot of the app group at '
              'each time of the schedule, exactly as "Snapshot now" does, '
              'then deletes this policy\'s snapshots beyond "keep last" or '
              'older than the maximum age, never the newest available one.')


class IndexView(tables.DataTableView):
    table_class = bp_tables.BackupPoliciesTable
    page_title = _('Backup Policies')

    def get_data(self):
        client = api.consistent_snap(self.request)
        try:
            names = {g.id: g.name for g in client.app_groups()}
            policies = [p.to_dict(computed=False)
                        for p in client.backup_policies()]
        except Exception:
            exceptions.handle(self.request,
                              _('Unable to list backup policies.'))
            return []
        for policy in policies:
            policy['app_group_name'] = names.get(policy['app_group_id'])
        return policies


class CreateView(views.FormView):
    form_class = bp_forms.BackupPolicyForm
    submit_url = reverse_lazy('horizon:project:backup_policies:create')
    submit_label = _('Create Backup Policy')
    page_title = _('Create Backup Policy')
    success_url = INDEX_URL
    form_help = FORM_HELP


class UpdateView(CreateView):
    submit_url = 'horizon:project:backup_policies:update'
    submit_label = _('Save')
    page_title = _('Edit Backup Policy')

    def get_initial(self):
        try:
            policy = api.consistent_snap(self.request).get_backup_policy(
                self.kwargs['backup_policy_id'])
        except Exception:
            exceptions.handle(self.request,
                              _('Unable to show backup policy.'),
                              redirect=INDEX_URL)
        max_age = policy.max_age_s and '%ds' % policy.max_age_s
        return {'backup_policy_id': policy.id, 'name': policy.name,
                'app_group': policy.app_group_id, 'cron': policy.cron,
                'timezone': policy.timezone, 'keep_last': policy.keep_last,
                'max_age': max_age, 'mode': policy.mode or '',
                'enabled': policy.enabled}
