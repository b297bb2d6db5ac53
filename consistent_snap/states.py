"""Group snapshot states and the one table of allowed transitions."""

PENDING = 'pending'
FENCING = 'fencing'
CAPTURING = 'capturing'
FINALIZING = 'finalizing'
AVAILABLE = 'available'
ERROR = 'error'
ABORTED = 'aborted'
DELETING = 'deleting'
DELETED = 'deleted'

FINAL = frozenset((AVAILABLE, ERROR, ABORTED, DELETED))
# What a user, or retention, may delete: nothing in progress.
DELETABLE = (AVAILABLE, ERROR, ABORTED)

TRANSITIONS = {
    # Straight to capturing when the snapshot is not fenced.
    PENDING: {FENCING, CAPTURING, ERROR, ABORTED},
    FENCING: {CAPTURING, ERROR, ABORTED},
    CAPTURING: {FINALIZING, ERROR, ABORTED},
    FINALIZING: {AVAILABLE, ERROR},
    AVAILABLE: {DELETING},
    ERROR: {DELETING},
    ABORTED: {DELETING},
    DELETING: {DELETED, ERROR},
    DELETED: set(),
}


def can_move(current, new):
    return new in TRANSITIONS[current]


# A restore: planned, then its resources created stage by stage; a failure
# deletes what it created, in reverse order, before it ends in error.
class Restore:
    PENDING = 'pending'
    RESTORING = 'restoring'
    AVAILABLE = 'available'
    ERROR = 'error'
    DELETING = 'deleting'
    DELETED = 'deleted'

    FINAL = frozenset((AVAILABLE, ERROR, DELETED))
    DELETABLE = (AVAILABLE, ERROR)
    TRANSITIONS = {
        PENDING: {RESTORING, ERROR},
        RESTORING: {AVAILABLE, ERROR},
        AVAILABLE: {DELETING},
        ERROR: {DELETING},
        DELETING: {DELETED, ERROR},
        DELETED: set(),
    }

    @classmethod
    def can_move(cls, current, new):
        return new in cls.TRANSITIONS[current]
