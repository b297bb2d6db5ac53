"""The soak: group snapshots in every mode, a fault at a random phase in
most of them, then the invariants over everything that was made.

Settings (environment):
  CS_SOAK_SNAPSHOTS  how many snapshots (default 7, the CI brief one: each
                     fault kind once)
  CS_SOAK_SEED       the random seed (printed; set it to replay a soak;
                     default 20261203, so that CI replays one soak;
                     'random' for a new one)
  CS_SOAK_MINUTES    no new snapshot starts after this (default 30)
  CS_SOAK_KEEP       available snapshots kept for the final artifact check;
                     older ones are checked, then deleted (default 20)
"""

import collections
import os
import random
import time

from consistent_snap import states

from tests.functional.conftest import SNAPSHOTS
from tests.functional.conftest import wait_for_snapshot
from tests.soak import faults
from tests.soak import invariants
from tests.soak import observe

MODES = states.MODES
PHASES = ('pending', 'fencing', 'capturing', 'finalizing')
# Where a fault lands: a random delay after the POST, or the moment the
# snapshot is seen in one of these phases.
TRIGGERS = ('delay', 'fencing', 'capturing', 'finalizing')
SETTLED = ('available', 'error')
RUN_TIMEOUT = 300  # One snapshot, a broker restart's reconnects included.
TOLERANCE_MS = 250  # Instants are read from two clocks on one machine.


def settings():
    seed = os.environ.get('CS_SOAK_SEED') or '20261203'
    return {'snapshots': int(os.environ.get('CS_SOAK_SNAPSHOTS', '7')),
            'seed': (random.SystemRandom().randrange(10 ** 6)
                     if seed == 'random' else int(seed)),
            'minutes': float(os.environ.get('CS_SOAK_MINUTES', '30')),
            'keep': int(os.environ.get('CS_SOAK_KEEP', '20'))}


