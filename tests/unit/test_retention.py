"""Which of a policy's snapshots retention deletes."""

import datetime

import pytest

from consistent_snap.coordinator import retention

NOW = datetime.datetime(2026, 1, 10)


def _snap(id, status, days_ago):
    return {'id': id, 'status': status,
            'created_at': NOW - datetime.timedelta(days=days_ago)}


def test_nothing_without_a_rule():
    snaps = [_snap('a', 'available', 9), _snap('b', 'error', 1)]
    assert retention.expired(snaps, now=NOW) == []


def test_keep_last_deletes_the_older_ones_oldest_first():
    snaps = [_snap(str(d), 'available', d) for d in (3, 1, 5, 2, 4)]
    assert retention.expired(snaps, keep_last=2, now=NOW) == ['5', '4', '3']


def test_max_age_deletes_what_is_older():
    snaps = [_snap(str(d), 'available', d) for d in (1, 2, 3, 4)]
    assert retention.expired(snaps, max_age_s=2 * 86400 + 1,
                             now=NOW) == ['4', '3']


def test_either_rule_is_enough_to_delete():
    snaps = [_snap(str(d), 'available', d) for d in (1, 2, 3, 4)]
    assert retention.expired(snaps, keep_last=3, max_age_s=int(1.5 * 86400),
                             now=NOW) == ['4', '3', '2']


def test_the_newest_available_survives_failed_runs():
    snaps = [_snap('good', 'available', 5), _snap('e1', 'error', 3),
             _snap('e2', 'error', 2), _snap('e3', 'error', 1)]
    assert retention.expired(snaps, keep_last=1, now=NOW) == ['e1', 'e2']
    # However old it is.
    assert retention.expired(snaps, max_age_s=60, now=NOW) == [
        'e1', 'e2', 'e3']


def test_only_the_newest_available_is_protected():
    snaps = [_snap('old', 'available', 5), _snap('new', 'available', 4),
             _snap('e', 'error', 1)]
    assert retention.expired(snaps, keep_last=1, now=NOW) == ['old']


@pytest.mark.parametrize('status', ['pending', 'fencing', 'capturing',
                                    'finalizing', 'deleting', 'deleted'])
def test_unfinished_and_deleted_snapshots_are_not_candidates(status):
    snaps = [_snap('busy', status, 9), _snap('a', 'available', 2),
             _snap('b', 'available', 1)]
    assert retention.expired(snaps, keep_last=1, max_age_s=1,
                             now=NOW) == ['a']


def test_a_tie_on_created_at_is_broken_by_id():
    snaps = [_snap('x', 'available', 1), _snap('y', 'available', 1)]
    assert retention.expired(snaps, keep_last=1, now=NOW) == ['x']


def test_the_newest_snapshot_proven_to_restore_survives_newer_unproven():
    snaps = [_snap(str(d), 'available', d) for d in (1, 2, 3, 4)]
    # 3 passed its verification; 1 and 2 have none yet (or failed), 4
    # passed too but is older.
    assert retention.expired(snaps, keep_last=1, now=NOW,
                             passed={'3', '4'}) == ['4', '2']


def test_a_passed_snapshot_is_no_reason_to_keep_it_once_the_newest_is():
    snaps = [_snap(str(d), 'available', d) for d in (1, 2, 3)]
    assert retention.expired(snaps, keep_last=1, now=NOW,
                             passed={'1', '3'}) == ['3', '2']
