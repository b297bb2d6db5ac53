from django.utils.translation import gettext_lazy as _

from consistent_snap.dashboard import api

PANEL_GROUP = 'data_protection'
PANEL_GROUP_NAME = _('Data Protection')
PANEL_GROUP_DASHBOARD = 'project'

# Our API's errors are messages to show, not reasons to log the user out.
ADD_EXCEPTIONS = {'recoverable': (api.ApiError,)}
# Once, here: the app holds the panels' templates.
ADD_INSTALLED_APPS = ['consistent_snap.dashboard']