def schedule(rng, count, kinds):
    """Every fault kind once in each block, beside clean runs, shuffled.

    The first block starts with every kind, so that a brief soak (as many
    snapshots as kinds) injects each one.
    """
    block = list(kinds) + ['none'] * max(1, len(kinds) * 2 // 3)
    plan = rng.sample(list(kinds), len(kinds))
    while len(plan) < count:
        rng.shuffle(block)
        plan += block
    return plan[:count]


class Soak:
    def __init__(self, cloud, admin, api, fake_servers, guests, volume,
                 max_freeze_ms, seed):
        self.cloud, self.admin, self.api = cloud, admin, api
        self.guests, self.volume = guests, volume
        self.server_ids = [s.id for s in fake_servers] + [
            g.server.id for g in guests]
        self.hosts = list(cloud.COMPUTE_HOSTS) + list(cloud.libvirt_hosts())
        # The whole app (fake hosts, Nova images, the Cinder volume, the
        # real guests), or only the real guests: a third of the time each
        # takes, so twice the snapshots for the same minutes.
        self.targets = {'app': (self.server_ids, self.hosts)}
        if guests:
            self.targets['guests'] = ([g.server.id for g in guests],
                                      list(cloud.libvirt_hosts()))
        self.target = 'app'
        self.target_counts = collections.Counter()
        self.modes = MODES
        self.max_freeze_ms = max_freeze_ms
        self.rng = random.Random(seed)
        self.glance_policy = cloud.MC_DIR / 'etc' / 'glance' / 'policy.yaml'
        self.records = []  # Every snapshot, as first seen final.
        self.extra = []  # Overlapping requests that were accepted.
        self.overlap_answers = collections.Counter()
        self.faults = collections.Counter()
        self.artifacts = {}  # Checked before a mid-soak delete.
        self.chains_before = observe.chain_depths(guests)

    def body(self, mode):
        return {'servers': self.targets[self.target][0], 'consistent': True,
                'mode': mode, 'quiesce': True}

    def target_hosts(self):
        return self.targets[self.target][1]

    def _post(self, mode, timeout=120):
        """POST, retried while the previous run still holds the servers."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.api('POST', SNAPSHOTS,
                                json={'group_snapshot': self.body(mode)})
            if response.status_code == 202:
                return response.json()['group_snapshot']['id']
            assert response.status_code == 409 and (
                time.monotonic() < deadline), (
                'POST %s: %d %s' % (SNAPSHOTS, response.status_code,
                                    response.text))
            time.sleep(1)

    def _await(self, snapshot_id, trigger):
        """Return once the snapshot reached the trigger's phase (or ended)."""
        if trigger == 'delay':
            time.sleep(self.rng.uniform(0, 2.5))
            return 'after %s' % trigger
        wanted = PHASES.index(trigger)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = self._status(snapshot_id)
            if status not in PHASES or PHASES.index(status) >= wanted:
                return 'at %s (seen %s)' % (trigger, status)
            time.sleep(0.05)
        return 'at %s (never seen in 60 s)' % trigger

    def _status(self, snapshot_id):
        try:
            return self.api('GET', '%s/%s' % (SNAPSHOTS, snapshot_id)).json()[
                'group_snapshot']['status']
        except Exception:
            return 'pending'  # The API may be reconnecting to the broker.

    def run_one(self, number, mode, kind):
        inject = faults.FAULTS.get(kind)
        self.target = ('app' if kind in faults.NEEDS_APP else
                       self.rng.choice(sorted(self.targets)))
        self.target_counts[self.target] += 1
        done, recover, where = 'no fault', None, ''
        if inject and getattr(inject, 'before_post', False):
            done, recover = inject(self, None)
        started = time.monotonic()
        try:
            snapshot_id = self._post(mode)
            if inject and recover is None:
                trigger = self.rng.choice(TRIGGERS)
                where = self._await(snapshot_id, trigger)
                done, recover = inject(self, snapshot_id)
            if inject:
                self.faults[kind] += 1
            snap = self._settle(snapshot_id, mode)
        finally:
            if recover:  # Also when interrupted: the cloud is shared.
                recover()
        print('[soak %d] %-12s %-6s %s %s -> %s in %.1f s%s' % (
            number, mode, self.target, done, where, snap['final_status'],
            time.monotonic() - started,
            ': ' + snap['error'] if snap.get('error') else ''), flush=True)

    def _settle(self, snapshot_id, mode):
        """The snapshot as first seen final, then undone if it failed."""
        try:
            snap = wait_for_snapshot(self.api, snapshot_id, SETTLED,
                                     timeout=RUN_TIMEOUT)
            if snap['status'] == 'error':
                snap = self._undone(snapshot_id)
        except AssertionError:
            # Stuck: recorded as it is, the invariants name it.
            snap = self.api('GET', '%s/%s' % (SNAPSHOTS, snapshot_id)
                            ).json()['group_snapshot']
        snap['final_status'] = snap['status']
        snap['mode'] = mode
        self.records.append(snap)
        return snap

    def _undone(self, snapshot_id, timeout=120):
        """A failed snapshot once no member reads as holding anything."""
        deadline = time.monotonic() + timeout
        while True:
            snap = self.api('GET', '%s/%s' % (SNAPSHOTS, snapshot_id)).json()[
                'group_snapshot']
            if time.monotonic() > deadline or not any(
                    m['status'] in invariants.UNDONE
                    for m in snap['members']):
                return snap
            time.sleep(0.5)

    def trim(self, keep):
        """Check, then delete, available snapshots beyond the last keep."""
        available = [s for s in self.records if s['status'] == 'available']
        for snap in available[:-keep] if keep else available:
            self.artifacts.update(observe.artifact_statuses(
                self.admin, invariants.artifacts_of(snap)))
            snap['artifacts_checked_while_available'] = True
            self.delete(snap)

    def delete(self, snap):
        self.api('DELETE', '%s/%s' % (SNAPSHOTS, snap['id']))
        try:
            ended = wait_for_snapshot(self.api, snap['id'],
                                      ('deleted', 'error'), timeout=120)
            snap['status'] = ended['status']
        except AssertionError:
            snap['status'] = 'deleting (stuck)'

    def adopt_extra(self):
        """Overlapping requests that were accepted are soak snapshots too."""
        for snapshot_id in self.extra:
            snap = self._settle(snapshot_id, 'overlap')
            print('[soak overlap] accepted request %s -> %s: %s' % (
                snapshot_id, snap['final_status'], snap.get('error')))
        self.extra = []

    def refresh(self):
        """Members and status as they are now (an undo may end late)."""
        for snap in self.records:
            if snap['status'] in ('deleted', 'deleting (stuck)'):
                continue
            now = self.api('GET', '%s/%s' % (SNAPSHOTS, snap['id'])).json()[
                'group_snapshot']
            snap.update(status=now['status'], members=now['members'])

    def facts(self):
        self.refresh()
        ids = [s['id'] for s in self.records]
        current = [s for s in self.records if s['status'] == 'available']
        artifacts = dict(self.artifacts)
        artifacts.update(observe.artifact_statuses(
            self.admin, [k for s in current
                         for k in invariants.artifacts_of(s)]))
        return {'snapshots': self.records, 'artifacts': artifacts,
                'labelled': observe.labelled(self.admin, ids),
                'guests': observe.freeze_states(self.guests),
                'chains': {name: {'before': depths, 'after':
                                  observe.chain_depths(self.guests)[name]}
                           for name, depths in self.chains_before.items()},
                'journals': observe.journals(self.cloud.CS_DIR, self.hosts),
                'max_freeze_ms': self.max_freeze_ms,
                'tolerance_ms': TOLERANCE_MS}


def run(soak, config):
    """The whole soak; returns (violations, figures)."""
    started = time.monotonic()
    kinds = [k for k in faults.FAULTS if soak.guests or
             k != 'guest_agent_hang']
    plan = schedule(soak.rng, config['snapshots'], kinds)
    print('\nsoak: %d snapshots, seed %d (CS_SOAK_SEED=%d replays it), '
          'bound %.0f min' % (len(plan), config['seed'], config['seed'],
                              config['minutes']), flush=True)
    for number, kind in enumerate(plan, 1):
        if time.monotonic() - started > config['minutes'] * 60:
            print('soak: CS_SOAK_MINUTES reached after %d snapshots' % (
                number - 1))
            break
        soak.run_one(number, MODES[(number - 1) % len(MODES)], kind)
        soak.adopt_extra()
        soak.trim(config['keep'])
    violations, figures = settle(soak)
    figures.update(seed=config['seed'], faults=dict(soak.faults),
                   targets=dict(soak.target_counts),
                   overlap_answers=dict(soak.overlap_answers),
                   wall_s=round(time.monotonic() - started))
    return violations, figures


def settle(soak, timeout=180):
    """The invariants, asked again until they hold or timeout has passed.

    Clean-up after an error (a dead host's abort timing out, a thaw
    retried) ends a little after the snapshot does.
    """
    deadline = time.monotonic() + timeout
    while True:
        violations, figures = invariants.check(soak.facts())
        if not violations or time.monotonic() > deadline:
            return violations, figures
        time.sleep(5)
