"""The soak's invariants catch what they are meant to catch."""

import copy

from tests.soak import invariants


def _member(**changes):
    member = {'server_id': 's1', 'status': 'available',
              'consistency': 'filesystem', 'consistency_reason': None,
              'frozen_at': '2026-12-03T10:00:00.000000Z',
              'fixed_at': '2026-12-03T10:00:00.200000Z',
              'thawed_at': '2026-12-03T10:00:00.300000Z',
              'artifacts': [{'type': 'libvirt_disk', 'id': 's1:vda',
                             'image_id': 'img-1'}]}
    member.update(changes)
    return member


def _facts():
    return {'snapshots': [{'id': 'g1', 'mode': 'barrier',
                           'status': 'available',
                           'final_status': 'available', 'error': None,
                           'consistency': 'filesystem',
                           'members': [_member()]}],
            'artifacts': {('image', 'img-1'): 'active'},
            'labelled': [('image', 'img-1', 'g1')],
            'guests': {'guest-a': 'thawed'},
            'chains': {'guest-a': {'before': {'vda': 2},
                                   'after': {'vda': 2}}},
            'journals': {'compute-real': []},
            'max_freeze_ms': 5000, 'tolerance_ms': 250}


def _broken(change):
    facts = copy.deepcopy(_facts())
    change(facts)
    return invariants.check(facts)[0]


def test_a_sound_soak_has_no_violation_and_its_figures():
    violations, figures = invariants.check(_facts())
    assert violations == []
    assert figures['outcomes'] == {('barrier', 'available'): 1}
    assert figures['artifacts_checked'] == 1
    assert figures['longest_freeze_ms'] == 300
    assert figures['chains'] == {'guest-a/vda': '2->2'}


def test_each_broken_invariant_is_named():
    member = lambda f: f['snapshots'][0]['members'][0]  # noqa: E731
    cases = {
        'ended capturing': lambda f: f['snapshots'][0].update(
            final_status='capturing'),
        'never undone': lambda f: (f['snapshots'][0].update(
            final_status='error', status='error', error='x',
            members=[_member(status='frozen', artifacts=[])]),
            f['labelled'].clear()),
        'is missing': lambda f: f['artifacts'].update(
            {('image', 'img-1'): None}),
        'left behind': lambda f: f['labelled'].append(
            ('volume_snapshot', 'v1', 'g2')),
        'not thawed': lambda f: f['guests'].update({'guest-a': 'frozen'}),
        'dead-man journal': lambda f: f['journals'].update(
            {'compute-real': ['g1']}),
        'over max_freeze': lambda f: member(f).update(
            thawed_at='2026-12-03T10:00:05.400000Z'),
        'backing chain depth 3': lambda f: f['chains']['guest-a'].update(
            after={'vda': 3}),
        'after its thaw': lambda f: member(f).update(
            fixed_at='2026-12-03T10:00:00.400000Z'),
        'more than its weakest': lambda f: member(f).update(
            consistency='crash'),
    }
    for expected, change in cases.items():
        violations = _broken(change)
        assert len(violations) == 1 and expected in violations[0], (
            expected, violations)


def test_an_early_released_freeze_counts_as_frozen():
    released = _member(consistency='crash', consistency_reason=(
        'point in time fixed after max_freeze thawed the guest'),
        thawed_at='2026-12-03T10:00:06.000000Z')
    assert invariants.actually_frozen(released)
    assert not invariants.actually_frozen(_member(
        consistency='crash', consistency_reason='quiesce was not asked for'))
