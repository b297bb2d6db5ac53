from django.urls import re_path

from consistent_snap.dashboard.app_groups import views

urlpatterns = [
    re_path(r'^$', views.IndexView.as_view(), name='index'),
    re_path(r'^create/$', views.CreateView.as_view(), name='create'),
    re_path(r'^(?P<app_group_id>[^/]+)/$', views.DetailView.as_view(),
            name='detail'),
    re_path(r'^(?P<app_group_id>[^/]+)/update/$', views.UpdateView.as_view(),
            name='update'),
    re_path(r'^(?P<app_group_id>[^/]+)/snapshot/$',
            views.SnapshotView.as_view(), name='snapshot'),
]
