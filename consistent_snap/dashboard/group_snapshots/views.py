from django.urls import reverse
from django.urls import reverse_lazy
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import tables
from horizon.utils import memoized

from consistent_snap.dashboard import api
from consistent_snap.dashboard.group_snapshots import forms as gs_forms
from consistent_snap.dashboard.group_snapshots import tables as gs_tables
from consistent_snap.dashboard import timeline
from consistent_snap.dashboard import views
from consistent_snap import figures
from consistent_snap import states

INDEX_URL = reverse_lazy('horizon:project:group_snapshots:index')


class IndexView(tables.DataTableView):
    table_class = gs_tables.GroupSnapshotsTable
    page_title = _('Group Snapshots')

    def get_data(self):
        client = api.consistent_snap(self.request)
        try:
            names = {g.id: g.name for g in client.app_groups()}
            return [gs_tables.with_app_group_name(
                client, s.to_dict(computed=False), names)
                for s in client.group_snapshots()]
        except Exception:
            exceptions.handle(self.request,
                              _('Unable to list group snapshots.'))
            return []


class DetailView(tables.DataTableView):
    table_class = gs_tables.MembersTable
    template_name = 'consistent_snap/group_snapshot_detail.html'
    page_title = _('Group Snapshot {{ snapshot.name|default:snapshot.id }}')

    @memoized.memoized_method
    def _snapshot(self):
        client = api.consistent_snap(self.request)
        try:
            snapshot = client.get_group_snapshot(
                self.kwargs['group_snapshot_id']).to_dict(computed=False)
            return gs_tables.with_app_group_name(client, snapshot)
        except Exception:
            exceptions.handle(self.request,
                              _('Unable to show group snapshot.'),
                              redirect=INDEX_URL)

    def get_data(self):
        return self._snapshot()['members'] or []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        snapshot = self._snapshot()
        context['snapshot'] = snapshot
        context['cut'] = figures.cut_text(snapshot)
        context['verification'] = gs_tables.verification_text(snapshot)
        context['app_group_name'] = snapshot['app_group_name']
        # Built from numbers and escaped names only: safe to inline.
        context['timeline'] = mark_safe(timeline.svg(
            snapshot['members'] or [], snapshot.get('fence_at')))
        return context


class RestoreView(views.FormView):
    form_class = gs_forms.RestoreGroupSnapshot
    template_name = 'consistent_snap/restore_form.html'
    submit_url = 'horizon:project:group_snapshots:restore'
    submit_label = _('Restore')
    page_title = _('Restore Group Snapshot')
    form_help = _('A new copy comes up beside the original, in this '
                  'project; in place brings the original servers back to '
                  'the snapshot, keeping their IDs and addresses. Submit '
                  'once to see the plan: every check is made and nothing is '
                  'created until you confirm it. All or nothing: a failure '
                  'deletes whatever the restore made.')

    @memoized.memoized_method
    def _snapshot(self):
        try:
            return api.consistent_snap(self.request).get_group_snapshot(
                self.kwargs['group_snapshot_id'])
        except Exception:
            exceptions.handle(self.request,
                              _('Unable to read the group snapshot.'),
                              redirect=INDEX_URL)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs['members'] = self._snapshot().members or ()
        return kwargs

    def get_initial(self):
        return {'group_snapshot_id': self.kwargs['group_snapshot_id'],
                'mode': 'new'}

    def get_success_url_from_handled(self, restore):
        return reverse('horizon:project:group_snapshots:restore_detail',
                       args=[restore.id])


class RestoreDetailView(tables.DataTableView):
    table_class = gs_tables.RestoreMembersTable
    template_name = 'consistent_snap/restore_detail.html'
    # A verification is a restore of mode verify: named as what it is.
    page_title = _('{% if restore.mode == "verify" %}Verification'
                   '{% else %}Restore{% endif %} {{ restore.id }}')

    @memoized.memoized_method
    def _restore(self):
        try:
            return api.consistent_snap(self.request).get_restore(
                self.kwargs['restore_id']).to_dict(computed=False)
        except Exception:
            exceptions.handle(self.request, _('Unable to show the restore.'),
                              redirect=INDEX_URL)

    def get_data(self):
        return self._restore()['members'] or []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        restore = self._restore()
        context['restore'] = restore
        context['final'] = restore['status'] in states.Restore.FINAL
        context['made'] = len(restore.get('resources') or ())
        return context
