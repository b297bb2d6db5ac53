"""A rolling upgrade of the agent RPC API, 1.3 to 1.4, either side first.

The previous release's code (the tree at OLD, the last commit whose agent
spoke 1.3) runs as a real process beside this one's, on the real broker:

* agents upgraded last: an old agent on compute-2. A coordinator sending
  1.4 is refused there, and the snapshot's error says what to do; capped
  by ``[upgrade_levels] agent = 1.3`` it takes barrier and shared-start
  snapshots of the three servers, per-host calls and broadcasts alike.
* coordinators upgraded last: an old coordinator, every agent upgraded,
  takes them too.
"""

import pathlib
import subprocess
import sys
import time

import pytest

from tests.functional.conftest import snapshot_once_free
from tests.functional.conftest import SNAPSHOTS
from tests.functional.conftest import wait_for_snapshot

# The last commit whose agent RPC API was 1.3.
OLD = 'e2fbd81'
REPO = pathlib.Path(__file__).resolve().parents[2]
# Both fence transports: a broadcast from 2 hosts on.
BROADCAST = '[coordinator]\nbroadcast_min_hosts = 2\n'


@pytest.fixture(scope='module')
def old_tree(tmp_path_factory):
    root = tmp_path_factory.mktemp('consistent-snap-%s' % OLD)
    archive = subprocess.run(['git', 'archive', OLD, 'consistent_snap'],
                             cwd=REPO, capture_output=True, check=True)
    subprocess.run(['tar', '-x', '-C', str(root)], input=archive.stdout,
                   check=True)
    # What the daemons started from it import: the previous release.
    imported = subprocess.run(
        ['env', 'PYTHONPATH=%s' % root, sys.executable, '-c',
         'from consistent_snap.agent import rpcapi; '
         'print(rpcapi.AgentAPI.RPC_API_VERSION, rpcapi.__file__)'],
        cwd=root.parent, capture_output=True, text=True, check=True)
    assert imported.stdout.split() == [
        '1.3', str(root / 'consistent_snap' / 'agent' / 'rpcapi.py')]
    return root


def _run(test_cloud, name, host, extra='', tree=None, timeout=120):
    """(Re)start daemon ``name`` with ``extra`` config, from ``tree``."""
    log = test_cloud.CS_DIR / 'log' / ('%s.log' % name)
    seen = log.read_text().count('listening on topic')
    test_cloud.stop(name)
    conf = test_cloud.write_config(
        name='%s.conf' % name, extra='[DEFAULT]\nhost = %s\n%s' % (
            host, extra))
    binary = ('consistent-snap-coordinator' if name == 'coordinator'
              else 'consistent-snap-agent')
    argv = [str(test_cloud.BIN / binary), '--config-file', str(conf)]
    if tree is not None:
        # Its console script imports consistent_snap from the old tree.
        argv = ['env', 'PYTHONPATH=%s' % tree] + argv
    test_cloud.start(name, argv)
    deadline = time.monotonic() + timeout
    while log.read_text().count('listening on topic') <= seen:
        assert time.monotonic() < deadline, '%s did not start: see %s' % (
            name, log)
        time.sleep(0.5)


@pytest.fixture
def restored(test_cloud):
    """Every daemon back on this release's code and settings after."""
    yield
    _run(test_cloud, 'agent-compute-2', 'compute-2')
    _run(test_cloud, 'coordinator', 'coordinator-1')


def _snapshot(api, group, mode):
    response = snapshot_once_free(api, {'app_group': group['id'],
                                        'mode': mode, 'consistent': True})
    assert response.status_code == 202, response.text
    snap = wait_for_snapshot(api, response.json()['group_snapshot']['id'])
    api('DELETE', '%s/%s' % (SNAPSHOTS, snap['id']))
    return snap


def _taken(api, group, mode):
    snap = _snapshot(api, group, mode)
    assert snap['status'] == 'available', snap['error']
    assert {m['status'] for m in snap['members']} == {'available'}
    assert all(m['captured_at'] for m in snap['members'])
    return snap


def test_old_agents_under_a_capped_coordinator(test_cloud, restored,
                                               old_tree, api_as,
                                               tagged_app_group):
    api = api_as('minicloud-demo')
    _run(test_cloud, 'agent-compute-2', 'compute-2', tree=old_tree)
    # Per-host calls: the old agent answers that it cannot take 1.4 (a
    # broadcast it cannot take, it ignores: its host does not answer).
    _run(test_cloud, 'coordinator', 'coordinator-1')
    refused = _snapshot(api, tagged_app_group, 'barrier')
    assert refused['status'] == 'error'
    assert 'older consistent-snap-agent' in refused['error']
    assert '[upgrade_levels] agent' in refused['error']

    _run(test_cloud, 'coordinator', 'coordinator-1',
         extra=BROADCAST + '[upgrade_levels]\nagent = 1.3\n')
    for mode in ('barrier', 'shared_start'):
        _taken(api, tagged_app_group, mode)
    _run(test_cloud, 'coordinator', 'coordinator-1',
         extra='[upgrade_levels]\nagent = 1.3\n')
    _taken(api, tagged_app_group, 'barrier')


def test_upgraded_agents_under_an_old_coordinator(test_cloud, restored,
                                                  old_tree, api_as,
                                                  tagged_app_group):
    api = api_as('minicloud-demo')
    _run(test_cloud, 'coordinator', 'coordinator-1', extra=BROADCAST,
         tree=old_tree)
    for mode in ('barrier', 'shared_start'):
        _taken(api, tagged_app_group, mode)
    _run(test_cloud, 'coordinator', 'coordinator-1', tree=old_tree)
    _taken(api, tagged_app_group, 'barrier')
