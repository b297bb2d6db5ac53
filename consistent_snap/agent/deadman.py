"""The dead-man timer: no guest stays frozen past max_freeze."""

import json
import os
import threading
import time

from oslo_log import log as logging

LOG = logging.getLogger(__name__)
# Fire this much early, so that the thaw is done by max_freeze.
THAW_MARGIN_S = 0.25


class Deadman:
    """Thaws what it was armed for when its time runs out.

    Armed before the first freeze, so a lost commit, a dead coordinator or
    a broker outage cannot leave a guest frozen. The thaw is retried until
    it succeeds. What is armed is also written to a journal on disk: an
    agent killed while guests were frozen thaws them when it starts again.
    """

    def __init__(self, thaw, journal_path=None, retry_interval=0.5):
        self._thaw = thaw
        self._journal_path = journal_path
        self._retry_interval = retry_interval
        self._timers = {}
        self._armed = {}
        self._expired = {}
        self._lock = threading.Lock()

    def _write_journal(self):
        if self._journal_path is None:
            return
        tmp = self._journal_path + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(self._armed, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self._journal_path)

    def recover(self):
        """Thaw whatever a previous life of this agent left frozen."""
        if self._journal_path is None or not os.path.exists(
                self._journal_path):
            return 0
        with open(self._journal_path) as f:
            left = json.load(f)
        count = 0
        for key, members in left.items():
            LOG.warning('Thawing %d members of %s, frozen by this agent '
                        'before it stopped', len(members), key)
            self._thaw_all(members)
            count += len(members)
        with self._lock:
            self._write_journal()
        return count

    def arm(self, key, members, seconds):
        timer = threading.Timer(max(0.05, seconds - THAW_MARGIN_S),
                                self._expire, (key, members))
        timer.daemon = True
        with self._lock:
            self._timers[key] = timer
            self._armed[key] = [{'server_id': m['server_id'],
                                 'name': m.get('name')} for m in members]
            self._write_journal()
        timer.start()

    def disarm(self, key):
        """Stop the timer; False if it had already thawed ``key``."""
        with self._lock:
            timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        return timer is not None

    def done(self, key):
        """``key``'s members are thawed: forget them on disk too."""
        with self._lock:
            if self._armed.pop(key, None) is not None:
                self._write_journal()

    def expired_at(self, key):
        """When the timer thawed ``key``'s members, or None."""
        with self._lock:
            return self._expired.get(key)

    def _expire(self, key, members):
        with self._lock:
            if self._timers.pop(key, None) is None:
                return  # Disarmed while the timer fired.
            self._expired[key] = time.time()
        LOG.warning('max_freeze reached for %s: thawing %d members',
                    key, len(members))
        self._thaw_all(members)
        self.done(key)

    def thaw_now(self, members):
        """Thaw members at once, retrying each frozen one until it thaws."""
        self._thaw_all(members)

    def _thaw_all(self, members):
        for member in members:
            while True:
                try:
                    self._thaw(member)
                    break
                except Exception:
                    if member.get('quiesced') is False:
                        # Its freeze failed (e.g. no guest agent): try once,
                        # in case a late freeze went through, then let go.
                        LOG.warning('Thaw of %s, which was not frozen, '
                                    'failed too', member['server_id'])
                        break
                    LOG.exception('Thaw of %s failed; retrying',
                                  member['server_id'])
                    time.sleep(self._retry_interval)
