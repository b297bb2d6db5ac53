from consistent_snap.tempest_plugin.services import base


class RestoresClient(base.JsonClient):
    """/v1/restores."""

    collection = 'restores'
    key = 'restore'

    def plan_restore(self, **fields):
        """The plan alone (dry run): nothing is created (200)."""
        return self._call('POST', self._path(), 200, {self.key: dict(
            fields, dry_run=True)})

    def create_restore(self, **fields):
        """group_snapshot, and the mode and mappings (202)."""
        return self._create(status=202, **fields)

    def list_restores(self, **params):
        return self._list(**params)

    def show_restore(self, restore_id):
        return self._show(restore_id)

    def delete_restore(self, restore_id):
        """Starts deleting everything the restore created (202)."""
        return self._delete(restore_id, status=202)

    def is_resource_deleted(self, id):
        # A deleted restore stays listed as 'deleted' for the record.
        return self._show(id)[self.key]['status'] == 'deleted'
