from django.urls import re_path

from consistent_snap.dashboard.group_snapshots import views

urlpatterns = [
    re_path(r'^$', views.IndexView.as_view(), name='index'),
    re_path(r'^(?P<group_snapshot_id>[^/]+)/$', views.DetailView.as_view(),
            name='detail'),
    re_path(r'^(?P<group_snapshot_id>[^/]+)/restore/$',
            views.RestoreView.as_view(), name='restore'),
    re_path(r'^restores/(?P<restore_id>[^/]+)/$',
            views.RestoreDetailView.as_view(), name='restore_detail'),
]
