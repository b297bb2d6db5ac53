from django.urls import reverse_lazy
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import tables
from horizon.utils import memoized

from consistent_snap.dashboard import api
from consistent_snap.dashboard.group_snapshots import tables as gs_tables
from consistent_snap.dashboard import timeline
from consistent_snap import figures

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
        context['app_group_name'] = snapshot['app_group_name']
        # Built from numbers and escaped names only: safe to inline.
        context['timeline'] = mark_safe(timeline.svg(
            snapshot['members'] or [], snapshot.get('fence_at')))
        return context
