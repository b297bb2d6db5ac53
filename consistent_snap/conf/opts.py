"""Options for oslo-config-generator.

See etc/consistent_snap/consistent-snap-config-generator.conf.
"""

import collections

from consistent_snap.conf import agent
from consistent_snap.conf import api
from consistent_snap.conf import coordination
from consistent_snap.conf import coordinator
from consistent_snap.conf import database
from consistent_snap.conf import default
from consistent_snap.conf import libvirt
from consistent_snap.conf import resolvers
from consistent_snap.conf import restore
from consistent_snap.conf import service_credentials
from consistent_snap.conf import upgrade_levels

MODULES = (default, agent, api, coordination, coordinator, database,
           libvirt, resolvers, restore, service_credentials, upgrade_levels)


def list_opts():
    grouped = collections.defaultdict(list)
    for module in MODULES:
        for group, opts in module.list_opts().items():
            grouped[group].extend(opts)
    return list(grouped.items())
