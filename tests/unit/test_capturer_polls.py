"""How a capturer waits for a point in time to be fixed."""

import time

from consistent_snap.capturers import base


class FixedAfter(base.Capturer):
    """Its artifact reads fixed on the n-th poll."""

    def __init__(self, conf, polls):
        super().__init__(conf, None)
        self.polls, self.seen = polls, 0

    def capture(self, member, labels):
        raise NotImplementedError

    def is_fixed(self, artifact):
        self.seen += 1
        return self.seen >= self.polls

    def status(self, artifact):
        return 'available'

    def delete(self, artifact):
        pass


def test_polls_back_off_to_the_max_interval_and_stop_once_fixed(
        conf, monkeypatch):
    conf.set_override('poll_interval', 0.05, group='agent')
    conf.set_override('poll_max_interval', 0.25, group='agent')
    slept = []
    monkeypatch.setattr(base.time, 'sleep', slept.append)
    capture = base.Capture(artifacts=[{'id': 'image-1'}], called_at=0.0)
    before = time.time()
    FixedAfter(conf, polls=7).wait_fixed(capture, deadline=before + 60)
    # A slow Nova is polled 7 times in 1.25 s, not 26 times.
    assert slept == [0.05, 0.1, 0.2, 0.25, 0.25, 0.25]
    assert capture.fixed_at >= before


def test_a_point_fixed_at_once_is_not_slept_for(conf, monkeypatch):
    slept = []
    monkeypatch.setattr(base.time, 'sleep', slept.append)
    capture = base.Capture(artifacts=[{'id': 'image-1'}], called_at=0.0)
    FixedAfter(conf, polls=1).wait_fixed(capture, deadline=time.time() + 60)
    assert slept == []
