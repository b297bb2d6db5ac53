"""The libvirt quiescer's thaw: done only when the guest agent says so.

A fake domain stands in for a running guest and its qemu-guest-agent.
"""

import json
import types

import pytest

from consistent_snap.quiescers import libvirt as libvirt_quiescer

CHANNEL = ('<domain><devices><channel type="unix"><target type="virtio" '
           'name="org.qemu.guest_agent.0" %s/></channel></devices></domain>')


class Guest:
    """A running domain; ``late_freezes`` freezes land after a thaw."""

    def __init__(self, channel='state="connected"', late_freezes=0):
        self.channel = channel
        self.frozen = True
        self.late_freezes = late_freezes
        self.thaws = 0

    def agentSetResponseTimeout(self, timeout, flags):
        pass

    def isActive(self):
        return True

    def XMLDesc(self, flags):
        return CHANNEL % self.channel if self.channel is not None else (
            '<domain><devices/></domain>')

    def fsThaw(self, mountpoints, flags):
        self.thaws += 1
        self.frozen = self.late_freezes > 0
        self.late_freezes -= 1
        return 1


@pytest.fixture
def guest_agent(monkeypatch):
    def command(dom, text, timeout, flags):
        assert json.loads(text) == {'execute': 'guest-fsfreeze-status'}
        return json.dumps({'return': 'frozen' if dom.frozen else 'thawed'})
    monkeypatch.setattr(libvirt_quiescer, 'libvirt_qemu',
                        types.SimpleNamespace(qemuAgentCommand=command))


def _quiescer(conf, guest):
    quiescer = libvirt_quiescer.LibvirtQuiescer(conf)
    quiescer._domain = lambda member: guest
    return quiescer


def test_a_thaw_is_done_when_the_guest_agent_says_thawed(conf, guest_agent):
    guest = Guest(late_freezes=1)
    quiescer = _quiescer(conf, guest)
    # A freeze that timed out landed after the first thaw.
    with pytest.raises(libvirt_quiescer.StillFrozen):
        quiescer.thaw({'server_id': 's1'})
    quiescer.thaw({'server_id': 's1'})
    assert (guest.thaws, guest.frozen) == (2, False)


@pytest.mark.parametrize('channel', [None, 'state="disconnected"'])
def test_without_a_guest_agent_there_is_nothing_to_thaw(conf, guest_agent,
                                                        channel):
    guest = Guest(channel=channel)
    _quiescer(conf, guest).thaw({'server_id': 's1'})
    assert guest.thaws == 0
