"""What every consistent-snap test class shares: clients and resources."""

from oslo_serialization import jsonutils
from tempest.common import waiters as compute_waiters
from tempest import config
from tempest.lib.common.utils import data_utils
from tempest.lib.common.utils import test_utils
from tempest import test

from consistent_snap.tempest_plugin.common import waiters
from consistent_snap.tempest_plugin.services import stacks_client

CONF = config.CONF
# Servers without a network ('networks': 'none') need 2.37.
COMPUTE_MICROVERSION = '2.37'


MEMBER_TEMPLATE = 'member.yaml'


def _member_template(zones):
    """One server, the index-th zone's if zones are given."""
    server = {
        'type': 'OS::Nova::Server',
        'properties': {
            'name': {'str_replace': {'template': 'cs-tempest-INDEX',
                                     'params': {'INDEX': {
                                         'get_param': 'index'}}}},
            'image': {'get_param': 'image'},
            'flavor': {'get_param': 'flavor'},
            'networks': [{'allocate_network': 'none'}],
        },
    }
    if zones:
        server['properties']['availability_zone'] = {
            'get_param': ['zones', {'get_param': 'index'}]}
    return {
        'heat_template_version': '2018-08-31',
        'parameters': {
            'index': {'type': 'number'},
            'zones': {'type': 'comma_delimited_list'},
            'image': {'type': 'string'},
            'flavor': {'type': 'string'},
        },
        'resources': {'server': server},
    }


def app_template(zones, size, image, flavor):
    """A Heat app of ``size`` servers: (template, files).

    Each server is in a provider template of its own inside a
    ResourceGroup: two levels of nested stacks, as real apps have. The
    zone is picked in the provider template, as ResourceGroup resolves
    its resource_def before it substitutes %index%.
    """
    template = {
        'heat_template_version': '2018-08-31',
        'resources': {
            'tier': {
                'type': 'OS::Heat::ResourceGroup',
                'properties': {
                    'count': size,
                    'resource_def': {
                        'type': MEMBER_TEMPLATE,
                        'properties': {'index': '%index%',
                                       'zones': ','.join(zones),
                                       'image': image, 'flavor': flavor},
                    },
                },
            },
        },
    }
    return template, {MEMBER_TEMPLATE: jsonutils.dumps(
        _member_template(zones))}


def without_timestamps(item):
    """The item less its times, whose precision depends on the database.

    A POST answers with the microseconds it wrote, a GET with what the
    database kept (MariaDB's DATETIME keeps whole seconds).
    """
    return {k: v for k, v in item.items()
            if k not in ('created_at', 'updated_at')}


EMPTY_TEMPLATE = {'heat_template_version': '2018-08-31', 'resources': {}}


class BaseConsistentSnapTest(test.BaseTestCase):
    """Runs as a project member; subclasses may ask for more personas."""

    credentials = ['project_member']

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.service_available.consistent_snap:
            raise cls.skipException('consistent-snap is not available')

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        member = cls.os_project_member
        cls.app_groups_client = member.consistent_snap.AppGroupsClient()
        cls.group_snapshots_client = (
            member.consistent_snap.GroupSnapshotsClient())
        cls.backup_policies_client = (
            member.consistent_snap.BackupPoliciesClient())
        cls.restores_client = member.consistent_snap.RestoresClient()
        cls.servers_client = member.servers_client
        cls.server_groups_client = member.server_groups_client
        cls.images_client = member.image_client_v2
        params = config.service_client_config('consistent_snap')
        params['service'] = CONF.consistent_snap.orchestration_catalog_type
        cls.stacks_client = stacks_client.StacksClient(
            member.auth_provider, **params)

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.setup_api_microversion_fixture(
            compute_microversion=COMPUTE_MICROVERSION)

    # Resources. Class-level ones are made in resource_setup and cleaned up
    # after the class; the others after the test.

    @classmethod
    def zone(cls, index):
        zones = CONF.consistent_snap.availability_zones
        return zones[index % len(zones)] if zones else None

    @classmethod
    def create_server(cls, index=0, **kwargs):
        """An ACTIVE server without network, in the index-th zone."""
        zone = cls.zone(index)
        if zone:
            kwargs['availability_zone'] = zone
        server = cls.servers_client.create_server(
            name=data_utils.rand_name('cs-tempest'),
            imageRef=CONF.compute.image_ref,
            flavorRef=CONF.compute.flavor_ref, networks='none',
            **kwargs)['server']
        cls.addClassResourceCleanup(
            compute_waiters.wait_for_server_termination, cls.servers_client,
            server['id'])
        cls.addClassResourceCleanup(
            test_utils.call_and_ignore_notfound_exc,
            cls.servers_client.delete_server, server['id'])
        compute_waiters.wait_for_server_status(
            cls.servers_client, server['id'], 'ACTIVE')
        return server

    @classmethod
    def create_stack(cls, template, files=None):
        """A Heat stack in CREATE_COMPLETE; returns (name, stack id)."""
        if not CONF.consistent_snap.heat_stacks:
            raise cls.skipException('[consistent_snap] heat_stacks is off')
        name = data_utils.rand_name('cs-tempest')
        stack_id = cls.stacks_client.create_stack(
            name, template, files)['stack']['id']
        cls.addClassResourceCleanup(
            cls.stacks_client.wait_for_resource_deletion, (name, stack_id))
        cls.addClassResourceCleanup(
            test_utils.call_and_ignore_notfound_exc,
            cls.stacks_client.delete_stack, name, stack_id)
        waiters.wait_for_stack_status(cls.stacks_client, name, stack_id,
                                      'CREATE_COMPLETE')
        return name, stack_id

    def create_app_group(self, client=None, **fields):
        client = client or self.app_groups_client
        fields.setdefault('name', data_utils.rand_name('cs-tempest'))
        group = client.create_app_group(**fields)['app_group']
        self.addCleanup(test_utils.call_and_ignore_notfound_exc,
                        client.delete_app_group, group['id'])
        return group

    def create_backup_policy(self, **fields):
        policy = self.backup_policies_client.create_backup_policy(
            **fields)['backup_policy']
        self.addCleanup(test_utils.call_and_ignore_notfound_exc,
                        self.backup_policies_client.delete_backup_policy,
                        policy['id'])
        return policy
