"""Which of a backup policy's snapshots retention deletes.

A pure function of the snapshots and "now": the scheduler deletes what it
names through the same path as a user's delete.
"""

from consistent_snap import states


def expired(snapshots, keep_last=None, max_age_s=None, now=None,
            passed=()):
    """The ids of the snapshots to delete, oldest first.

    snapshots: one policy's, as dicts with id, status and created_at;
    passed: the ids of those whose latest verification passed. Only
    finished ones are candidates (a run in progress, or a delete, is left
    alone). A snapshot goes when it is not among the keep_last newest, or
    is older than max_age_s. The newest available one always stays, so a
    run of failures never leaves zero good snapshots; so does the newest
    proven to restore, while the newer ones are not.
    """
    candidates = sorted(
        (s for s in snapshots if s['status'] in states.DELETABLE),
        key=lambda s: (s['created_at'], s['id']), reverse=True)
    kept = {next((s['id'] for s in candidates if keep(s)), None)
            for keep in (lambda s: s['status'] == states.AVAILABLE,
                         lambda s: s['status'] == states.AVAILABLE and
                         s['id'] in passed)}
    doomed = []
    for position, snap in enumerate(candidates):
        if snap['id'] in kept:
            continue
        too_many = keep_last is not None and position >= keep_last
        too_old = max_age_s is not None and (
            (now - snap['created_at']).total_seconds() > max_age_s)
        if too_many or too_old:
            doomed.append(snap['id'])
    return doomed[::-1]
