"""Group snapshot states and the one table of allowed transitions."""

PENDING = 'pending'
FENCING = 'fencing'
CAPTURING = 'capturing'
FINALIZING = 'finalizing'
AVAILABLE = 'available'
ERROR = 'error'
DELETING = 'deleting'
DELETED = 'deleted'

FINAL = frozenset((AVAILABLE, ERROR, DELETED))
# What a user, or retention, may delete: nothing in progress.
DELETABLE = (AVAILABLE, ERROR)

TRANSITIONS = {
    # Straight to capturing when the snapshot is not fenced.
    PENDING: {FENCING, CAPTURING, ERROR},
    FENCING: {CAPTURING, ERROR},
    CAPTURING: {FINALIZING, ERROR},
    FINALIZING: {AVAILABLE, ERROR},
    AVAILABLE: {DELETING},
    ERROR: {DELETING},
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


class Verdict:
    """What a verification (a restore in isolation, checked) found."""
    PASSED = 'passed'
    FAILED = 'failed'
    # Shown for a snapshot: none finished yet, or one running.
    NEVER = 'never'
    VERIFYING = 'verifying'


class Member:
    """A member snapshot: one server, as one group snapshot captures it.

    One vocabulary for the agent that captures it, the coordinator that
    records it and the API that shows it.
    """

    # Set by its agent and recorded by the coordinator.
    PENDING = 'pending'
    FROZEN = 'frozen'
    CAPTURED = 'captured'
    AVAILABLE = 'available'
    ERROR = 'error'
    ABORTED = 'aborted'
    # Not capturable when the group was resolved: never sent to a host.
    SKIPPED = 'skipped'
    # What already says how a failed snapshot left the member.
    UNDONE = (ERROR, ABORTED, SKIPPED)

    # Consistency levels, weakest first.
    CRASH = 'crash'
    FILESYSTEM = 'filesystem'
    APPLICATION = 'application'
    LEVELS = (CRASH, FILESYSTEM, APPLICATION)

    # The instants of its fence, in seconds since the epoch.
    FENCE_INSTANTS = ('frozen_at', 'captured_at', 'fixed_at', 'thawed_at')
    INSTANTS = ('received_at', 'started_at') + FENCE_INSTANTS

    # What its agent reports of it after each phase.
    REPORT_KEYS = ('server_id', 'status', 'consistency',
                   'consistency_reason', 'artifacts') + INSTANTS + (
                       'error', 'hook_results')

    @classmethod
    def moved(cls, report, delta):
        """A report with its members' instants moved by delta seconds.

        From one host's clock to another's.
        """
        if not delta or 'members' not in report:
            return report

        def move(key, value):
            if key == 'hook_results':
                return [dict(r, started_at=r['started_at'] + delta,
                             ended_at=r['ended_at'] + delta)
                        for r in value or ()]
            return value + delta if key in cls.INSTANTS and (
                value is not None) else value
        return dict(report, members=[
            {k: move(k, v) for k, v in member.items()}
            for member in report['members']])

    @classmethod
    def weakest(cls, levels):
        """A group's level is its weakest member's; None if none is known."""
        known = [level for level in levels if level in cls.LEVELS]
        return min(known, key=cls.LEVELS.index) if known else None


# How the members' captures are fenced (coordinator/fence.py).
BARRIER = 'barrier'
SHARED_START = 'shared_start'
PRIORITY = 'priority'
MODES = (BARRIER, SHARED_START, PRIORITY)
