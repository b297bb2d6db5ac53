"""The faults the soak injects, through the same means as the failure tests.

Each fault is inject(soak, snapshot_id) -> (what was done, recover);
recover() runs once the snapshot is final and puts the cloud back, so that
the next snapshot can run. A fault with before_post is injected before the
request, with its own random delay inside the guest.
"""

import os
import signal
import time

from tests.functional.conftest import rabbitmqctl
from tests.functional.conftest import reset_stuck_servers
from tests.functional.conftest import restart_daemon
from tests.functional.conftest import SNAPSHOTS
from tests.functional.conftest import wait_services_up
from tests.functional.test_real_guests import _wait_agent

# Glance 33's own default for add_image, written back after a refusal:
# a policy file is reloaded when it changes, an emptied one keeps the deny.
GLANCE_ADD_IMAGE = ('rule:context_is_admin or (role:member and '
                    'project_id:%(project_id)s and project_id:%(owner)s)')


def _nothing():
    pass


def _killpg(soak, name):
    pid = int((soak.cloud.CS_DIR / 'run' / ('%s.pid' % name)).read_text())
    os.killpg(pid, signal.SIGKILL)  # Its group: master, worker, guard.


def agent_kill(soak, snapshot_id):
    host = soak.rng.choice(soak.target_hosts())
    _killpg(soak, 'agent-%s' % host)
    down = soak.rng.uniform(0, 3)  # How long the host stays without agent.
    time.sleep(down)
    restart_daemon(soak.cloud, 'agent-%s' % host)
    return 'SIGKILL agent-%s, restarted %.1f s later' % (host, down), _nothing


def coordinator_kill(soak, snapshot_id):
    _killpg(soak, 'coordinator')
    down = soak.rng.uniform(0, 3)
    time.sleep(down)
    restart_daemon(soak.cloud, 'coordinator')
    return 'SIGKILL coordinator, restarted %.1f s later' % down, _nothing


def broker_restart(soak, snapshot_id):
    rabbitmqctl('stop_app')
    time.sleep(3)
    rabbitmqctl('start_app')
    restarted = time.time()

    def recover():
        # Nova's and Cinder's services must report again before the next
        # snapshot: a "down" host refuses to snapshot its servers.
        wait_services_up(soak.admin, restarted)
        reset_stuck_servers(soak.admin, soak.server_ids)
    return 'RabbitMQ stop_app, start_app 3 s later', recover


def glance_refusal(soak, snapshot_id):
    policy = soak.glance_policy
    before = policy.read_text() if policy.exists() else None
    policy.write_text('"add_image": "!"\n')

    def recover():
        policy.write_text(before or '"add_image": "%s"\n' % GLANCE_ADD_IMAGE)
    return 'Glance refuses add_image (policy %s)' % policy, recover


def cinder_refusal(soak, snapshot_id):
    def reset(status):
        soak.admin.block_storage.reset_volume_status(
            soak.volume, status=status, attach_status=None,
            migration_status=None)
    reset('error')  # Cinder refuses to snapshot a volume in error.
    return ('Cinder volume %s put in error' % soak.volume.id,
            lambda: reset('in-use'))


def overlapping_request(soak, snapshot_id):
    response = soak.api('POST', SNAPSHOTS, json={
        'group_snapshot': soak.body(soak.rng.choice(soak.modes))})
    soak.overlap_answers[response.status_code] += 1
    if response.status_code == 202:
        soak.extra.append(response.json()['group_snapshot']['id'])
        # Before the run has recorded its members the API cannot know:
        # the second run then fails naming the first (or ran after it).
        return 'second request accepted (202), followed', _nothing
    message = response.json().get('error', {}).get('message', '')
    assert response.status_code == 409 and snapshot_id in message, (
        'an overlapping request must be a 409 naming %s, got %d: %s' % (
            snapshot_id, response.status_code, response.text))
    return 'second request refused (409: %s...)' % message[:60], _nothing


def guest_agent_hang(soak, snapshot_id):
    guest = soak.rng.choice(soak.guests)
    delay, hang = soak.rng.uniform(0, 3), soak.rng.uniform(2, 10)
    guest.agent('guest-exec', path='/bin/sh', arg=[
        '-c', 'sleep %.2f; kill -STOP $(cat /run/qga.pid); sleep %.2f; '
        'kill -CONT $(cat /run/qga.pid)' % (delay, hang)])
    return ('qemu-guest-agent of %s stopped %.1f s after the request for '
            '%.1f s' % (guest.server.name, delay, hang),
            lambda: _wait_agent(guest))


guest_agent_hang.before_post = True

# Cinder's volume is attached to a member on a fake host.
NEEDS_APP = ('cinder_refusal',)
FAULTS = {f.__name__: f for f in (
    agent_kill, coordinator_kill, broker_restart, glance_refusal,
    cinder_refusal, overlapping_request, guest_agent_hang)}
