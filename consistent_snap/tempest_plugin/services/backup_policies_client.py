from consistent_snap.tempest_plugin.services import base


class BackupPoliciesClient(base.JsonClient):
    """/v1/backup-policies."""

    collection = 'backup-policies'
    key = 'backup_policy'

    def create_backup_policy(self, **fields):
        """app_group, cron and the optional fields of the API."""
        return self._create(**fields)

    def list_backup_policies(self, **params):
        return self._list(**params)

    def show_backup_policy(self, backup_policy_id):
        return self._show(backup_policy_id)

    def update_backup_policy(self, backup_policy_id, **fields):
        return self._update(backup_policy_id, **fields)

    def delete_backup_policy(self, backup_policy_id):
        return self._delete(backup_policy_id)
