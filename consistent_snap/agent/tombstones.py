"""The snapshots aborted on this host: none of their phases may start later.

A phase delayed in the broker (a fanout capture, a prepare overtaken by
its abort) can reach the agent after the abort: run then, it would freeze
guests and make artifacts that nobody deletes any more. The abort leaves
a tombstone, kept on disk as the dead-man journal is, so that a restart
forgets none; tombstones older than their age are dropped at each write.
"""

import json
import threading
import time

from oslo_log import log as logging

from consistent_snap.agent import deadman

LOG = logging.getLogger(__name__)


class Tombstones:
    """{snapshot id: when it was aborted here}, journaled at ``path``."""

    def __init__(self, path, max_age):
        self._path = path
        self._max_age = max_age
        self._aborted = {}
        self._lock = threading.Lock()
        self._journal_lock = threading.Lock()
        try:
            with open(path) as f:
                self._aborted = dict(json.load(f))
        except FileNotFoundError:
            pass
        except ValueError:
            # Torn by a crash before os.replace existed, or edited: an
            # agent that cannot start would thaw nothing.
            LOG.error('Ignoring unreadable aborted-snapshots file %s', path)

    def add(self, snapshot_id):
        """Remember the abort, in memory only: save() makes it last."""
        with self._lock:
            self._aborted.setdefault(snapshot_id, time.time())

    def aborted_at(self, snapshot_id):
        """When snapshot_id was aborted here (epoch), or None."""
        with self._lock:
            at = self._aborted.get(snapshot_id)
        if at is None or time.time() - at > self._max_age:
            return None
        return at

    def save(self):
        """Write every tombstone still young enough; forget the others."""
        with self._journal_lock:
            # Read under the journal lock: the last writer writes the
            # latest state.
            with self._lock:
                now = time.time()
                self._aborted = {key: at
                                 for key, at in self._aborted.items()
                                 if now - at <= self._max_age}
                aborted = dict(self._aborted)
            deadman.write_journal(self._path, aborted)
