"""One consistent snapshot of a multi-server app, end to end.

The app is a Heat stack (servers in a nested ResourceGroup) or servers
made with Nova; the snapshot's members must each have a Glance image, the
skew must be within [consistent_snap] max_skew_ms, and deleting the
snapshot must delete the images.
"""

from oslo_utils import timeutils
from tempest import config
from tempest.lib import decorators
from tempest.lib import exceptions as lib_exc

from consistent_snap.tempest_plugin.common import waiters
from consistent_snap.tempest_plugin.tests import base

CONF = config.CONF


class ConsistentSnapshotScenario(base.BaseConsistentSnapTest):

    @classmethod
    def size(cls):
        """One server per zone, at least two: a fence across hosts."""
        return max(2, min(3, len(CONF.consistent_snap.availability_zones)))

    def snapshot_and_check(self, app_group, server_ids):
        mode = CONF.consistent_snap.snapshot_mode
        members = self.app_groups_client.list_members(app_group['id'])
        self.assertEqual(sorted(server_ids),
                         sorted(m['server_id'] for m in members['members']))
        zones = CONF.consistent_snap.availability_zones
        if zones:
            # One server per zone: the fence spans as many hosts.
            self.assertEqual(len(set(zones[:len(server_ids)])),
                             members['host_count'])

        snap = self.group_snapshots_client.create_group_snapshot(
            app_group=app_group['id'], consistent=True,
            mode=mode)['group_snapshot']
        self.addCleanup(self._delete_snapshot, snap['id'])
        snap = waiters.wait_for_group_snapshot_status(
            self.group_snapshots_client, snap['id'], 'available')

        self.assertTrue(snap['consistent'])
        self.assertEqual(mode, snap['mode'])
        self.assertEqual(sorted(server_ids),
                         sorted(m['server_id'] for m in snap['members']))
        self.assertIsInstance(snap['skew_ms'], (int, float))
        self.assertGreaterEqual(snap['skew_ms'], 0)
        self.assertLessEqual(snap['skew_ms'],
                             CONF.consistent_snap.max_skew_ms)
        # The bound runs to the last point fixed: never below the calls'.
        self.assertGreaterEqual(snap['skew_bound_ms'], snap['skew_ms'])
        self.assertIsNotNone(snap['fence_at'])
        if mode == 'barrier':
            self._check_barrier(snap['members'])
        image_ids = []
        for member in snap['members']:
            self.assertEqual('available', member['status'], member)
            images = [a['id'] for a in member['artifacts']
                      if a['type'] == 'image']
            self.assertEqual(1, len(images), member)
            image = self.images_client.show_image(images[0])
            self.assertEqual('active', image['status'])
            image_ids.extend(images)

        self.group_snapshots_client.delete_group_snapshot(snap['id'])
        self.group_snapshots_client.wait_for_resource_deletion(snap['id'])
        for image_id in image_ids:
            self.images_client.wait_for_resource_deletion(image_id)

    def _check_barrier(self, members):
        """Every member's freeze step ended before any was captured.

        A guest that was frozen says when (frozen_at, thawed_at), and its
        capture is inside that window; one that could not be frozen claims
        no window at all.
        """
        def instants(field):
            return [timeutils.parse_isotime(m[field]) for m in members]
        for field in ('started_at', 'captured_at'):
            self.assertNotIn(None, [m[field] for m in members], field)
        self.assertLessEqual(max(instants('started_at')),
                             min(instants('captured_at')), members)
        for member in members:
            if member['frozen_at'] is None:
                self.assertIsNone(member['thawed_at'], member)
                self.assertEqual('crash', member['consistency'], member)
            else:
                self.assertLessEqual(member['frozen_at'],
                                     member['captured_at'], member)

    def _delete_snapshot(self, snapshot_id):
        # What a failed test leaves behind; the test itself deletes it.
        client = self.group_snapshots_client
        try:
            snap = client.show_group_snapshot(snapshot_id)['group_snapshot']
        except lib_exc.NotFound:
            return
        if snap['status'] not in ('deleting', 'deleted'):
            waiters.wait_for_group_snapshot_end(client, snapshot_id)
            client.delete_group_snapshot(snapshot_id)
        client.wait_for_resource_deletion(snapshot_id)


class HeatStackSnapshotTest(ConsistentSnapshotScenario):
    """An app group from a Heat stack with nested stacks."""

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.stack_name, cls.stack_id = cls.create_stack(*base.app_template(
            CONF.consistent_snap.availability_zones, cls.size(),
            CONF.compute.image_ref, CONF.compute.flavor_ref))

    @decorators.idempotent_id('8e203622-fd83-44e9-a65b-156d06436839')
    def test_consistent_snapshot_of_heat_stack(self):
        app_group = self.create_app_group(
            source_type='heat', source={'stack': self.stack_name},
            consistent=True, default_mode=CONF.consistent_snap.snapshot_mode)
        members = self.app_groups_client.list_members(app_group['id'])
        server_ids = [m['server_id'] for m in members['members']]
        self.assertEqual(self.size(), len(server_ids))
        self.snapshot_and_check(app_group, server_ids)
        self.app_groups_client.delete_app_group(app_group['id'])


class ServerListSnapshotTest(ConsistentSnapshotScenario):
    """An app group listing servers made with Nova."""

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.servers = [cls.create_server(index)
                       for index in range(cls.size())]

    @decorators.idempotent_id('e2afb54b-37b5-4c5d-a86e-b0dcb9fea9e9')
    def test_consistent_snapshot_of_server_list(self):
        server_ids = [s['id'] for s in self.servers]
        app_group = self.create_app_group(
            source_type='servers', source={'servers': server_ids})
        self.snapshot_and_check(app_group, server_ids)
        self.app_groups_client.delete_app_group(app_group['id'])
