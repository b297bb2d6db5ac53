"""ML2 mechanism driver for minicloud's compute hosts (a test rig).

Real ML2 drivers (Open vSwitch, OVN, ...) bind a port only on a host where
their agent or controller runs, and an agent reports the port ACTIVE once it
has wired it. This driver binds, on the port's first segment, and marks the
port ACTIVE at once (no agent, no RPC server, no vif-plugged event):

- on hosts matching [ml2_minicloud] bind_hosts (default ``^compute-[0-9]+$``,
  nova's fake virt driver, no data plane at all), with vif_type ``ovs`` as an
  Open vSwitch cloud would;
- on hosts matching [ml2_minicloud] tap_hosts (the libvirt hosts
  compute-real*), with vif_type ``tap``: nova makes a tap device
  ``tap<port id[:11]>`` for the guest's NIC, and this driver records, as the
  file of that name in [ml2_minicloud] tap_dir, the Linux bridge of the port's
  network (``brq<network id[:11]>``), which minicloud_l2.py (the rig's L2
  "agent") puts the tap into. One bridge per network: guests on one network
  reach each other across the libvirt hosts, and nothing else.

Ports on any other host are left to the other drivers, so they end as
binding_failed there, as on a host without an agent.
"""

import os
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
               help='binding:vif_type of the ports bound on bind_hosts.'),
    cfg.StrOpt('tap_hosts', default=r'^compute-real(-[0-9]+)?$',
               help='Regular expression of the host names whose ports are '
                    'bound as vif_type tap, wired by minicloud_l2.py.'),
    cfg.StrOpt('tap_dir', default='',
               help='Where each bound tap port records its bridge, for '
                    'minicloud_l2.py (no tap binding when empty).'),
]
cfg.CONF.register_opts(OPTS, 'ml2_minicloud')


class FakeHostMechanismDriver(api.MechanismDriver):
    """Binds ports on fake compute hosts, ACTIVE at once, no agent."""

    def initialize(self):
        self._hosts = re.compile(cfg.CONF.ml2_minicloud.bind_hosts)
        self._vif_type = cfg.CONF.ml2_minicloud.vif_type
        self._tap_hosts = re.compile(cfg.CONF.ml2_minicloud.tap_hosts)
        self._tap_dir = cfg.CONF.ml2_minicloud.tap_dir
        self._vif_details = {
            portbindings.CAP_PORT_FILTER: True,
            portbindings.OVS_HYBRID_PLUG: False,
            portbindings.VIF_DETAILS_CONNECTIVITY: self.connectivity,
        }
        LOG.info('minicloud ML2 driver: binding ports on hosts matching %s '
                 '(vif_type %s) and, as taps recorded in %r, on hosts '
                 'matching %s', self._hosts.pattern, self._vif_type,
                 self._tap_dir, self._tap_hosts.pattern)

    @property
    def connectivity(self):
        return portbindings.CONNECTIVITY_L2

    def bind_port(self, context):
        host = context.host
        vnic_type = context.current.get(portbindings.VNIC_TYPE,
                                        portbindings.VNIC_NORMAL)
        tap = bool(host and self._tap_dir and self._tap_hosts.match(host))
        if not host or not (tap or self._hosts.match(host)):
            return
        if vnic_type != portbindings.VNIC_NORMAL:
            LOG.debug('minicloud ML2 driver: not binding port %s with '
                      'vnic_type %s', context.current['id'], vnic_type)
            return
        for segment in context.segments_to_bind:
            if tap:
                self._record_bridge(context.current)
            context.set_binding(
                segment[api.ID],
                portbindings.VIF_TYPE_TAP if tap else self._vif_type,
                self._tap_details if tap else dict(self._vif_details),
                status=constants.PORT_STATUS_ACTIVE)
            LOG.debug('minicloud ML2 driver: bound port %s on %s, segment '
                      '%s (%s)', context.current['id'], host,
                      segment[api.ID], segment[api.NETWORK_TYPE])
            return

    @property
    def _tap_details(self):
        return {portbindings.CAP_PORT_FILTER: False,
                portbindings.VIF_DETAILS_CONNECTIVITY: self.connectivity}

    def _record_bridge(self, port):
        # nova names the tap after the port (nova.network.model.VIF)
        name = os.path.join(self._tap_dir, 'tap' + port['id'][:11])
        with open(name + '.new', 'w') as f:
            f.write('brq' + port['network_id'][:11] + '\n')
        os.replace(name + '.new', name)
