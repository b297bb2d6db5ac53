"""Planning the fence: clock offsets, the lead before T, the skew.

Pure functions of measured numbers, so they are tested without a broker.
"""

import dataclasses


@dataclasses.dataclass(frozen=True)
class Probe:
    """One prepare round trip to a host, on the coordinator's wall clock."""
    host: str
    sent_at: float
    received_at: float
    agent_time: float

    @property
    def rtt(self):
        return self.received_at - self.sent_at

    @property
    def offset(self):
        # The agent read its clock about half-way through the round trip.
        return self.agent_time - (self.sent_at + self.received_at) / 2


def lead_seconds(probes, rtt_factor, margin_ms):
    """How far ahead T must be for every host to hold its message at T."""
    slowest = max((p.rtt for p in probes), default=0.0)
    return slowest * rtt_factor + margin_ms / 1000.0


def skew_ms(instants):
    """Spread of capture instants (max - min), in milliseconds."""
    instants = [i for i in instants if i is not None]
    if len(instants) < 2:
        return 0.0 if instants else None
    return (max(instants) - min(instants)) * 1000.0


def window_ms(start, end):
    if start is None or end is None:
        return None
    return (end - start) * 1000.0


def consistency(levels):
    """The group's level is its weakest member's."""
    order = ['crash', 'filesystem', 'application']
    known = [level for level in levels if level in order]
    return min(known, key=order.index) if known else None
