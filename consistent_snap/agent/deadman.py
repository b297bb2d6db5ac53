"""The dead-man timer: no guest stays frozen past max_freeze."""

import threading
import time

from oslo_log import log as logging

LOG = logging.getLogger(__name__)


class Deadman:
    """Thaws what it was armed for when its time runs out.

    Armed before the first freeze, so a lost commit, a dead coordinator or
    a broker outage cannot leave a guest frozen. The thaw is retried until
    it succeeds.
    """

    def __init__(self, thaw, retry_interval=0.5):
        self._thaw = thaw
        self._retry_interval = retry_interval
        self._timers = {}
        self._expired = {}
        self._lock = threading.Lock()

    def arm(self, key, members, seconds):
        timer = threading.Timer(seconds, self._expire, (key, members))
        timer.daemon = True
        with self._lock:
            self._timers[key] = timer
        timer.start()

    def disarm(self, key):
        with self._lock:
            timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        return timer is not None

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
        for member in members:
            while True:
                try:
                    self._thaw(member)
                    break
                except Exception:
                    LOG.exception('Thaw of %s failed; retrying',
                                  member['server_id'])
                    time.sleep(self._retry_interval)
