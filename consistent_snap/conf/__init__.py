"""The service's configuration: one module per option group."""

from oslo_config import cfg

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

CONF = cfg.CONF

for _module in (agent, api, coordination, coordinator, database, default,
                libvirt, resolvers, restore, service_credentials):
    _module.register_opts(CONF)
