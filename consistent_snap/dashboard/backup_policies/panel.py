from django.utils.translation import gettext_lazy as _
import horizon

from consistent_snap.sdk import service as sdk_service


class BackupPolicies(horizon.Panel):
    name = _('Backup Policies')
    slug = 'backup_policies'
    # Hidden unless consistent-snap is in the user's catalog.
    permissions = ('openstack.services.' + sdk_service.SERVICE_TYPE,)
