"""A real guest freeze: qemu-guest-agent fsfreeze through libvirt.

fsFreeze flushes the guest's dirty pages and blocks its writers, so what
is captured next is a clean filesystem (no journal to replay). The agent
call is bounded by [libvirt] agent_timeout; the agent's dead-man timer
bounds the whole freeze.
"""

import json
import xml.etree.ElementTree as ElementTree

from oslo_log import log as logging

from consistent_snap.quiescers import base
from consistent_snap import states
from consistent_snap.virt import libvirt_host

try:
    import libvirt_qemu
except ImportError:  # libvirt_host says what to install.
    libvirt_qemu = None

LOG = logging.getLogger(__name__)
GUEST_AGENT_CHANNEL = 'org.qemu.guest_agent.0'


class StillFrozen(Exception):
    pass


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
                return (states.Member.CRASH,
                        'no libvirt domain for it on this host')
            if not dom.isActive():
                # Nothing writes: its disks are as consistent as they get.
                return states.Member.CRASH, 'the guest is not running'
            frozen = dom.fsFreeze(None, 0)
        except Exception as e:
            # No agent, or it did not answer: crash-consistent, and why.
            # An agent that did not answer in time may freeze all the same
            # a moment later: thaw() is retried until it says thawed.
            LOG.warning('Freeze of server %s failed: %s', member['server_id'],
                        e)
            return states.Member.CRASH, 'guest agent freeze failed: %s' % e
        if not frozen:
            return states.Member.CRASH, 'the guest agent froze no filesystem'
        return (states.Member.FILESYSTEM,
                'guest agent froze %d filesystem(s)' % frozen)

    def thaw(self, member):
        dom = self._domain(member)
        if dom is None or not dom.isActive():
            return  # Gone or stopped: nothing is frozen.
        if _agent_channel(dom) in (None, 'disconnected'):
            # No guest agent: no freeze of ours reached the guest, and
            # none could be undone through it.
            return
        # Thawing a guest that is not frozen answers 0: safe twice.
        dom.fsThaw(None, 0)
        status = freeze_status(dom, self.conf.libvirt.agent_timeout)
        if status != 'thawed':
            raise StillFrozen('the guest agent says %s after the thaw' %
                              status)


def freeze_status(dom, timeout):
    """qemu-guest-agent's guest-fsfreeze-status: 'thawed' or 'frozen'."""
    reply = libvirt_qemu.qemuAgentCommand(
        dom, json.dumps({'execute': 'guest-fsfreeze-status'}), timeout, 0)
    return json.loads(reply)['return']


def _agent_channel(dom):
    """The guest agent channel's state ('connected'...), None if none."""
    for target in ElementTree.fromstring(dom.XMLDesc(0)).iterfind(
            "./devices/channel/target[@name='%s']" % GUEST_AGENT_CHANNEL):
        return target.get('state', 'connected')
    return None
