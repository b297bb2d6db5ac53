import concurrent.futures
import threading
import time

from oslo_log import log as logging
import oslo_messaging as messaging
from oslo_utils import timeutils

from consistent_snap.agent import rpcapi as agent_rpcapi
from consistent_snap import context as cs_context
from consistent_snap import coordination
from consistent_snap.coordinator import gc
from consistent_snap.coordinator import inbox
from consistent_snap.coordinator import rpcapi
from consistent_snap.coordinator import scheduler
from consistent_snap.coordinator import snapshot
from consistent_snap.db import api as db_api
from consistent_snap import exception
from consistent_snap.restore import run as restore_run
from consistent_snap import rpc
from consistent_snap import states

LOG = logging.getLogger(__name__)
# A delete asked as a run ends (its status final, its trust still being
# revoked) waits this long for the run's lock rather than for the sweep.
FINISHING_S = 60


def lock_name(snapshot_id):
    return 'consistent-snap-group-snapshot-%s' % snapshot_id


def restore_lock_name(restore_id):
    return 'consistent-snap-restore-%s' % restore_id


class CoordinatorManager:
    """The patent's cloud operation server: drives group snapshots."""

    RPC_API_VERSION = '1.2'
    target = messaging.Target(version=RPC_API_VERSION)

    def __init__(self, conf, host):
        self.conf = conf
        self.host = host
        self.agents = None
        self.inbox = inbox.FenceInbox()
        self.notifier = None
        self.coordination = coordination.Coordination(conf, host)
        self.scheduler = None
        self._stopping = threading.Event()
        self._sweeper = None
        self._scheduling = None
        self._collecting = None
        self._runs = None

    def start(self):
        """After the fork: clients, locks, the sweep and schedule threads."""
        self.agents = agent_rpcapi.AgentAPI(inbox=self.inbox,
                                            reply_to=self.host)
        self.notifier = rpc.get_notifier(
            'consistent-snap-coordinator.%s' % self.host)
        self.coordination.start()
        self._runs = concurrent.futures.ThreadPoolExecutor(
            self.conf.coordinator.run_workers, thread_name_prefix='run')
        self._sweeper = threading.Thread(target=self._sweep_forever,
                                         name='sweeper', daemon=True)
        self._sweeper.start()
        # Runs are cast to every coordinator, this one included, as the
        # API casts requests.
        self.scheduler = scheduler.Scheduler(self.conf, self.coordination,
                                             rpcapi.CoordinatorAPI())
        self._scheduling = threading.Thread(target=self._schedule_forever,
                                            name='scheduler', daemon=True)
        self._scheduling.start()
        if self.conf.coordinator.gc_interval:
            self._collecting = threading.Thread(target=self._gc_forever,
                                                name='gc', daemon=True)
            self._collecting.start()

    def stop(self):
        self._stopping.set()
        if self._runs is not None:
            # Queued runs stay pending in the database: a sweep starts
            # them. Runs in progress end first (their locks are ours).
            self._runs.shutdown(wait=True, cancel_futures=True)
        self.coordination.stop()

    def _submit(self, work, *args):
        """A run in the pool: its RPC handler returns at once."""
        def logged():
            try:
                work(*args)
            except Exception:
                LOG.exception('%s failed', work.__name__)
        self._runs.submit(logged)

    def _sweep_forever(self):
        # The first sweep runs at once: a restarted coordinator cleans up
        # what its predecessor left in flight.
        while not self._stopping.is_set():
            try:
                self.sweep()
                self.sweep_restores()
            except Exception:
                LOG.exception('Sweep for unattended snapshots failed')
            self._stopping.wait(self.conf.coordination.reap_interval)

    def _schedule_forever(self):
        while not self._stopping.is_set():
            try:
                self.scheduler.tick()
            except Exception:
                LOG.exception('Backup policy scheduler tick failed')
            self._stopping.wait(self.conf.coordinator.schedule_interval)

    def _gc_forever(self):
        # Not at once: every restart would list the whole cloud again.
        while not self._stopping.wait(self.conf.coordinator.gc_interval):
            try:
                self.gc()
            except Exception:
                LOG.exception('Garbage collection failed')

    def gc(self):
        """Delete the garbage artifacts; one coordinator at a time.

        Returns the gc.Result, or None if another coordinator collects.
        """
        lock = self.coordination.try_lock(gc.LOCK)
        if lock is None:
            return None
        try:
            context = cs_context.RequestContext(is_admin=True,
                                                overwrite=False)
            result = gc.collect(self.conf, context)
        finally:
            lock.release()
        for verdict in result.garbage:
            (LOG.info if verdict.deleted else LOG.warning)(
                'Garbage collector: %s', verdict.line(result.dry_run))
        (LOG.warning if result.failed or result.errors else LOG.info)(
            'Garbage collector: %s', result.summary())
        return result

    def sweep(self):
        """Take over every unfinished snapshot that nobody holds."""
        context = cs_context.RequestContext(is_admin=True, overwrite=False)
        for listed in db_api.group_snapshot_list_unfinished(context):
            lock = self.coordination.try_lock(lock_name(listed['id']))
            if lock is None:
                continue  # A live coordinator drives it.
            try:
                # Read again under the lock: the coordinator that held it
                # may have finished the snapshot since the list was read.
                snap = db_api.group_snapshot_get(context, listed['id'])
                if snap['status'] not in states.FINAL:
                    self._take_over(context, snap)
            finally:
                lock.release()
        # Runs that ended without freeing their servers (theirs, just
        # reaped above, or one whose coordinator died as it ended).
        for snapshot_id in db_api.server_reservations_of_final(context):
            self._locked(lock_name(snapshot_id),
                         lambda: self._release_servers(snapshot_id))

    def sweep_restores(self):
        """Fail and undo every unfinished restore that nobody holds."""
        context = cs_context.RequestContext(is_admin=True, overwrite=False)
        for listed in db_api.restore_list_unfinished(context):
            lock = self.coordination.try_lock(restore_lock_name(listed['id']))
            if lock is None:
                continue
            try:
                current = db_api.restore_get(context, listed['id'])
                age = timeutils.delta_seconds(current['created_at'],
                                              timeutils.utcnow())
                if current['status'] == states.Restore.PENDING:
                    if age >= self.conf.coordination.pending_grace:
                        restore_run.RestoreRun(self.conf, context,
                                               current['id'], self.notifier,
                                               self.agents).run()
                elif current['status'] == states.Restore.DELETING:
                    restore_run.delete(self.conf, context, current['id'])
                elif current['status'] not in states.Restore.FINAL:
                    restore_run.reap(self.conf, context, current,
                                     self.notifier)
            finally:
                lock.release()
        for kept in db_api.restore_list_expired(context, timeutils.utcnow()):
            self._locked(restore_lock_name(kept['id']), lambda: (
                restore_run.discard(self.conf, context, kept)))

    def _take_over(self, context, snap):
        age = timeutils.delta_seconds(snap['created_at'], timeutils.utcnow())
        if snap['status'] == states.PENDING:
            if age >= self.conf.coordination.pending_grace:
                LOG.warning('Group snapshot %s waited %.0f s for its '
                            'message: starting it', snap['id'], age)
                self._run(context, snap['id'])
        elif snap['status'] == states.DELETING:
            snapshot.delete_snapshot(self.conf, context, snap['id'])
        else:
            snapshot.reap(self.conf, self.agents, self.notifier, context, snap)

    def _run(self, context, snapshot_id):
        snapshot.GroupSnapshotRun(self.conf, self.agents, self.notifier,
                                  context, snapshot_id).run()

    @messaging.expose
    def ping(self, context):
        return {'host': self.host, 'time': time.time()}

    @messaging.expose
    def fence_report(self, context, snapshot_id, phase, host, report):
        self.inbox.fence_report(context, snapshot_id, phase, host, report)

    @messaging.expose
    def create_group_snapshot(self, context, snapshot_id):
        self._submit(self._create_group_snapshot, context, snapshot_id)

    def _create_group_snapshot(self, context, snapshot_id):
        lock = self.coordination.try_lock(lock_name(snapshot_id))
        if lock is None:
            LOG.info('Group snapshot %s is driven elsewhere', snapshot_id)
            return
        try:
            # The run frees its servers itself as it ends (available, or
            # undone after error); the sweep frees those of a run that died.
            self._run(context, snapshot_id)
        finally:
            lock.release()

    def _release_servers(self, snapshot_id):
        """Under the snapshot's lock: once it ended, its servers are free.

        Not before: a failed run still thaws and deletes, and another
        snapshot's freeze must not begin under that thaw.
        """
        context = cs_context.RequestContext(is_admin=True, overwrite=False)
        try:
            ended = db_api.group_snapshot_get(
                context, snapshot_id)['status'] in states.FINAL
        except exception.GroupSnapshotNotFound:
            ended = True
        if ended:
            db_api.servers_release(context, snapshot_id)

    def _locked(self, name, work, wait_s=0):
        lock = self.coordination.try_lock(name, wait_s)
        if lock is None:
            LOG.info('%s is driven elsewhere', name)
            return
        try:
            work()
        finally:
            lock.release()

    @messaging.expose
    def create_restore(self, context, restore_id):
        self._submit(self._locked, restore_lock_name(restore_id),
                     restore_run.RestoreRun(self.conf, context, restore_id,
                                            self.notifier, self.agents).run)

    @messaging.expose
    def delete_restore(self, context, restore_id):
        self._submit(self._locked, restore_lock_name(restore_id),
                     lambda: restore_run.delete(self.conf, context,
                                                restore_id), FINISHING_S)

    @messaging.expose
    def delete_group_snapshot(self, context, snapshot_id):
        self._submit(self._delete_group_snapshot, context, snapshot_id)

    def _delete_group_snapshot(self, context, snapshot_id):
        lock = self.coordination.try_lock(lock_name(snapshot_id),
                                          FINISHING_S)
        if lock is None:
            return
        try:
            snapshot.delete_snapshot(self.conf, context, snapshot_id)
        finally:
            lock.release()
