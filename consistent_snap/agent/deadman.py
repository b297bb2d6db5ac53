"""The dead-man timer: no guest stays frozen past max_freeze."""

import json
import os
import threading
import time

from oslo_log import log as logging

from consistent_snap import exception

LOG = logging.getLogger(__name__)
# Fire this much early, so that the thaw is done by max_freeze.
THAW_MARGIN_S = 0.25
# Why begin_freeze() may refuse a freeze.
EXPIRED = 'its dead-man timer had already fired'
UNGUARDED = 'the freeze guard process did not confirm its deadline'


def write_journal(path, data):
    """data as JSON at path, whole or not at all, on disk when it returns.

    A crash leaves the previous file or the new one, never half of one.
    """
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(data, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class _Hold:
    """One arming of a key: the members that may be frozen, until when."""

    def __init__(self, token, members, deadline):
        self.token = token
        self.members = members
        self.deadline = deadline
        self.timer = None
        self.armed = True
        self.guarded = True
        self.freezing = 0  # Freezes begun and not yet returned.
        self.thawing = 0  # Thaw threads still running.
        self.thawed = {}  # server_id: when its thaw was confirmed.


class Deadman:
    """Thaws what it was armed for when its time runs out.

    Armed before the first freeze, so a lost commit, a dead coordinator or
    a broker outage cannot leave a guest frozen. What is armed is written
    to a journal on disk (an agent killed while guests were frozen thaws
    them when it starts again) and, with a guard, held by a process of its
    own as well, which thaws them even if this agent never comes back.

    A member whose freeze failed may still be frozen (the guest agent can
    finish it late), so every member is thawed until the quiescer confirms
    it, each in a thread of its own: one hung guest agent delays no other
    guest, and nobody waits on it beyond its first try. A key stays held
    (on disk, in the guard) until every member's thaw was confirmed.
    """

    def __init__(self, thaw, journal_path=None, guard=None,
                 margin=THAW_MARGIN_S, retry_interval=0.5,
                 max_retry_interval=30.0):
        self._thaw = thaw
        self._journal_path = journal_path
        self._guard = guard
        self._margin = margin
        self._retry_interval = retry_interval
        self._max_retry_interval = max_retry_interval
        self._holds = {}
        self._expired = {}
        self._generation = 0
        self._forgetting = 0  # Keys forgotten here, not yet on disk.
        # Never held while thawing or writing: a freeze at T takes it.
        self._lock = threading.Condition()
        self._journal_lock = threading.Lock()

    def _write_journal(self):
        if self._journal_path is None:
            return
        with self._journal_lock:
            # Read under the journal lock: the last writer writes the
            # latest state.
            with self._lock:
                held = {key: hold.members
                        for key, hold in self._holds.items()}
            write_journal(self._journal_path, held)

    def recover(self):
        """Thaw what an earlier life left frozen; in the background.

        Only reading the journal is done before returning: the agent
        serves at once, however long a guest takes to thaw.
        """
        if self._journal_path is None or not os.path.exists(
                self._journal_path):
            return 0
        with open(self._journal_path) as f:
            left = json.load(f)
        with self._lock:
            for key, members in left.items():
                self._generation += 1
                hold = self._holds[key] = _Hold(self._generation, members,
                                                time.time())
                hold.armed = False
        for key, members in left.items():
            LOG.warning('Thawing %d members of %s, frozen by this agent '
                        'before it stopped', len(members), key)
            self.thaw(key, members, wait=False)
        return sum(len(members) for members in left.values())

    def arm(self, key, members, deadline):
        """Hold members until deadline (epoch); returns this arming's token.

        Re-arming a key holds its earlier members too, and its earlier
        timer can no longer fire: the token tells armings apart. A member
        another key may still hold frozen is refused
        (ServerFrozenByAnother), whatever the coordinators decided: one
        snapshot's thaw must never release another's freeze.
        """
        members = [{'server_id': m['server_id'], 'name': m.get('name')}
                   for m in members]
        with self._lock:
            ids = {m['server_id'] for m in members}
            for other, hold in self._holds.items():
                for member in hold.members:
                    if other != key and member['server_id'] in ids:
                        raise exception.ServerFrozenByAnother(
                            server=member['server_id'], holder=other)
            self._generation += 1
            token = self._generation
            old = self._holds.get(key)
            if old is not None:
                if old.timer is not None:
                    old.timer.cancel()
                ids = {m['server_id'] for m in members}
                members += [m for m in old.members
                            if m['server_id'] not in ids]
            hold = self._holds[key] = _Hold(token, members, deadline)
            self._expired.pop(key, None)
            hold.timer = threading.Timer(
                max(0.05, deadline - self._margin - time.time()),
                self._expire, (key, token))
            hold.timer.daemon = True
            hold.timer.start()
        self._write_journal()
        if self._guard is not None and members:
            hold.guarded = self._guard.hold(key, token, members, deadline)
        return token

    def begin_freeze(self, key, token):
        """None if a member of key may be frozen now, else why not.

        Frozen after the timer fired, a guest would never be thawed.
        Each None must be followed by end_freeze().
        """
        with self._lock:
            hold = self._holds.get(key)
            if hold is None or hold.token != token or not hold.armed:
                return EXPIRED
            if not hold.guarded:
                return UNGUARDED
            hold.freezing += 1
            return None

    def end_freeze(self, key, token, member):
        """The freeze begun returned; thaw it if the hold ended meanwhile."""
        with self._lock:
            hold = self._holds.get(key)
            if hold is None or hold.token != token:
                return
            hold.freezing -= 1
            late = not hold.armed
        if late:
            self.thaw(key, [member], wait=False)
        else:
            self._done_if_thawed(key, token)

    def disarm(self, key, token):
        """Stop the timer; False if it had already fired for this arming."""
        with self._lock:
            hold = self._holds.get(key)
            if hold is None or hold.token != token or not hold.armed:
                return False
            hold.armed = False
            hold.timer.cancel()
            return True

    def expired_at(self, key):
        """When the timer thawed ``key``'s members, or None."""
        with self._lock:
            return self._expired.get(key)

    def _expire(self, key, token, why='max_freeze reached'):
        with self._lock:
            hold = self._holds.get(key)
            if hold is None or hold.token != token or not hold.armed:
                return  # Disarmed or re-armed while the timer fired.
            hold.armed = False
            self._expired[key] = time.time()
            members = hold.members
        LOG.warning('%s: thawing %d members of %s', why, len(members),
                    key)
        self.thaw(key, members, wait=False)

    def expire_all(self, why):
        """Fire every armed timer now (the guard, when its agent died)."""
        with self._lock:
            armed = [(key, hold.token) for key, hold in self._holds.items()
                     if hold.armed]
        for key, token in armed:
            self._expire(key, token, why)

    def release(self, key, token):
        """Stop holding key's members: their owner thawed them."""
        if self.disarm(key, token):
            self._done_if_thawed(key, token)

    def thaw(self, key, members, wait=True):
        """Thaw members in parallel, each retried until confirmed.

        wait: return once each had its first try, with {server_id: when
        thawed} of those confirmed; the others go on in the background.
        """
        with self._lock:
            hold = self._holds.get(key)
            if hold is None:
                return {}
            token = hold.token
            hold.thawing += len(members)
        tried = []
        for member in members:
            first = threading.Event()
            tried.append(first)
            threading.Thread(target=self._thaw_until_thawed,
                             args=(key, token, member, first),
                             name='thaw-%s' % member['server_id'],
                             daemon=True).start()
        if not members:
            self._done_if_thawed(key, token)
        if not wait:
            return {}
        for first in tried:
            first.wait()
        with self._lock:
            return {m['server_id']: hold.thawed[m['server_id']]
                    for m in members if m['server_id'] in hold.thawed}

    def _thaw_until_thawed(self, key, token, member, first):
        interval = self._retry_interval
        while True:
            try:
                self._thaw(member)
                break
            except Exception as e:
                first.set()
                LOG.warning('Thaw of %s for %s failed (%s); retrying in '
                            '%.1f s', member['server_id'], key, e, interval)
                time.sleep(interval)
                interval = min(interval * 2, self._max_retry_interval)
        with self._lock:
            hold = self._holds.get(key)
            if hold is not None and hold.token == token:
                hold.thawed[member['server_id']] = time.time()
                hold.thawing -= 1
        first.set()
        self._done_if_thawed(key, token)

    def _done_if_thawed(self, key, token):
        """Forget key (on disk, in the guard) once nothing may be frozen."""
        with self._lock:
            hold = self._holds.get(key)
            if (hold is None or hold.token != token or hold.armed or
                    hold.freezing or hold.thawing):
                return
            del self._holds[key]
            self._forgetting += 1
        self._write_journal()
        if self._guard is not None and hold.members:
            self._guard.release(key, token)
        with self._lock:
            self._forgetting -= 1
            self._lock.notify_all()

    def held(self):
        """The keys still held: armed, or with a thaw not yet confirmed."""
        with self._lock:
            return sorted(self._holds)

    def wait_idle(self, timeout=None):
        """Wait until nothing is held; False if timeout came first."""
        with self._lock:
            return self._lock.wait_for(
                lambda: not self._holds and not self._forgetting, timeout)
