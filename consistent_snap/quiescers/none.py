from consistent_snap.quiescers import base
from consistent_snap import states


class NoneQuiescer(base.Quiescer):
    """No guest freeze: members are captured crash-consistent."""

    blocks = False
    freezes = False

    def freeze(self, member, timeout):
        return states.Member.CRASH, 'no quiescer is configured on this host'

    def thaw(self, member):
        pass
