"""The SQLite default under load: concurrent writers wait, none fails.

Eight tenants' clients write through the API (app groups created, changed
and deleted, backup policies created and deleted) while the coordinator
runs snapshots, all on the plugin's one SQLite file: no answer is a 500,
no process logs "database is locked", every snapshot ends in a final
state and none failed on the database. (A snapshot may still fail here
because the writers' source checks load nova-api on 2 CPUs until a
createImage outlasts the capture timeout: that is not what this tests.)
"""

import concurrent.futures
import time

from tests.functional.conftest import SNAPSHOTS
from tests.functional.conftest import wait_for_snapshot

WRITERS = 8
ROUNDS = 6
SNAPSHOT_RUNS = 3


def _log_sizes(test_cloud):
    return {log: log.stat().st_size
            for log in (test_cloud.CS_DIR / 'log').glob('*.log')}


def _written_since(sizes):
    for log, size in sizes.items():
        with open(log, 'rb') as f:
            f.seek(size)
            yield log.name, f.read().decode(errors='replace')


def _writer(api, name):
    """A tenant's client: every write the API has on groups and policies."""
    statuses = []
    group = api('POST', '/v1/app-groups', json={'app_group': {
        'name': name, 'source_type': 'metadata',
        'source': {'tags': [name]}}})
    statuses.append(group.status_code)
    path = '/v1/app-groups/%s' % group.json()['app_group']['id']
    for n in range(ROUNDS):
        statuses.append(api('PATCH', path, json={'app_group': {
            'description': 'round %d' % n}}).status_code)
        policy = api('POST', '/v1/backup-policies', json={'backup_policy': {
            'app_group': group.json()['app_group']['id'],
            'cron': '0 3 * * *', 'keep_last': 2}})
        statuses.append(policy.status_code)
        statuses.append(api('DELETE', '/v1/backup-policies/%s' % policy.json()[
            'backup_policy']['id']).status_code)
    statuses.append(api('DELETE', path).status_code)
    return statuses


def _request_snapshot(api, app_group_id, timeout=120):
    """A snapshot request, again while the last one's undo holds servers.

    A run that failed (see above) is final at once and frees its servers
    once its hosts answered the abort: a 409 ServerBusy until then.
    """
    deadline = time.monotonic() + timeout
    while True:
        response = api('POST', SNAPSHOTS, json={'group_snapshot': {
            'app_group': app_group_id}})
        if (response.status_code != 409 or 'ServerBusy' not in response.text
                or time.monotonic() > deadline):
            return response
        time.sleep(1)


def test_api_writers_and_snapshot_runs_share_the_sqlite_file(
        test_cloud, api_as, tagged_app_group, run_id):
    api = api_as('minicloud-demo')
    sizes = _log_sizes(test_cloud)
    with concurrent.futures.ThreadPoolExecutor(WRITERS) as pool:
        writers = [pool.submit(_writer, api, 'writer-%s-%d' % (run_id, i))
                   for i in range(WRITERS)]
        snapshots = []
        for _ in range(SNAPSHOT_RUNS):
            response = _request_snapshot(api, tagged_app_group['id'])
            assert response.status_code == 202, response.text
            snapshots.append(wait_for_snapshot(
                api, response.json()['group_snapshot']['id']))
        statuses = [s for w in writers for s in w.result()]
    assert all(s < 500 for s in statuses), statuses
    assert len(statuses) == WRITERS * (2 + 3 * ROUNDS)
    for snap in snapshots:
        assert snap['status'] in ('available', 'error'), snap
        assert 'database' not in (snap['error'] or '').lower(), snap['error']
    for name, text in _written_since(sizes):
        assert 'database is locked' not in text, name
    for snap in snapshots:
        api('DELETE', '%s/%s' % (SNAPSHOTS, snap['id']))
