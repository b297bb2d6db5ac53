"""The consistent-snap v1 proxy: conn.consistent_snap.<method>."""

from openstack import exceptions
from openstack import proxy
from openstack import resource
from openstack import utils

from consistent_snap.sdk.v1 import app_group as _app_group
from consistent_snap.sdk.v1 import backup_policy as _backup_policy
from consistent_snap.sdk.v1 import group_snapshot as _group_snapshot
from consistent_snap.sdk.v1 import restore as _restore


class Proxy(proxy.Proxy):

    _resource_registry = {'app_group': _app_group.AppGroup,
                          'backup_policy': _backup_policy.BackupPolicy,
                          'group_snapshot': _group_snapshot.GroupSnapshot,
                          'restore': _restore.Restore}

    def _app_group_ref(self, group):
        """An AppGroup for an id, with nothing dirty to send in a body."""
        if isinstance(group, _app_group.AppGroup):
            return group
        return _app_group.AppGroup.existing(
            id=group, connection=self._get_connection())

    def app_groups(self, **query):
        """App groups; query: name, all_projects, limit, marker."""
        return self._list(_app_group.AppGroup, **query)

    def get_app_group(self, group):
        return self._get(_app_group.AppGroup, group)

    def find_app_group(self, name_or_id, ignore_missing=True):
        return self._find(_app_group.AppGroup, name_or_id,
                          ignore_missing=ignore_missing)

    def create_app_group(self, **attrs):
        return self._create(_app_group.AppGroup, **attrs)

    def update_app_group(self, group, **attrs):
        return self._update(_app_group.AppGroup, self._app_group_ref(group),
                            **attrs)

    def delete_app_group(self, group, ignore_missing=True):
        return self._delete(_app_group.AppGroup, self._app_group_ref(group),
                            ignore_missing=ignore_missing)

    def app_group_members(self, group):
        """The members document: servers resolved live, hosts, drift.

        A plain dict, as the API returns it: members, missing, host_count,
        drift, and message when the group has no servers.
        """
        path = utils.urljoin(_app_group.AppGroup.base_path,
                             self._app_group_ref(group).id, 'members')
        response = self.get(path)
        exceptions.raise_from_response(response)
        return response.json()

    def group_snapshots(self, **query):
        """Group snapshots, newest first, without their members.

        query: app_group (name or ID), all_projects, limit, marker.
        """
        return self._list(_group_snapshot.GroupSnapshot, **query)

    def get_group_snapshot(self, snapshot):
        return self._get(_group_snapshot.GroupSnapshot, snapshot)

    def find_group_snapshot(self, name_or_id, ignore_missing=True):
        return self._find(_group_snapshot.GroupSnapshot, name_or_id,
                          ignore_missing=ignore_missing)

    def create_group_snapshot(self, **attrs):
        """Request a group snapshot; it is taken after this returns.

        attrs: app_group (name or ID) or servers (IDs); consistent, mode,
        quiesce, include_volumes, skip_unhealthy, name, description.
        """
        return self._create(_group_snapshot.GroupSnapshot, **attrs)

    def delete_group_snapshot(self, snapshot, ignore_missing=True):
        """Start deleting a group snapshot's images and volume snapshots.

        It goes to deleting, then deleted: see wait_for_group_snapshot.
        """
        return self._delete(_group_snapshot.GroupSnapshot, snapshot,
                            ignore_missing=ignore_missing)

    def wait_for_group_snapshot(self, snapshot, status='available',
                                failures=None, interval=2, wait=None,
                                callback=None):
        """Wait until the snapshot is in status; it is refreshed in place.

        failures defaults to error and aborted. callback(progress) gets the
        percent of members captured at each poll.
        """
        if failures is None:
            failures = list(_group_snapshot.FAILURES)
        snapshot = self._get_resource(_group_snapshot.GroupSnapshot, snapshot)
        return resource.wait_for_status(self, snapshot, status, failures,
                                        interval, wait, callback=callback)

    def backup_policies(self, **query):
        """Backup policies; query: app_group (name or ID), all_projects,
        limit, marker.
        """
        return self._list(_backup_policy.BackupPolicy, **query)

    def get_backup_policy(self, backup_policy):
        return self._get(_backup_policy.BackupPolicy, backup_policy)

    def find_backup_policy(self, name_or_id, ignore_missing=True):
        return self._find(_backup_policy.BackupPolicy, name_or_id,
                          ignore_missing=ignore_missing)

    def create_backup_policy(self, **attrs):
        """Schedule group snapshots of an app group.

        attrs: app_group (name or ID) and cron; timezone, keep_last,
        max_age, mode, quiesce, consistent, include_volumes, enabled, name,
        description.
        """
        return self._create(_backup_policy.BackupPolicy, **attrs)

    def update_backup_policy(self, backup_policy, **attrs):
        """Change a policy; keep_last=None or max_age=None drops the rule."""
        if not isinstance(backup_policy, _backup_policy.BackupPolicy):
            # Nothing dirty to send but what attrs say.
            backup_policy = _backup_policy.BackupPolicy.existing(
                id=backup_policy, connection=self._get_connection())
        return self._update(_backup_policy.BackupPolicy, backup_policy,
                            **attrs)

    def delete_backup_policy(self, backup_policy, ignore_missing=True):
        """Delete a policy; its group snapshots are kept."""
        return self._delete(_backup_policy.BackupPolicy, backup_policy,
                            ignore_missing=ignore_missing)

    def restores(self, **query):
        """Restores, newest first; query: group_snapshot, all_projects."""
        return self._list(_restore.Restore, **query)

    def get_restore(self, restore):
        return self._get(_restore.Restore, restore)

    def create_restore(self, **attrs):
        """Restore a group snapshot; it runs after this returns.

        attrs: group_snapshot (ID), members, network_map, flavor_map,
        az_map, volume_type_map, keep_ips, name_suffix, as_app_group.
        """
        return self._create(_restore.Restore, **attrs)

    def plan_restore(self, **attrs):
        """The plan of create_restore(**attrs): nothing is created.

        {'ok', 'problems': [{'server_id', 'check', 'message'}], 'steps',
        'members'}.
        """
        response = self.post('/restores', json={'restore': dict(
            attrs, dry_run=True)})
        exceptions.raise_from_response(response)
        return response.json()['restore_plan']

    def verify_group_snapshot(self, snapshot, dry_run=False, **attrs):
        """Verify a group snapshot: a restore (mode verify), started.

        attrs: members, flavor_map, az_map, volume_type_map, keep_for
        (seconds). With dry_run, its plan, as plan_restore gives one.
        """
        snapshot_id = resource.Resource._get_id(snapshot)
        response = self.post('/group-snapshots/%s/verify' % snapshot_id,
                             json={'verify': dict(attrs, dry_run=dry_run)
                                   if dry_run else attrs})
        exceptions.raise_from_response(response)
        body = response.json()
        if dry_run:
            return body['restore_plan']
        return _restore.Restore.existing(connection=self._get_connection(),
                                         **body['restore'])

    def delete_restore(self, restore, ignore_missing=True):
        """Start deleting everything the restore created."""
        return self._delete(_restore.Restore, restore,
                            ignore_missing=ignore_missing)

    def wait_for_restore(self, restore, status='available', failures=None,
                         interval=2, wait=None, callback=None):
        if failures is None:
            failures = list(_restore.FAILURES)
        restore = self._get_resource(_restore.Restore, restore)
        return resource.wait_for_status(self, restore, status, failures,
                                        interval, wait, callback=callback)
