"""Service clients, one module path for tempest's client registry."""

from consistent_snap.tempest_plugin.services.app_groups_client import \
    AppGroupsClient
from consistent_snap.tempest_plugin.services.backup_policies_client import \
    BackupPoliciesClient
from consistent_snap.tempest_plugin.services.group_snapshots_client import \
    GroupSnapshotsClient
from consistent_snap.tempest_plugin.services.restores_client import \
    RestoresClient

__all__ = ['AppGroupsClient', 'BackupPoliciesClient', 'GroupSnapshotsClient',
           'RestoresClient']
