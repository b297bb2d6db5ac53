from django.utils.translation import gettext_lazy as _
import horizon

from consistent_snap.sdk import service as sdk_service


class AppGroups(horizon.Panel):
    name = _('App Groups')
    slug = 'app_groups'
    # Hidden unless consistent-snap is in the user's catalog.
    permissions = ('openstack.services.' + sdk_service.SERVICE_TYPE,)
