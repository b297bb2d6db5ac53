"""Backup policies on the real test cloud, through the real CLI and API.

demo schedules its three spread servers' app group every few seconds
(six cron fields, seconds first) and the test watches the snapshots come
and go: the policy's own retention deletes the old ones with their Glance
images. A policy on an app group with no server records why and keeps its
schedule, and two coordinators never fire one slot twice.

The `openstack appgroup policy` commands are entry points: reinstall the
package (pip install -e .) after pulling them.
"""

import datetime
import re
import time

import pytest

from tests.functional.conftest import images_of
from tests.functional.conftest import SNAPSHOTS
from tests.functional.conftest import wait_for_snapshot
from tests.functional import test_cli

DEMO = test_cli.DEMO
POLICIES = '/v1/backup-policies'
# Bounded waits: a run of three servers takes a few seconds here.
RUNS_WAIT = 180


@pytest.fixture(scope='module')
def cli():
    return test_cli.OpenStackCLI()


@pytest.fixture
def policies(api_as):
    """Delete the test's policies, then its snapshots, however it ends."""
    api = api_as('minicloud-demo')
    made = []
    yield made
    for policy_id in made:
        api('DELETE', '%s/%s' % (POLICIES, policy_id))
    for policy_id in made:
        for snap in _runs(api, policy_id):
            snap = wait_for_snapshot(api, snap['id'])
            if snap['status'] != 'deleted':
                api('DELETE', '%s/%s' % (SNAPSHOTS, snap['id']))


def _runs(api, policy_id):
    """The policy's snapshots the API lists (not deleted ones)."""
    listed = api('GET', SNAPSHOTS).json()['group_snapshots']
    return [s for s in listed
            if s['requested_by'] == 'policy:%s' % policy_id]


def _show(api, policy_id):
    return api('GET', '%s/%s' % (POLICIES, policy_id)).json()[
        'backup_policy']


def _wait(what, check, timeout=RUNS_WAIT):
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, 'waited %d s for %s' % (
            timeout, what)
        time.sleep(1)


def _policy_when(api, policy_id, predicate, what, timeout=60):
    """The policy as shown once predicate(policy) holds."""
    def check():
        policy = _show(api, policy_id)
        return policy if predicate(policy) else None
    return _wait(what, check, timeout)


def _instant(text):
    return datetime.datetime.fromisoformat(text.rstrip('Z'))


def test_scheduled_snapshots_come_and_old_ones_go(
        cli, api_as, admin, tagged_app_group, policies):
    api = api_as('minicloud-demo')
    created = cli.json(DEMO, 'appgroup', 'policy', 'create',
                       tagged_app_group['name'], '--cron', '*/5 * * * * *',
                       '--keep-last', '2', '--name', 'every-5-s')
    policies.append(created['id'])
    assert (created['app_group_id'], created['keep_last'],
            created['enabled']) == (tagged_app_group['id'], 2, True)
    assert _instant(created['next_run_at']).second % 5 == 0

    seen = {}  # Every snapshot of the policy ever listed: id -> images.

    def three_available():
        for snap in _runs(api, created['id']):
            if snap['status'] == 'available' and snap['id'] not in seen:
                seen[snap['id']] = images_of(admin, snap['id'])
                assert len(seen[snap['id']]) == 3
        return len(seen) >= 3
    _wait('three available snapshots', three_available)

    # Named after their slots: one each.
    names = [s['name'] for s in _runs(api, created['id'])]
    assert all(re.match(r'^every-5-s-\d{8}T\d{6}Z$', n) for n in names)
    assert len(names) == len(set(names))

    # The oldest went, with its images; never more than two finished kept.
    oldest = min(seen, key=lambda i: wait_for_snapshot(api, i)['created_at'])
    gone = wait_for_snapshot(api, oldest, ('deleted',), timeout=RUNS_WAIT)
    assert gone['status'] == 'deleted'
    assert images_of(admin, oldest) == []
    finished = [s for s in _runs(api, created['id'])
                if s['status'] in ('available', 'error')]
    assert len(finished) <= 2 + 1  # One may have ended since retention.

    shown = cli.json(DEMO, 'appgroup', 'policy', 'show', created['id'])
    assert shown['next_run_at'] and shown['last_run_at']
    settled = _policy_when(
        api, created['id'], lambda p: p['last_result'] is not None,
        'a settled result', timeout=RUNS_WAIT)
    assert re.match(r'^(available: snapshot \S+, cut (within [\d.]+ ms|'
                    r'frozen together)|error: .+)$',
                    settled['last_result']), settled['last_result']

    listed = cli.json(DEMO, 'appgroup', 'policy', 'list', '--app-group',
                      tagged_app_group['name'])
    assert [p['ID'] for p in listed] == [created['id']]

    cli.ok(DEMO, 'appgroup', 'policy', 'set', created['id'], '--disable')
    disabled = cli.json(DEMO, 'appgroup', 'policy', 'show', created['id'])
    assert (disabled['enabled'], disabled['next_run_at']) == (False, None)


