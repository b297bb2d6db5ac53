from django.urls import re_path

from consistent_snap.dashboard.group_snapshots import views

urlpatterns = [
    re_path(r'^$', views.IndexView.as_view(), name='index'),
    re_path(r'^(?P<group_snapshot_id>[^/]+)/$', views.DetailView.as_view(),
            name='detail'),
]
