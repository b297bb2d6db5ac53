import collections

from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import tables
from horizon.utils import memoized

from consistent_snap.dashboard import api
from consistent_snap.dashboard.app_groups import forms as ag_forms
from consistent_snap.dashboard.app_groups import tables as ag_tables
from consistent_snap.dashboard import payloads
from consistent_snap.dashboard import views

INDEX_URL = reverse_lazy('horizon:project:app_groups:index')


def _app_group(request, app_group_id):
    """The app group; if it cannot be read, back to the list, told why."""
    try:
        return api.consistent_snap(request).get_app_group(app_group_id)
    except Exception:
        exceptions.handle(request, _('Unable to show app group.'),
                          redirect=INDEX_URL)


class IndexView(tables.DataTableView):
    table_class = ag_tables.AppGroupsTable
    page_title = _('App Groups')

    def get_data(self):
        client = api.consistent_snap(self.request)
        try:
            groups = [g.to_dict(computed=False) for g in client.app_groups()]
            snapshots = [s.to_dict(computed=False)
                         for s in client.group_snapshots()]
            policies = list(client.backup_policies())
        except Exception:
            exceptions.handle(self.request, _('Unable to list app groups.'))
            return []
        newest = payloads.newest_by_app_group(snapshots)
        policy_names = collections.defaultdict(list)
        for policy in policies:
            policy_names[policy.app_group_id].append(
                '%s (%s)' % (policy.name or policy.cron, policy.cron))
        for group in groups:
            group['last_snapshot'] = newest.get(group['id'])
            group['policies'] = ', '.join(policy_names[group['id']])
            try:
                # Resolved live, so a count the API cannot give is '-'.
                found = client.app_group_members(group['id'])
                group['member_count'] = len(found['members'])
            except Exception:
                exceptions.handle(self.request,
                                  _('Unable to resolve the members of "%s".')
                                  % group['name'])
                group['member_count'] = None
        return groups


class DetailView(tables.DataTableView):
    table_class = ag_tables.MembersTable
    template_name = 'consistent_snap/app_group_detail.html'
    page_title = '{{ app_group.name }}'

    @memoized.memoized_method
    def _app_group(self):
        return _app_group(self.request,
                          self.kwargs['app_group_id']).to_dict(computed=False)

    @memoized.memoized_method
    def _members(self):
        try:
            return api.consistent_snap(self.request).app_group_members(
                self.kwargs['app_group_id'])
        except Exception:
            exceptions.handle(self.request,
                              _('Unable to resolve the members.'))
            return {'members': []}

    def get_data(self):
        self._app_group()  # Redirects first if the group is gone.
        return self._members()['members']

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        group = self._app_group()
        found = self._members()
        context.update(app_group=group,
                       source=payloads.source_label(group['source_type'],
                                                    group['source']),
                       host_count=found.get('host_count'),
                       drift=found.get('drift'),
                       members_message=found.get('message'))
        return context


class CreateView(views.FormView):
    form_class = ag_forms.CreateAppGroup
    success_url = INDEX_URL
    submit_url = reverse_lazy('horizon:project:app_groups:create')
    submit_label = _('Create App Group')
    page_title = _('Create App Group')
    form_help = _('An app group is every server of one application, found '
                  'again at each snapshot: the servers of a Heat stack '
                  '(nested stacks too), of a server group, those carrying '
                  'a tag or a metadata key=value, or a list you choose.')


class UpdateView(views.FormView):
    form_class = ag_forms.UpdateAppGroup
    success_url = INDEX_URL
    submit_url = 'horizon:project:app_groups:update'
    submit_label = _('Save')
    page_title = _('Edit App Group')
    form_help = _('What a snapshot of this group does unless its request '
                  'says otherwise. The source stays: make another group '
                  'for other servers.')

    def get_initial(self):
        group = _app_group(self.request, self.kwargs['app_group_id'])
        return {'app_group_id': group.id, 'name': group.name,
                'description': group.description,
                'default_mode': group.default_mode,
                'consistent': group.consistent, 'quiesce': group.quiesce,
                'include_volumes': group.include_volumes}


class SnapshotView(views.FormView):
    form_class = ag_forms.SnapshotNow
    submit_url = 'horizon:project:app_groups:snapshot'
    submit_label = _('Snapshot now')
    page_title = _('Snapshot App Group')
    success_url = reverse_lazy('horizon:project:group_snapshots:index')
    form_help = _('Barrier freezes every member at one instant, then '
                  'captures them; shared start captures every member at '
                  'one instant; priority captures each as its message '
                  'arrives. The group\'s servers are resolved again now.')

    def get_initial(self):
        group = _app_group(self.request, self.kwargs['app_group_id'])
        return {'app_group_id': group.id, 'mode': group.default_mode,
                'quiesce': group.quiesce}
