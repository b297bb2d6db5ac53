"""What must be true once a soak has settled; pure functions over facts.

``check(facts)`` returns (violations, figures). facts is a plain dict the
driver gathers from the API, Glance, Cinder, the guests and the agents'
journals (keys documented in ``check``); nothing here talks to a service,
so the checks can be tested and reused on facts from anywhere.
"""

import collections
import datetime

SETTLED = ('available', 'error')
# A member that reads as holding something: a failed snapshot is undone
# once none does. 'pending' is not among them: a member whose agent was
# killed and restarted is never reported again (the new agent knows
# nothing of it); it is counted, and the guests' own state is checked.
UNDONE = ('frozen', 'captured')
ACTIVE = {'image': 'active', 'volume_snapshot': 'available',
          'volume_group_snapshot': 'available'}
LEVELS = ('crash', 'filesystem', 'application')
EARLY_THAW = 'after max_freeze thawed'  # The agent's downgrade reason.


def epoch(instant):
    """The API's instants ('...T..:..:..ffffffZ') as epoch seconds."""
    if instant is None:
        return None
    return datetime.datetime.strptime(
        instant, '%Y-%m-%dT%H:%M:%S.%fZ').replace(
            tzinfo=datetime.timezone.utc).timestamp()


def actually_frozen(member):
    """A member whose guest was frozen.

    It claims a quiesce, or the dead-man timer released its freeze early.
    """
    return (member.get('frozen_at') is not None and (
        member.get('consistency') in LEVELS[1:] or
        EARLY_THAW in (member.get('consistency_reason') or '')))


def check(facts):
    """(violations, figures) for facts:

    snapshots: [{'id', 'mode', 'final_status', 'error', 'members': [...],
                 'consistency', 'status'}]: each as first seen final, with
                its current 'status' ('deleted' once the soak deleted it);
    artifacts: {(kind, id): status or None if missing}, looked up for
               every artifact of every snapshot still available;
    labelled: [(kind, id, snapshot_id)]: Glance images / Cinder snapshots
              carrying the consistent_snap_group_snapshot_id label of one
              of these snapshots;
    guests: {name: guest-fsfreeze-status};
    chains: {guest: {'before': {disk: depth}, 'after': {disk: depth}}};
    journals: {host: [snapshot ids its dead-man journal still holds]};
    max_freeze_ms, tolerance_ms: the agents' limit and the slack allowed.
    """
    violations = []
    figures = {'max_freeze_ms': facts['max_freeze_ms'],
               'tolerance_ms': facts['tolerance_ms']}
    snaps = facts['snapshots']
    violations += _final(snaps, figures)
    violations += _artifacts(snaps, facts['artifacts'], figures)
    violations += _labelled(snaps, facts['labelled'], figures)
    violations += _guests(facts['guests'], facts['journals'], figures)
    violations += _freezes(snaps, facts['max_freeze_ms'],
                           facts['tolerance_ms'], figures)
    violations += _chains(facts['chains'], figures)
    violations += _claims(snaps, figures)
    return violations, figures


def _final(snaps, figures):
    found = []
    outcomes = collections.Counter()
    pending = 0
    for snap in snaps:
        outcomes[(snap['mode'], snap['final_status'])] += 1
        pending += sum(1 for m in snap['members']
                       if m['status'] == 'pending')
        if snap['final_status'] not in SETTLED:
            found.append('snapshot %s (%s) ended %s, not available or error'
                         % (snap['id'], snap['mode'], snap['final_status']))
            continue
        if snap['final_status'] == 'error' and not snap.get('error'):
            found.append('snapshot %s is in error without a message saying '
                         'why' % snap['id'])
        held = [m['server_id'] for m in snap['members']
                if m['status'] in UNDONE]
        if snap['final_status'] == 'error' and held:
            found.append('snapshot %s is in error but members %s were '
                         'never undone (still %s)' % (
                             snap['id'], held, sorted(
                                 {m['status'] for m in snap['members']
                                  if m['status'] in UNDONE})))
    figures['snapshots'] = len(snaps)
    figures['members_left_pending'] = pending
    figures['outcomes'] = dict(outcomes)
    return found


def artifacts_of(snap):
    """(kind, id) of what a snapshot made: a libvirt disk is its image."""
    return [('image', a.get('image_id')) if a['type'] == 'libvirt_disk'
            else (a['type'], a['id'])
            for m in snap['members'] for a in m.get('artifacts') or []]


def _artifacts(snaps, statuses, figures):
    found = []
    checked = 0
    for snap in snaps:
        if snap['status'] != 'available':
            continue
        for key in artifacts_of(snap):
            checked += 1
            status = statuses.get(key)
            if status != ACTIVE.get(key[0], 'active'):
                found.append('available snapshot %s: its %s %s is %s' % (
                    snap['id'], key[0], key[1], status or 'missing'))
    figures['artifacts_checked'] = checked
    return found


