from consistent_snap.tempest_plugin.services import base


class AppGroupsClient(base.JsonClient):
    """/v1/app-groups and /v1/app-groups/{id}/members."""

    collection = 'app-groups'
    key = 'app_group'

    def create_app_group(self, **fields):
        """name, source_type, source and the optional fields of the API."""
        return self._create(**fields)

    def list_app_groups(self, **params):
        return self._list(**params)

    def show_app_group(self, app_group_id):
        return self._show(app_group_id)

    def update_app_group(self, app_group_id, **fields):
        return self._update(app_group_id, **fields)

    def delete_app_group(self, app_group_id):
        return self._delete(app_group_id)

    def list_members(self, app_group_id):
        """The group's servers, resolved live, with their hosts."""
        return self._call('GET', self._path(app_group_id, 'members'), 200)
