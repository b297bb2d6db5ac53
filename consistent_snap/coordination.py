"""Locks shared by every coordinator (tooz), so one snapshot has one driver.

A lock lives as long as its holder's connection or process: when a
coordinator dies, its snapshots' locks go with it, and a sweep by another
coordinator (or its successor) can take them over.
"""

from oslo_log import log as logging
from tooz import coordination

LOG = logging.getLogger(__name__)


class Coordination:
    def __init__(self, conf, member_id):
        self.conf = conf
        self.member_id = member_id.encode()
        self._coordinator = None

    def start(self):
        self._coordinator = coordination.get_coordinator(
            self.conf.coordination.backend_url, self.member_id)
        self._coordinator.start(start_heart=True)
        LOG.info('Coordination started on %s',
                 self.conf.coordination.backend_url.split('://')[0])

    def stop(self):
        if self._coordinator is not None:
            self._coordinator.stop()
            self._coordinator = None

    def try_lock(self, name, wait_s=0):
        """The held lock, or None if someone else holds it (after wait_s)."""
        lock = self._coordinator.get_lock(name.encode())
        return lock if lock.acquire(blocking=wait_s or False) else None