def _labelled(snaps, labelled, figures):
    available = {s['id'] for s in snaps if s['status'] == 'available'}
    status = {s['id']: s['status'] for s in snaps}
    figures['labelled_artifacts'] = len(labelled)
    return ['%s %s is labelled with snapshot %s, which is %s: left behind'
            % (kind, artifact_id, snapshot_id, status.get(snapshot_id))
            for kind, artifact_id, snapshot_id in labelled
            if snapshot_id not in available]


def _guests(guests, journals, figures):
    figures['guests_checked'] = len(guests)
    figures['guest_states'] = dict(collections.Counter(guests.values()))
    found = ['guest %s is %s at the end (guest-fsfreeze-status), not '
             'thawed' % (name, status)
             for name, status in sorted(guests.items()) if status != 'thawed']
    found += ['agent on %s still holds freezes of %s in its dead-man '
              'journal' % (host, held)
              for host, held in sorted(journals.items()) if held]
    figures['journals_checked'] = len(journals)
    return found


def _freezes(snaps, max_freeze_ms, tolerance_ms, figures):
    found = []
    longest = 0.0
    frozen = unconfirmed = 0
    for snap in snaps:
        for member in snap['members']:
            if not actually_frozen(member):
                continue
            frozen += 1
            if member.get('thawed_at') is None:
                unconfirmed += 1  # The guest checks cover it.
                continue
            window = (epoch(member['thawed_at']) -
                      epoch(member['frozen_at'])) * 1000
            longest = max(longest, window)
            if window > max_freeze_ms + tolerance_ms:
                found.append('snapshot %s: server %s was frozen %.0f ms, '
                             'over max_freeze %d ms (+%d)' % (
                                 snap['id'], member['server_id'], window,
                                 max_freeze_ms, tolerance_ms))
    figures.update(members_frozen=frozen, thaw_unconfirmed=unconfirmed,
                   longest_freeze_ms=round(longest))
    return found


def _chains(chains, figures):
    found = []
    for guest, depths in sorted(chains.items()):
        for disk, before in sorted(depths['before'].items()):
            after = depths['after'].get(disk)
            if after is None or after > before:
                found.append('guest %s disk %s: backing chain depth %s '
                             'after the soak, %d before' % (
                                 guest, disk, after, before))
    figures['chains'] = {'%s/%s' % (g, d): '%d->%s' % (
        n, depths['after'].get(d)) for g, depths in chains.items()
        for d, n in depths['before'].items()}
    return found


def _claims(snaps, figures):
    found = []
    claims = 0
    for snap in snaps:
        if snap['final_status'] != 'available':
            continue
        levels = []
        for member in snap['members']:
            level = member.get('consistency')
            levels.append(level)
            if level not in LEVELS[1:]:
                continue
            claims += 1
            fixed, thawed = member.get('fixed_at'), member.get('thawed_at')
            if fixed is None or (thawed is not None and
                                 epoch(fixed) > epoch(thawed)):
                found.append('snapshot %s: server %s claims %s but its '
                             'point was fixed at %s, after its thaw at %s' %
                             (snap['id'], member['server_id'], level,
                              fixed, thawed))
        weakest = min(levels, key=_rank, default=None)
        if snap.get('consistency') and _rank(snap['consistency']) > _rank(
                weakest):
            found.append('snapshot %s claims %s, more than its weakest '
                         'member (%s)' % (snap['id'], snap['consistency'],
                                          weakest))
    figures['consistency_claims'] = claims
    return found


def _rank(level):
    return LEVELS.index(level) if level in LEVELS else -1


def table(figures, violations):
    """The figures, then the violations, as lines for a person to read."""
    lines = ['%-22s %s' % ('figure', 'value'), '-' * 60]
    for key in ('seed', 'wall_s', 'snapshots', 'targets', 'outcomes',
                'faults',
                'overlap_answers', 'members_left_pending',
                'artifacts_checked',
                'labelled_artifacts', 'guests_checked', 'guest_states',
                'journals_checked', 'members_frozen', 'thaw_unconfirmed',
                'longest_freeze_ms', 'max_freeze_ms', 'tolerance_ms',
                'consistency_claims', 'chains'):
        if key in figures:
            value = figures[key]
            if isinstance(value, dict):
                value = ', '.join('%s: %s' % (
                    '/'.join(k) if isinstance(k, tuple) else k, v)
                    for k, v in sorted(value.items()))
            lines.append('%-22s %s' % (key, value))
    lines.append('violations: %d' % len(violations))
    lines += ['  - ' + v for v in violations]
    return '\n'.join(lines)
