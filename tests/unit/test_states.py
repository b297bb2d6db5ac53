from consistent_snap import states


def test_final_states_only_move_to_deletion():
    for state in (states.AVAILABLE, states.ERROR):
        assert states.TRANSITIONS[state] == {states.DELETING}
    assert states.TRANSITIONS[states.DELETED] == set()


def test_every_state_can_end_in_a_final_state():
    for state in states.TRANSITIONS:
        seen, todo = set(), [state]
        while todo:
            current = todo.pop()
            seen.add(current)
            todo.extend(states.TRANSITIONS[current] - seen)
        assert seen & states.FINAL, state


def test_a_snapshot_cannot_skip_the_fence():
    assert not states.can_move(states.PENDING, states.AVAILABLE)
    assert states.can_move(states.PENDING, states.FENCING)
