from django.urls import re_path

from consistent_snap.dashboard.backup_policies import views

urlpatterns = [
    re_path(r'^$', views.IndexView.as_view(), name='index'),
    re_path(r'^create/$', views.CreateView.as_view(), name='create'),
    re_path(r'^(?P<backup_policy_id>[^/]+)/update/$',
            views.UpdateView.as_view(), name='update'),
]
