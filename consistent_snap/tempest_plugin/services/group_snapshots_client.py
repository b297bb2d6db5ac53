from tempest.lib import exceptions as lib_exc

from consistent_snap.tempest_plugin.services import base


class GroupSnapshotsClient(base.JsonClient):
    """/v1/group-snapshots."""

    collection = 'group-snapshots'
    key = 'group_snapshot'

    def create_group_snapshot(self, **fields):
        """app_group or servers, and the options of the fence (202)."""
        return self._create(status=202, **fields)

    def list_group_snapshots(self, **params):
        return self._list(**params)

    def show_group_snapshot(self, group_snapshot_id):
        return self._show(group_snapshot_id)

    def delete_group_snapshot(self, group_snapshot_id):
        """Starts deleting it and its images and volume snapshots (202)."""
        return self._delete(group_snapshot_id, status=202)

    def is_resource_deleted(self, id):
        # A deleted snapshot may stay listed as 'deleted' for the record.
        try:
            status = self._show(id)[self.key]['status']
        except lib_exc.NotFound:
            return True
        return status == 'deleted'
