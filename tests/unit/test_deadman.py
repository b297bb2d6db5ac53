"""The dead-man timer alone: armings, parallel thaws, late freezes."""

import threading
import time

from consistent_snap.agent import deadman

MEMBERS = [{'server_id': 's%d' % i} for i in (1, 2, 3)]


class Guests:
    """Thaws by server id; s1's guest agent hangs until released."""

    def __init__(self):
        self.thawed = {}
        self.released = threading.Event()

    def thaw(self, member):
        if member['server_id'] == 's1' and not self.released.is_set():
            self.released.wait()
        self.thawed[member['server_id']] = time.time()


def test_an_earlier_arming_cannot_fire_a_later_one():
    guests = Guests()
    guests.released.set()
    timer = deadman.Deadman(guests.thaw, margin=0)
    timer.arm('gs1', MEMBERS[:1], time.time() + 0.1)
    token = timer.arm('gs1', MEMBERS[:1], time.time() + 5)
    time.sleep(0.4)
    assert guests.thawed == {}
    assert timer.begin_freeze('gs1', token) is None
    timer.end_freeze('gs1', token, MEMBERS[0])
    assert timer.disarm('gs1', token)


def test_at_max_freeze_one_hung_guest_agent_delays_no_other_guest():
    guests = Guests()
    timer = deadman.Deadman(guests.thaw, margin=0)
    armed_at = time.time()
    timer.arm('gs2', MEMBERS, armed_at + 0.1)
    time.sleep(0.5)
    try:
        assert sorted(guests.thawed) == ['s2', 's3']
        assert max(guests.thawed.values()) < armed_at + 0.3
        # Held until s1 thaws too: a restart would thaw it again.
        assert timer.held() == ['gs2']
    finally:
        guests.released.set()
    assert timer.wait_idle(2)
    assert sorted(guests.thawed) == ['s1', 's2', 's3']


def test_a_freeze_after_the_timer_fired_is_refused():
    guests = Guests()
    guests.released.set()
    timer = deadman.Deadman(guests.thaw, margin=0)
    token = timer.arm('gs3', MEMBERS, time.time() + 0.05)
    # One freeze began before the timer fired and returns after it.
    assert timer.begin_freeze('gs3', token) is None
    time.sleep(0.3)
    assert timer.begin_freeze('gs3', token) == deadman.EXPIRED
    guests.thawed.clear()
    timer.end_freeze('gs3', token, MEMBERS[0])
    assert timer.wait_idle(2)
    assert list(guests.thawed) == ['s1']
