"""The agent process's fence clock: work due at T, in one thread."""

import gc
import threading
import time

import pytest

from consistent_snap.agent import fence_clock
from consistent_snap.quiescers import none
from tests.unit.test_agent_manager import _agent
from tests.unit.test_agent_manager import MEMBERS
from tests.unit.test_agent_manager import RecordingQuiescer


def _stamp(into):
    return lambda: into.append((time.time(), threading.current_thread()))


def test_steps_run_at_their_instant_not_before():
    clock = fence_clock.FenceClock()
    ran = []
    at = time.time() + 0.05
    clock.run_at(at, [_stamp(ran), _stamp(ran)])
    assert len(ran) == 2
    assert all(t >= at for t, _ in ran)
    assert {thread.name for _, thread in ran} == {'fence-clock'}


def test_every_step_due_at_t_runs_before_any_caller_goes_on():
    clock = fence_clock.FenceClock()
    ran, returned = [], []
    at = time.time() + 0.1

    def caller():
        clock.run_at(at, [_stamp(ran) for _ in range(50)])
        returned.append(time.time())
    callers = [threading.Thread(target=caller) for _ in range(4)]
    for thread in callers:
        thread.start()
    for thread in callers:
        thread.join()
    assert len(ran) == 200 and len(returned) == 4
    assert max(t for t, _ in ran) <= min(returned)


def test_no_garbage_collection_while_steps_wait_for_their_instant():
    clock = fence_clock.FenceClock()
    seen = []
    waiting = threading.Thread(target=clock.run_at, args=(
        time.time() + 0.1, [lambda: seen.append(gc.isenabled())]))
    assert gc.isenabled()
    waiting.start()
    time.sleep(0.05)
    assert not gc.isenabled()
    waiting.join()
    assert seen == [False]
    assert gc.isenabled()


def test_later_instants_wait_their_turn_and_past_ones_run_now():
    clock = fence_clock.FenceClock()
    ran = []
    later = threading.Thread(target=clock.run_at, args=(
        time.time() + 0.2, [lambda: ran.append('later')]))
    later.start()
    began = time.time()
    clock.run_at(began - 10, [lambda: ran.append('past')])
    assert time.time() - began < 0.15
    later.join()
    assert ran == ['past', 'later']


def test_a_failing_step_fails_its_caller_after_the_others_ran():
    clock = fence_clock.FenceClock()
    ran = []

    def fail():
        raise RuntimeError('capture refused')
    with pytest.raises(RuntimeError, match='capture refused'):
        clock.run_at(time.time(), [fail, _stamp(ran)])
    assert len(ran) == 1
    # The clock goes on.
    clock.run_at(time.time(), [_stamp(ran)])
    assert len(ran) == 2


@pytest.mark.parametrize('quiescer_class, clock', [
    (none.NoneQuiescer, True), (RecordingQuiescer, False)])
def test_members_go_to_the_clock_only_when_no_driver_blocks(
        conf, tmp_path, quiescer_class, clock):
    """The fake capturer does not block; a quiescer by default does."""
    agent = _agent(conf, tmp_path, quiescer_class)
    threads = []
    freeze = agent._freeze_member

    def noting(member, *args):
        threads.append(threading.current_thread().name)
        return freeze(member, *args)
    agent._freeze_member = noting
    fence_at = time.time() + 0.05
    report = agent.capture(None, 'gs-clock', MEMBERS, fence_at, None, True,
                           2000)
    assert {m['status'] for m in report['members']} == {'captured'}
    assert all(m['started_at'] >= fence_at for m in report['members'])
    assert (set(threads) == {'fence-clock'}) is clock
    assert len(threads) == len(MEMBERS)
