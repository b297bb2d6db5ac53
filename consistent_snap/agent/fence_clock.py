"""One thread of the agent process runs the work due at a fence instant.

A member's freeze and capture at T take a few microseconds of Python when
its drivers do not wait on I/O. Given a thread each, every member costs a
thread wake-up and a turn at the GIL at T, and the first ones go on to
their thaw and report while the later ones still wait for the GIL: the
instants spread with the members of a host, and with the hosts of a
process that serves many. The clock wakes once at T, runs every step due
by then one after the other, and only then lets the callers go on.
Members whose drivers wait on I/O (a guest agent, a cloud API) keep a
thread each, so that one slow call holds up no other member.

While anything waits for its instant, the garbage collector is off: a
collection is a pause of the whole process, and in a process serving
many hosts it took hundreds of milliseconds at T. It collects after.
"""

import gc
import heapq
import itertools
import threading
import time


class _Batch:
    def __init__(self, steps):
        self.steps = steps
        self.done = threading.Event()
        self.error = None


class FenceClock:
    def __init__(self):
        self._changed = threading.Condition()
        self._due = []  # heap of (instant, order, batch)
        self._order = itertools.count()
        self._thread = None
        self._holds_gc = False

    def run_at(self, instant, steps):
        """Run steps, one after the other, at instant (epoch seconds on
        this host's clock; now if it has passed); return once every step
        due with them has run. A step's exception is raised here, after
        the other steps ran.
        """
        batch = _Batch(steps)
        with self._changed:
            if gc.isenabled():
                gc.disable()
                self._holds_gc = True
            heapq.heappush(self._due, (instant, next(self._order), batch))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name='fence-clock', daemon=True)
                self._thread.start()
            self._changed.notify()
        batch.done.wait()
        if batch.error is not None:
            raise batch.error

    def _next_due(self):
        """Wait until the first instant; every batch due by then."""
        with self._changed:
            while True:
                delay = self._due[0][0] - time.time() if self._due else None
                if delay is not None and delay <= 0:
                    break
                self._changed.wait(delay)
            now = time.time()
            due = []
            while self._due and self._due[0][0] <= now:
                due.append(heapq.heappop(self._due)[2])
            return due

    def _collect_again(self):
        with self._changed:
            if not self._due and self._holds_gc:
                gc.enable()
                self._holds_gc = False

    def _run(self):
        while True:
            due = self._next_due()
            for batch in due:
                for step in batch.steps:
                    try:
                        step()
                    except Exception as e:
                        if batch.error is None:
                            batch.error = e
            # Only now: a caller let go earlier would take the GIL from
            # the steps still due.
            for batch in due:
                batch.done.set()
            self._collect_again()


# Every agent of the process (one in production; many in a simulation)
# shares it, so that their members due at one T wake one thread.
CLOCK = FenceClock()
