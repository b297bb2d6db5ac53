"""consistent-snap's Tempest plugin (entry point tempest.test_plugins)."""

import os

from tempest import config
from tempest.test_discover import plugins

from consistent_snap.tempest_plugin import config as cs_config


class ConsistentSnapTempestPlugin(plugins.TempestPlugin):

    def load_tests(self):
        # Tests are discovered from the directory holding the package, so
        # their ids start with consistent_snap.tempest_plugin.tests.
        here = os.path.dirname(os.path.abspath(__file__))
        top_dir = os.path.dirname(os.path.dirname(here))
        return os.path.join(here, 'tests'), top_dir

    def register_opts(self, conf):
        config.register_opt_group(conf, cs_config.service_available_group,
                                  cs_config.ServiceAvailableGroup)
        config.register_opt_group(conf, cs_config.consistent_snap_group,
                                  cs_config.ConsistentSnapGroup)

    def get_opt_lists(self):
        return [
            (cs_config.service_available_group.name,
             cs_config.ServiceAvailableGroup),
            (cs_config.consistent_snap_group.name,
             cs_config.ConsistentSnapGroup),
        ]

    def get_service_clients(self):
        params = config.service_client_config('consistent_snap')
        params.update({
            'name': 'consistent_snap',
            'service_version': 'consistent_snap.v1',
            'module_path': 'consistent_snap.tempest_plugin.services',
            'client_names': ['AppGroupsClient', 'GroupSnapshotsClient',
                             'BackupPoliciesClient', 'RestoresClient'],
        })
        return [params]
