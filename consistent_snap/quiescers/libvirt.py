"""A real guest freeze: qemu-guest-agent fsfreeze through libvirt.

fsFreeze flushes the guest's dirty pages and blocks its writers, so what
is captured next is a clean filesystem (no journal to replay). The agent
call is bounded by [libvirt] agent_timeout; the agent's dead-man timer
bounds the whole freeze.
"""

from oslo_log import log as logging

from consistent_snap.quiescers import base
from consistent_snap.virt import libvirt_host

LOG = logging.getLogger(__name__)


class LibvirtQuiescer(base.Quiescer):

    def _domain(self, member):
        dom = libvirt_host.domain(self.conf, member['server_id'])
        if dom is not None:
            dom.agentSetResponseTimeout(self.conf.libvirt.agent_timeout, 0)
        return dom

    def freeze(self, member, timeout):
        try:
            dom = self._domain(member)
            if dom is None:
                return base.CRASH, 'no libvirt domain for it on this host'
            if not dom.isActive():
                # Nothing writes: its disks are as consistent as they get.
                return base.CRASH, 'the guest is not running'
            frozen = dom.fsFreeze(None, 0)
        except Exception as e:
            # No agent, or it did not answer: crash-consistent, and why.
            LOG.warning('Freeze of server %s failed: %s', member['server_id'],
                        e)
            return base.CRASH, 'guest agent freeze failed: %s' % e
        if not frozen:
            return base.CRASH, 'the guest agent froze no filesystem'
        return base.FILESYSTEM, 'guest agent froze %d filesystem(s)' % frozen

    def thaw(self, member):
        dom = self._domain(member)
        if dom is not None and dom.isActive():
            # Thawing a guest that is not frozen answers 0: safe twice.
            dom.fsThaw(None, 0)