def test_an_app_group_without_servers_records_why_and_keeps_its_schedule(
        cli, api_as, run_id, policies):
    api = api_as('minicloud-demo')
    response = api('POST', '/v1/app-groups', json={'app_group': {
        'name': 'cs-policy-empty-%s' % run_id, 'source_type': 'metadata',
        'source': {'tags': ['cs-nothing-%s' % run_id]}}})
    assert response.status_code == 201, response.text
    group = response.json()['app_group']
    try:
        created = cli.json(DEMO, 'appgroup', 'policy', 'create',
                           group['name'], '--cron', '* * * * * *')
        policies.append(created['id'])
        error = 'error: app group %s has no servers' % group['name']
        first = _policy_when(
            api, created['id'],
            lambda p: (p['last_result'] or '').startswith(error),
            'the error recorded')
        later = _policy_when(
            api, created['id'],
            lambda p: p['last_run_at'] != first['last_run_at'],
            'a later run')
        assert later['enabled'] is True
        assert _instant(later['next_run_at']) > _instant(
            first['next_run_at'])
        assert later['last_result'].startswith('error: app group')
        assert _runs(api, created['id']) == []
    finally:
        for policy_id in list(policies):
            api('DELETE', '%s/%s' % (POLICIES, policy_id))
        api('DELETE', '/v1/app-groups/%s' % group['id'])


def test_a_policy_verifies_its_runs_and_keeps_the_newest_that_passed(
        cli, api_as, tagged_app_group, policies):
    api = api_as('minicloud-demo')
    created = cli.json(DEMO, 'appgroup', 'policy', 'create',
                       tagged_app_group['name'], '--cron', '*/10 * * * * *',
                       '--keep-last', '1', '--verification', 'latest',
                       '--name', 'verified')
    policies.append(created['id'])
    assert created['verify_every'] == 1

    def passed():
        return [s for s in _runs(api, created['id'])
                if s['verification']['status'] == 'passed']
    proven = _wait('a run verified', passed)[-1]
    verification = api('GET', '/v1/restores/%s' % proven['verification'][
        'restore_id']).json()['restore']
    assert (verification['mode'], verification['verdict'],
            verification['requested_by']) == (
        'verify', 'passed', 'policy:%s' % created['id'])
    # From now on nothing is verified: newer runs come, keep-last 1 deletes
    # the older ones, never the one proven to restore.
    cli.ok(DEMO, 'appgroup', 'policy', 'set', created['id'],
           '--no-verification')
    newer = set()

    def two_newer_ended():
        newer.update(s['id'] for s in _runs(api, created['id'])
                     if s['created_at'] > proven['created_at'] and
                     s['status'] in ('available', 'error'))
        return len(newer) >= 2
    _wait('two newer runs', two_newer_ended)

    def status(snapshot_id):
        return api('GET', '%s/%s' % (SNAPSHOTS, snapshot_id)).json()[
            'group_snapshot']['status']
    _wait('retention of a newer run', lambda: any(
        status(i) in ('deleting', 'deleted') for i in newer))
    assert status(proven['id']) == 'available'
    cli.ok(DEMO, 'appgroup', 'policy', 'set', created['id'], '--disable')


@pytest.fixture
def second_coordinator(test_cloud):
    conf = test_cloud.write_config(name='coordinator-2.conf',
                                   extra='[DEFAULT]\nhost = coordinator-2\n')
    test_cloud.start('coordinator-2', [
        str(test_cloud.BIN / 'consistent-snap-coordinator'),
        '--config-file', str(conf)])
    yield
    test_cloud.stop('coordinator-2')


def _fired_slots(test_cloud, policy_id, by=('coordinator', 'coordinator-2')):
    """Each slot of the policy the coordinators' logs say they fired."""
    pattern = re.compile(r'Backup policy %s fires its (\S+) run' % policy_id)
    slots = []
    for name in by:
        log = test_cloud.CS_DIR / 'log' / ('%s.log' % name)
        if log.exists():
            slots += pattern.findall(log.read_text(errors='replace'))
    return slots


def test_two_coordinators_never_fire_one_slot_twice(
        cli, api_as, test_cloud, second_coordinator, tagged_app_group,
        policies):
    api = api_as('minicloud-demo')
    created = cli.json(DEMO, 'appgroup', 'policy', 'create',
                       tagged_app_group['name'], '--cron', '* * * * * *',
                       '--name', 'every-second')
    policies.append(created['id'])
    _wait('20 fired slots', lambda: len(set(
        _fired_slots(test_cloud, created['id']))) >= 20, timeout=120)
    cli.ok(DEMO, 'appgroup', 'policy', 'set', created['id'], '--disable')
    slots = _fired_slots(test_cloud, created['id'])
    assert len(slots) == len(set(slots)) >= 20
    # Both took part: the claim, not one idle coordinator, kept it single.
    for name in ('coordinator', 'coordinator-2'):
        assert _fired_slots(test_cloud, created['id'], by=(name,)), name
    # A slot whose previous run was still going is skipped, not doubled.
    names = [s['name'] for s in _runs(api, created['id'])]
    assert names and len(names) == len(set(names))
