"""/v1/app-groups: each source kind, members, errors, a reader's rights."""

from oslo_utils import uuidutils
from tempest.lib.common.utils import data_utils
from tempest.lib import decorators
from tempest.lib import exceptions as lib_exc

from consistent_snap.tempest_plugin.tests import base

FIELDS = {'id', 'project_id', 'name', 'description', 'source_type', 'source',
          'include_volumes', 'default_mode', 'quiesce', 'consistent',
          'checks', 'hooks', 'created_at', 'updated_at', 'links'}


class AppGroupsTest(base.BaseConsistentSnapTest):
    """Two servers in one server group, tagged with one property."""

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.app = data_utils.rand_name('cs-tempest-app')
        # soft-anti-affinity: spread where possible, also on one host.
        cls.server_group = cls.server_groups_client.create_server_group(
            name=cls.app, policies=['soft-anti-affinity'])['server_group']
        cls.addClassResourceCleanup(
            cls.server_groups_client.delete_server_group,
            cls.server_group['id'])
        cls.servers = [
            cls.create_server(index, metadata={'app': cls.app},
                              scheduler_hints={'group':
                                               cls.server_group['id']})
            for index in range(2)]
        cls.server_ids = sorted(s['id'] for s in cls.servers)

    def _check_members(self, group):
        members = self.app_groups_client.list_members(group['id'])
        self.assertEqual(group['id'], members['app_group_id'])
        self.assertEqual(self.server_ids,
                         sorted(m['server_id'] for m in members['members']))
        for member in members['members']:
            self.assertEqual('ACTIVE', member['status'])
            self.assertTrue(member['host_id'])
        self.assertEqual([], members['missing'])

    @decorators.idempotent_id('1e81cf5b-9f3a-4c4d-89e7-335eed771643')
    def test_app_group_servers_crud(self):
        group = self.create_app_group(
            source_type='servers', source={'servers': self.server_ids},
            description='two servers')
        self.assertEqual(FIELDS, set(group))
        self.assertEqual('servers', group['source_type'])
        self.assertEqual(self.server_ids, sorted(group['source']['servers']))

        shown = self.app_groups_client.show_app_group(group['id'])
        self.assertEqual(base.without_timestamps(group),
                         base.without_timestamps(shown['app_group']))
        listed = self.app_groups_client.list_app_groups()['app_groups']
        self.assertIn(group['id'], [g['id'] for g in listed])
        self._check_members(group)

        updated = self.app_groups_client.update_app_group(
            group['id'], name=group['name'] + '-renamed',
            default_mode='shared_start', consistent=True)['app_group']
        self.assertEqual(group['name'] + '-renamed', updated['name'])
        self.assertEqual('shared_start', updated['default_mode'])
        self.assertTrue(updated['consistent'])

        self.app_groups_client.delete_app_group(group['id'])
        self.assertRaises(lib_exc.NotFound,
                          self.app_groups_client.show_app_group, group['id'])

    @decorators.idempotent_id('3e865dbe-bb37-435c-8354-51f386b78887')
    def test_app_group_server_group(self):
        group = self.create_app_group(
            source_type='server_group',
            source={'server_group': self.server_group['id']})
        self.assertEqual('server_group', group['source_type'])
        self._check_members(group)

    @decorators.idempotent_id('d69852b1-5a39-407d-a4fd-746e62c05499')
    def test_app_group_metadata(self):
        group = self.create_app_group(
            source_type='metadata', source={'properties': {'app': self.app}})
        self.assertEqual({'properties': {'app': self.app}}, group['source'])
        self._check_members(group)

    @decorators.idempotent_id('80d6e967-eee6-4abd-97f1-f4c666c626e5')
    def test_app_group_heat_stack(self):
        name, stack_id = self.create_stack(base.EMPTY_TEMPLATE)
        group = self.create_app_group(source_type='heat',
                                      source={'stack': name})
        # The name is resolved to the stack's id once, at creation.
        self.assertEqual({'stack': stack_id, 'stack_name': name},
                         group['source'])
        members = self.app_groups_client.list_members(group['id'])
        self.assertEqual([], members['members'])

    @decorators.idempotent_id('676fe133-3d3d-414b-8b09-5556b6e01d55')
    def test_unknown_app_group_is_404(self):
        unknown = uuidutils.generate_uuid()
        client = self.app_groups_client
        self.assertRaises(lib_exc.NotFound, client.show_app_group, unknown)
        self.assertRaises(lib_exc.NotFound, client.update_app_group, unknown,
                          name='renamed')
        self.assertRaises(lib_exc.NotFound, client.list_members, unknown)
        self.assertRaises(lib_exc.NotFound, client.delete_app_group, unknown)

    @decorators.idempotent_id('0b7680b1-af57-424f-a0f9-989a901051a5')
    def test_unknown_source_is_404(self):
        self.assertRaises(lib_exc.NotFound, self.create_app_group,
                          source_type='servers',
                          source={'servers': [uuidutils.generate_uuid()]})
        self.assertRaises(lib_exc.NotFound, self.create_app_group,
                          source_type='server_group',
                          source={'server_group': uuidutils.generate_uuid()})

    @decorators.idempotent_id('ffb72d03-7dd5-49c0-92ee-e790f5c48984')
    def test_bad_body_is_400(self):
        servers = {'servers': self.server_ids}
        bad_bodies = [
            {'source_type': 'servers'},                     # no source
            {'source_type': 'volcano', 'source': servers},  # unknown kind
            {'source_type': 'servers', 'source': servers,
             'colour': 'blue'},                             # unknown field
            {'source_type': 'servers', 'source': {'servers': ['not-a-uuid']}},
            {'source_type': 'servers', 'source': servers,
             'default_mode': 'eventually'},
        ]
        for body in bad_bodies:
            error = self.assertRaises(lib_exc.BadRequest,
                                      self.create_app_group, **body)
            self.assertEqual(400, error.resp_body['code'])
            self.assertIn('app_group', error.resp_body['message'])
        self.assertRaises(lib_exc.BadRequest, self.create_app_group,
                          name='', source_type='servers', source=servers)


class AppGroupsReaderTest(base.BaseConsistentSnapTest):
    """A reader of the project sees its app groups and changes none."""

    credentials = ['project_member', 'project_reader']

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.reader_client = (
            cls.os_project_reader.consistent_snap.AppGroupsClient())

    @decorators.idempotent_id('0a9a60ce-9b53-4f38-8c57-5b226d6e37b6')
    def test_reader_reads_but_cannot_change(self):
        source = {'properties': {'app': data_utils.rand_name('cs-tempest')}}
        group = self.create_app_group(source_type='metadata', source=source)

        self.assertEqual(group['id'], self.reader_client.show_app_group(
            group['id'])['app_group']['id'])
        self.assertIn(group['id'], [
            g['id'] for g in self.reader_client.list_app_groups()[
                'app_groups']])
        self.assertRaises(lib_exc.Forbidden, self.create_app_group,
                          client=self.reader_client, source_type='metadata',
                          source=source)
        self.assertRaises(lib_exc.Forbidden,
                          self.reader_client.update_app_group, group['id'],
                          name='mine')
        self.assertRaises(lib_exc.Forbidden,
                          self.reader_client.delete_app_group, group['id'])
