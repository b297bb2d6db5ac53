"""/v1/backup-policies: create, read, change, delete, and bad schedules."""

from oslo_utils import uuidutils
from tempest.lib.common.utils import data_utils
from tempest.lib import decorators
from tempest.lib import exceptions as lib_exc

from consistent_snap.tempest_plugin.tests import base

# Once a year: a policy made here never fires while the tests run.
YEARLY = '0 3 1 1 *'


class BackupPoliciesTest(base.BaseConsistentSnapTest):

    def setUp(self):
        super().setUp()
        # Nothing is resolved before a run: any source will do.
        self.app_group = self.create_app_group(
            source_type='metadata',
            source={'properties': {'app': data_utils.rand_name('cs')}})

    @decorators.idempotent_id('5a94c614-723e-49fd-942f-0ef05efd871a')
    def test_backup_policy_crud(self):
        client = self.backup_policies_client
        policy = self.create_backup_policy(
            app_group=self.app_group['id'], cron=YEARLY,
            timezone='Europe/Paris', keep_last=3, max_age='30d',
            mode='barrier', name='yearly')
        self.assertEqual(self.app_group['id'], policy['app_group_id'])
        self.assertEqual((YEARLY, 'Europe/Paris', 3, 30 * 86400),
                         (policy['cron'], policy['timezone'],
                          policy['keep_last'], policy['max_age_s']))
        self.assertTrue(policy['enabled'])
        self.assertIsNotNone(policy['next_run_at'])
        self.assertIsNone(policy['last_run_at'])

        shown = client.show_backup_policy(policy['id'])['backup_policy']
        self.assertEqual(base.without_timestamps(policy),
                         base.without_timestamps(shown))
        listed = client.list_backup_policies()['backup_policies']
        self.assertIn(policy['id'], [p['id'] for p in listed])

        updated = client.update_backup_policy(
            policy['id'], enabled=False, keep_last=None)['backup_policy']
        self.assertFalse(updated['enabled'])
        self.assertIsNone(updated['keep_last'])
        # A disabled policy has no next run.
        self.assertIsNone(updated['next_run_at'])

        client.delete_backup_policy(policy['id'])
        self.assertRaises(lib_exc.NotFound, client.show_backup_policy,
                          policy['id'])

    @decorators.idempotent_id('169aa2b7-a420-4da1-9781-568e5a1adf6b')
    def test_bad_schedule_is_400(self):
        for fields in ({'cron': 'every tuesday'},
                       {'cron': YEARLY, 'timezone': 'Mars/Olympus_Mons'},
                       {'cron': YEARLY, 'keep_last': 0},
                       {'cron': YEARLY, 'max_age': 'a fortnight'}):
            error = self.assertRaises(
                lib_exc.BadRequest, self.create_backup_policy,
                app_group=self.app_group['id'], **fields)
            self.assertIn('backup_policy', error.resp_body['message'])

    @decorators.idempotent_id('4c7ea9dc-ef3b-489a-8288-1539914b4cf4')
    def test_unknown_is_404(self):
        unknown = uuidutils.generate_uuid()
        self.assertRaises(lib_exc.NotFound,
                          self.backup_policies_client.show_backup_policy,
                          unknown)
        self.assertRaises(lib_exc.NotFound, self.create_backup_policy,
                          app_group=unknown, cron=YEARLY)
