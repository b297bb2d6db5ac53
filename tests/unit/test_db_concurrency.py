"""Concurrent writers on the SQLite default: they wait, none fails.

A deferred transaction that reads and then writes cannot wait for the
write lock (SQLite would deadlock, so it answers "database is locked" at
once, whatever the busy timeout): writers must begin IMMEDIATE.
"""

import threading

from oslo_utils import uuidutils

from consistent_snap import context as cs_context
from consistent_snap import states

WRITERS = 8
ROUNDS = 25


def _ctx(project):
    return cs_context.RequestContext(user_id='u', project_id=project,
                                     overwrite=False)


def test_read_then_write_transactions_wait_for_each_other(db):
    project = 'p-' + uuidutils.generate_uuid()
    ctx = _ctx(project)
    groups = [db.app_group_create(ctx, {
        'project_id': project, 'name': 'g%d' % i, 'source_type': 'servers',
        'source_ref': {'servers': []}}) for i in range(WRITERS)]
    snaps = [db.group_snapshot_create(ctx, {
        'project_id': project, 'app_group_id': g['id'],
        'status': states.PENDING, 'mode': 'barrier', 'requested_by': 'u'})
        for g in groups]
    start = threading.Barrier(WRITERS)
    errors = []

    def writer(i):
        start.wait()
        try:
            for n in range(ROUNDS):
                # Each reads its row, then writes it: the pattern that
                # failed at once on a deferred BEGIN.
                db.group_snapshot_update(ctx, snaps[i]['id'],
                                         {'error': 'round %d' % n},
                                         expected=(states.PENDING,))
                db.app_group_update(ctx, groups[i]['id'],
                                    {'description': 'round %d' % n})
        except Exception as e:
            errors.append(repr(e))

    threads = [threading.Thread(target=writer, args=(i,))
               for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for snap in snaps:
        assert db.group_snapshot_get(ctx, snap['id'])['error'] == (
            'round %d' % (ROUNDS - 1))
        # Nothing left in progress for the scheduler's tests to count.
        db.group_snapshot_update(ctx, snap['id'], {'status': states.ERROR})
