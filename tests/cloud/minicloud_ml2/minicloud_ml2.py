"""ML2 mechanism driver for minicloud's fake compute hosts (a test rig).

Real ML2 drivers (Open vSwitch, OVN, ...) bind a port only on a host where
their agent or controller runs, and an agent reports the port ACTIVE once it
has wired it. minicloud's fake hosts (nova's fake virt driver, hosts
compute-1..N) have no data plane at all, so this driver binds every port whose
binding:host_id matches [ml2_minicloud] bind_hosts (a regular expression,
default ``^compute-[0-9]+$``) on the port's first segment, with vif_type
``ovs`` as an Open vSwitch cloud would, and marks the port ACTIVE at once: no
agent, no RPC server, no vif-plugged event is needed. Ports on any other host
(e.g. the libvirt hosts compute-real*, whose guests have no network) are left
to the other drivers, so they end as binding_failed there, as on a host
without an agent.
"""

import re

from neutron_lib.api.definitions import portbindings
from neutron_lib import constants
from neutron_lib.plugins.ml2 import api
from oslo_config import cfg
from oslo_log import log

LOG = log.getLogger(__name__)

OPTS = [
    cfg.StrOpt('bind_hosts', default=r'^compute-[0-9]+$',
               help='Regular expression of the host names (binding:host_id) '
                    'whose ports this driver binds.'),
    cfg.StrOpt('vif_type', default=portbindings.VIF_TYPE_OVS,
               help='binding:vif_type of the bound ports.'),
]
cfg.CONF.register_opts(OPTS, 'ml2_minicloud')


class FakeHostMechanismDriver(api.MechanismDriver):
    """Binds ports on fake compute hosts, ACTIVE at once, no agent."""

    def initialize(self):
        self._hosts = re.compile(cfg.CONF.ml2_minicloud.bind_hosts)
        self._vif_type = cfg.CONF.ml2_minicloud.vif_type
        self._vif_details = {
            portbindings.CAP_PORT_FILTER: True,
            portbindings.OVS_HYBRID_PLUG: False,
            portbindings.VIF_DETAILS_CONNECTIVITY: self.connectivity,
        }
        LOG.info('minicloud ML2 driver: binding ports on hosts matching %s '
                 '(vif_type %s)', self._hosts.pattern, self._vif_type)

    @property
    def connectivity(self):
        return portbindings.CONNECTIVITY_L2

    def bind_port(self, context):
        host = context.host
        vnic_type = context.current.get(portbindings.VNIC_TYPE,
                                        portbindings.VNIC_NORMAL)
        if not host or not self._hosts.match(host):
            return
        if vnic_type != portbindings.VNIC_NORMAL:
            LOG.debug('minicloud ML2 driver: not binding port %s with '
                      'vnic_type %s', context.current['id'], vnic_type)
            return
        for segment in context.segments_to_bind:
            context.set_binding(segment[api.ID], self._vif_type,
                                dict(self._vif_details),
                                status=constants.PORT_STATUS_ACTIVE)
            LOG.debug('minicloud ML2 driver: bound port %s on %s, segment '
                      '%s (%s)', context.current['id'], host,
                      segment[api.ID], segment[api.NETWORK_TYPE])
            return
