"""Restore a group snapshot as a new copy of the app, then delete it.

Snapshot -> plan -> restore as new -> every restored server ACTIVE, one per
member, labelled with the restore -> delete the restore -> every restored
server gone, the originals untouched.
"""

from tempest.common import waiters as compute_waiters
from tempest import config
from tempest.lib.common.utils import test_utils
from tempest.lib import decorators

from consistent_snap.tempest_plugin.common import waiters
from consistent_snap.tempest_plugin.tests import base

CONF = config.CONF
LABEL = 'consistent_snap_restore_id'


class RestoreScenarioTest(base.BaseConsistentSnapTest):

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        size = max(2, min(3, len(CONF.consistent_snap.availability_zones)))
        cls.servers = [cls.create_server(index) for index in range(size)]

    def _snapshot(self, server_ids):
        snap = self.group_snapshots_client.create_group_snapshot(
            servers=server_ids, consistent=True,
            mode=CONF.consistent_snap.snapshot_mode)['group_snapshot']
        self.addCleanup(self._delete_snapshot, snap['id'])
        return waiters.wait_for_group_snapshot_status(
            self.group_snapshots_client, snap['id'], 'available')

    def _delete_snapshot(self, snapshot_id):
        client = self.group_snapshots_client
        test_utils.call_and_ignore_notfound_exc(
            client.delete_group_snapshot, snapshot_id)
        client.wait_for_resource_deletion(snapshot_id)

    def _delete_restore(self, restore_id):
        # What a failed test leaves behind; the test itself deletes it.
        restore = self.restores_client.show_restore(restore_id)['restore']
        if restore['status'] in ('available', 'error'):
            self.restores_client.delete_restore(restore_id)
        self.restores_client.wait_for_resource_deletion(restore_id)

    @decorators.idempotent_id('3b0f7f64-4f0e-4c57-9d55-5b1c0f2a6c4e')
    def test_restore_as_a_new_copy_then_delete_it(self):
        server_ids = [s['id'] for s in self.servers]
        snap = self._snapshot(server_ids)

        plan = self.restores_client.plan_restore(
            group_snapshot=snap['id'])['restore_plan']
        self.assertTrue(plan['ok'], plan['problems'])
        self.assertEqual(sorted(server_ids), sorted(plan['members']))
        self.assertIn('servers', [step['stage'] for step in plan['steps']])

        restore = self.restores_client.create_restore(
            group_snapshot=snap['id'])['restore']
        self.addCleanup(self._delete_restore, restore['id'])
        restore = waiters.wait_for_restore_status(
            self.restores_client, restore['id'], 'available')
        self.assertGreater(restore['ready_s'], 0)
        restored = {m['server_id']: m['new_server_id']
                    for m in restore['members']}
        self.assertEqual(sorted(server_ids), sorted(restored))
        for new_id in restored.values():
            server = self.servers_client.show_server(new_id)['server']
            self.assertEqual('ACTIVE', server['status'])
            self.assertEqual(restore['id'], server['metadata'][LABEL])
            self.assertNotIn(new_id, server_ids)

        self.restores_client.delete_restore(restore['id'])
        self.restores_client.wait_for_resource_deletion(restore['id'])
        for new_id in restored.values():
            compute_waiters.wait_for_server_termination(self.servers_client,
                                                        new_id)
        for server_id in server_ids:
            self.assertEqual('ACTIVE', self.servers_client.show_server(
                server_id)['server']['status'])
