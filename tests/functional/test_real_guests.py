"""Real QEMU guests on two real libvirt hosts: the cut is consistent.

compute-real and compute-real-2 run Nova's libvirt driver (QEMU/TCG), each
with its own libvirtd and its own consistent-snap agent (quiescer and
capturer "libvirt"). Each guest's root disk is ext4 on /dev/vda.

- The ext4 oracle: a disk captured while its guest was frozen has no
  journal to replay (no needs_recovery) and passes e2fsck -fn; one
  captured without a freeze still has its journal to replay.
- Across VMs: a writer outside the guests appends an increasing counter
  to guest A, then the same value to guest B, through qemu-guest-agent;
  in a consistent cut A's last value minus B's is 0 or 1. Barrier mode
  must give such a cut every time; snapshotting the VMs one after the
  other (the baseline) is counted beside it. CI runs 5 rounds of each;
  CS_REAL_GUEST_ROUNDS=20 (about 20 minutes) gives the full count.
- The guests are on a network of their own (a Linux bridge in the test
  cloud, see tests/cloud/README.md), each answering TCP port 7000 with its
  instance UUID: a verification's copies are shown, from inside, to reach
  each other and never the running originals.
"""

import base64
import json
import os
import re
import signal
import subprocess
import threading
import time

import pytest

from consistent_snap.virt import guest_agent
from tests.functional.conftest import delete_restore
from tests.functional.conftest import restart_daemon
from tests.functional.conftest import restore_and_wait
from tests.functional.conftest import SNAPSHOTS
from tests.functional.conftest import verify_and_wait
from tests.functional.conftest import wait_for_snapshot

HOSTS = ('compute-real', 'compute-real-2')
ROUNDS = int(os.environ.get('CS_REAL_GUEST_ROUNDS', '5'))
COUNTER = '/mnt/d0/counter'
WAIT = 300

libvirt = pytest.importorskip('libvirt')
libvirt_qemu = pytest.importorskip('libvirt_qemu')
# The writer meets frozen guests on purpose: no error print for each.
libvirt.registerErrorHandler(lambda _context, _error: None, None)


def _libvirt_uris():
    """{host: URI} of each libvirtd, from the test cloud's environment."""
    text = open(os.path.join(os.environ.get('MC_DIR', '/tmp/minicloud'),
                             'env.sh')).read()
    found = re.search(r'^export MINICLOUD_LIBVIRT_URIS="([^"]*)"', text,
                      re.M)
    return dict(p.split('=', 1) for p in found.group(1).split()) if (
        found) else {}


@pytest.fixture(scope='module')
def uris(test_cloud):
    found = _libvirt_uris()
    if not all(h in found for h in HOSTS):
        pytest.skip('the test cloud runs without two libvirt hosts '
                    '(CS_WITH_LIBVIRT=0)')
    return found


class Guest:
    """A Nova server on a libvirt host, and its guest agent."""

    def __init__(self, server, uri):
        self.server = server
        self.conn = libvirt.open(uri)
        self.dom = self.conn.lookupByUUIDString(server.id)
        self.address = next((a['addr'] for net in (
            server.addresses or {}).values() for a in net), None)

    def agent(self, command, timeout=10, **arguments):
        reply = libvirt_qemu.qemuAgentCommand(
            self.dom, json.dumps({'execute': command,
                                  'arguments': arguments}), timeout, 0)
        return json.loads(reply)['return']

    def read(self, path):
        handle = self.agent('guest-file-open', path=path, mode='r')
        try:
            return base64.b64decode(self.agent(
                'guest-file-read', handle=handle, count=1 << 20)[
                    'buf-b64']).decode()
        finally:
            self.agent('guest-file-close', handle=handle)

    def append(self, path, text):
        handle = self.agent('guest-file-open', path=path, mode='a')
        try:
            self.agent('guest-file-write', handle=handle,
                       **{'buf-b64': base64.b64encode(
                           text.encode()).decode()})
        finally:
            self.agent('guest-file-close', handle=handle)

    def run(self, command, timeout=30):
        """(exit code, stdout) of sh -c command in the guest."""
        result = guest_agent.run(self.dom, ['/bin/sh', '-c', command],
                                 timeout)
        assert not result.get('timed_out'), command
        return result['exitcode'], result['out']


def _wait_agent(guest, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        try:
            guest.agent('guest-ping', timeout=2)
            return guest
        except libvirt.libvirtError:
            assert time.monotonic() < deadline, 'no guest agent'
            time.sleep(1)


@pytest.fixture(scope='module')
def guest_network(demo, run_id):
    """The guests' network, without DHCP.

    There is no DHCP agent: the config drive carries each guest's address
    (tests/cloud/README.md, Networking).
    """
    network = demo.network.create_network(name='cs-real-net-%s' % run_id)
    try:
        demo.network.create_subnet(
            network_id=network.id, name='cs-real-subnet-%s' % run_id,
            ip_version=4, cidr='10.40.0.0/24', is_dhcp_enabled=False)
        yield network
    finally:
        demo.network.delete_network(network, ignore_missing=True)


@pytest.fixture(scope='module')
def guests(demo, admin, uris, run_id, guest_network):
    """One ACTIVE guest on each libvirt host, its agent answering."""
    servers = [demo.compute.create_server(
        name='cs-real-%s-%d' % (run_id, i),
        image_id=demo.image.find_image('guest', ignore_missing=False).id,
        flavor_id=demo.compute.find_flavor('m1.guest').id,
        networks=[{'uuid': guest_network.id}],
        availability_zone=host, metadata={'app': 'real-%s' % run_id})
        for i, host in enumerate(HOSTS)]
    try:
        servers = [demo.compute.wait_for_server(s, wait=WAIT)
                   for s in servers]
        hosts = [admin.compute.get_server(s.id).compute_host
                 for s in servers]
        assert hosts == list(HOSTS)
        yield [_wait_agent(Guest(s, uris[h])) for s, h in zip(servers, hosts)]
    finally:
        for server in servers:
            demo.compute.delete_server(server, ignore_missing=True)
        for server in servers:
            demo.compute.wait_for_delete(server, wait=WAIT)


class CounterWriter(threading.Thread):
    """Appends n to A, then n to B, for n = 1, 2, ...

    A write that meets a frozen guest is retried until it lands, so at
    every instant A's last value is B's or B's + 1.
    """

    def __init__(self, a, b):
        super().__init__(daemon=True)
        self.a, self.b = a, b
        self.n = 0
        self.stopping = threading.Event()

    def _write(self, guest, n):
        while not self.stopping.is_set():
            try:
                guest.append(COUNTER, '%d\n' % n)
                return
            except libvirt.libvirtError:
                time.sleep(0.005)  # Frozen: qemu-ga refuses file calls.

    def run(self):
        while not self.stopping.is_set():
            self.n += 1
            self._write(self.a, self.n)
            self._write(self.b, self.n)

    def stop(self):
        self.stopping.set()
        self.join(30)


def _raw_disk(admin, image_id, workdir):
    """The Glance image's content as a raw disk file."""
    qcow2 = os.path.join(workdir, image_id + '.qcow2')
    raw = os.path.join(workdir, image_id + '.raw')
    with open(qcow2, 'wb') as f:
        for chunk in admin.image.download_image(image_id, stream=True
                                                ).iter_content(1 << 20):
            f.write(chunk)
    subprocess.run(['qemu-img', 'convert', '-O', 'raw', qcow2, raw],
                   check=True)
    os.unlink(qcow2)
    return raw


def _needs_recovery(raw):
    features = subprocess.run(['dumpe2fs', '-h', raw], capture_output=True,
                              text=True, check=True).stdout
    return 'needs_recovery' in features


def _fsck_clean(raw):
    return subprocess.run(['e2fsck', '-fn', raw],
                          capture_output=True).returncode == 0


def _last_value(raw):
    content = subprocess.run(['debugfs', '-R', 'cat /counter', raw],
                             capture_output=True, text=True).stdout
    values = [int(v) for v in content.split() if v.isdigit()]
    return values[-1] if values else 0


def _snapshot(api, body):
    response = api('POST', SNAPSHOTS, json={'group_snapshot': body})
    assert response.status_code == 202, response.text
    snap = wait_for_snapshot(api, response.json()['group_snapshot']['id'],
                             timeout=WAIT)
    return snap


def _images(snap):
    """{server id: Glance image id} of the snapshot's root disks."""
    return {m['server_id']: a['image_id'] for m in snap['members']
            for a in m['artifacts'] if a['type'] == 'libvirt_disk'}


def _delete(api, snap):
    api('DELETE', '%s/%s' % (SNAPSHOTS, snap['id']))
    wait_for_snapshot(api, snap['id'], statuses=('deleted', 'error'),
                      timeout=WAIT)


def test_a_frozen_capture_is_clean_and_an_unfrozen_one_is_not(
        api_as, admin, guests, tmp_path):
    api = api_as('minicloud-demo')
    guest = guests[0]
    results = {}
    for quiesce in (True, False):
        snap = _snapshot(api, {'servers': [guest.server.id],
                               'consistent': True, 'mode': 'barrier',
                               'quiesce': quiesce})
        try:
            assert snap['status'] == 'available', snap['error']
            [member] = snap['members']
            raw = _raw_disk(admin, _images(snap)[guest.server.id], tmp_path)
            results[quiesce] = (member['consistency'],
                                _needs_recovery(raw), _fsck_clean(raw))
        finally:
            _delete(api, snap)
    assert results[True] == ('filesystem', False, True)
    # Captured mid-write: the journal still has to be replayed.
    assert results[False][:2] == ('crash', True)


def test_the_disk_chain_does_not_grow_and_images_go_with_the_snapshot(
        api_as, admin, guests):
    api = api_as('minicloud-demo')
    before = [g.dom.XMLDesc(0) for g in guests]
    snap = _snapshot(api, {'servers': [g.server.id for g in guests],
                           'consistent': True, 'mode': 'barrier',
                           'quiesce': True})
    assert snap['status'] == 'available', snap['error']
    images = _images(snap)
    assert sorted(images) == sorted(g.server.id for g in guests)
    for image_id in images.values():
        image = admin.image.get_image(image_id)
        assert (image.status, image.properties[
            'consistent_snap_group_snapshot_id']) == ('active', snap['id'])
    # Overlays merged back: each domain runs on its disk as before.
    assert [g.dom.XMLDesc(0) for g in guests] == before
    _delete(api, snap)
    for image_id in images.values():
        assert admin.image.find_image(image_id) is None


def _cut(admin, snap, guests, workdir):
    images = _images(snap)
    values = []
    for guest in guests:
        raw = _raw_disk(admin, images[guest.server.id], workdir)
        values.append(_last_value(raw))
        os.unlink(raw)
    return values


def test_barrier_cuts_are_all_consistent_and_the_baseline_is_counted(
        api_as, admin, guests, tmp_path):
    api = api_as('minicloud-demo')
    a, b = guests
    writer = CounterWriter(a, b)
    writer.start()
    tally = {'barrier': [], 'sequential': []}
    try:
        while writer.n < 5:
            time.sleep(0.1)
        for _ in range(ROUNDS):
            snap = _snapshot(api, {'servers': [a.server.id, b.server.id],
                                   'consistent': True, 'mode': 'barrier',
                                   'quiesce': True})
            assert snap['status'] == 'available', snap['error']
            tally['barrier'].append(_cut(admin, snap, guests, tmp_path))
            _delete(api, snap)
        for _ in range(ROUNDS):
            # Today's way: one VM, then the other.
            first = _snapshot(api, {'servers': [a.server.id],
                                    'quiesce': True})
            second = _snapshot(api, {'servers': [b.server.id],
                                     'quiesce': True})
            assert first['status'] == second['status'] == 'available'
            tally['sequential'].append(
                _cut(admin, first, [a], tmp_path) +
                _cut(admin, second, [b], tmp_path))
            _delete(api, first)
            _delete(api, second)
    finally:
        writer.stop()
    consistent = {kind: sum(1 for va, vb in cuts if 0 <= va - vb <= 1)
                  for kind, cuts in tally.items()}
    print('consistent cuts of %d: barrier %d, sequential %d (writer '
          'reached %d)' % (ROUNDS, consistent['barrier'],
                           consistent['sequential'], writer.n))
    assert all(va > 0 for va, _ in tally['barrier'])
    assert consistent['barrier'] == ROUNDS, tally['barrier']


def _freeze_status(guest):
    try:
        return guest.agent('guest-fsfreeze-status', timeout=2)
    except libvirt.libvirtError:
        return None  # Busy with a freeze or a thaw, or not answering.


def _wait_status(guest, status, timeout):
    """The instant (monotonic) the guest was seen ``status``, or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _freeze_status(guest) == status:
            return time.monotonic()
        time.sleep(0.02)
    return None


def _frozen_in_a_barrier(api, a, b):
    """A barrier snapshot of A and B, once A is seen frozen in it.

    B's guest agent stops answering for 25 s, so that B's freeze times out
    and the commit waits for it, with A frozen. (On a loaded machine a
    prepare may time out before anything is frozen: then again.)
    """
    for _ in range(3):
        _wait_agent(b)
        b.agent('guest-exec', path='/bin/sh', arg=[
            '-c', 'sleep 0.5; kill -STOP $(cat /run/qga.pid); sleep 25; '
            'kill -CONT $(cat /run/qga.pid)'])
        time.sleep(1)
        response = api('POST', SNAPSHOTS, json={'group_snapshot': {
            'servers': [a.server.id, b.server.id], 'consistent': True,
            'mode': 'barrier', 'quiesce': True}})
        assert response.status_code == 202, response.text
        snapshot_id = response.json()['group_snapshot']['id']
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if _freeze_status(a) == 'frozen':
                return snapshot_id, time.monotonic()
            snap = api('GET', '%s/%s' % (SNAPSHOTS, snapshot_id)).json()[
                'group_snapshot']
            if snap['status'] in ('available', 'error'):
                assert 'Nothing was frozen' in snap['error'], snap['error']
                _delete(api, snap)
                break
            time.sleep(0.02)
    pytest.fail('guest A was never seen frozen')


def test_a_killed_agent_leaves_no_guest_frozen(test_cloud, api_as, guests):
    """SIGKILL compute-real's agent (master and worker) while its guest is
    frozen in a barrier, and do not start it again: the guest is thawed
    within max_freeze all the same (by the agent's guard process).

    B's freeze timed out; it may land once B's guest agent runs again, and
    B must end thawed too.
    """
    api = api_as('minicloud-demo')
    a, b = guests
    max_freeze = 5.0  # [agent] max_freeze_ms's default.
    pid = int((test_cloud.CS_DIR / 'run' /
               'agent-compute-real.pid').read_text())
    try:
        snapshot_id, frozen = _frozen_in_a_barrier(api, a, b)
        os.killpg(pid, signal.SIGKILL)  # Its process group: master, worker.
        killed = time.monotonic()
        thawed = _wait_status(a, 'thawed', max_freeze + 10)
        print('guest thawed %s s after its agent was SIGKILLed, %s s after '
              'it was seen frozen' % (
                  thawed and '%.2f' % (thawed - killed),
                  thawed and '%.2f' % (thawed - frozen)))
        assert thawed is not None and thawed - frozen < max_freeze
    finally:
        restart_daemon(test_cloud, 'agent-compute-real')
    snap = wait_for_snapshot(api, snapshot_id, timeout=WAIT)
    assert snap['status'] == 'error'
    # As an admin: the project sees Nova's host hash, not the host's name.
    assert 'compute-real' in api_as('minicloud')('GET', '%s/%s' % (
        SNAPSHOTS, snapshot_id)).json()['group_snapshot']['error']
    assert _wait_status(b, 'thawed', 60) is not None
    _delete(api, snap)


def _counted_snapshot(api, a, b):
    """A barrier snapshot of both guests while the writer counts."""
    writer = CounterWriter(a, b)
    writer.start()
    try:
        time.sleep(1)
        return _snapshot(api, {'servers': [a.server.id, b.server.id],
                               'consistent': True, 'mode': 'barrier'})
    finally:
        writer.stop()


def _last(text):
    values = [int(v) for v in text.split() if v.isdigit()]
    return values[-1] if values else 0


def test_a_restored_copy_boots_and_its_counters_form_a_consistent_cut(
        api_as, demo, admin, uris, guests):
    api = api_as('minicloud-demo')
    a, b = guests
    snap = _counted_snapshot(api, a, b)
    try:
        assert snap['status'] == 'available', snap['error']
        restore = restore_and_wait(api, {'group_snapshot': snap['id']})
        try:
            assert restore['status'] == 'available', restore['error']
            new = {m['server_id']: m['new_server_id']
                   for m in restore['members']}
            restored = []
            for guest in (a, b):
                server = demo.compute.get_server(new[guest.server.id])
                host = admin.compute.get_server(server.id).compute_host
                # Booted from the frozen disk, as the original booted:
                # its kernel, its guest agent.
                restored.append(_wait_agent(Guest(server, uris[host])))
            values = [_last(g.read(COUNTER)) for g in restored]
            print('counters read from the restored guests: A %d, B %d' % (
                tuple(values)))
            assert values[1] > 0 and values[0] - values[1] in (0, 1), values
        finally:
            delete_restore(api, restore)
    finally:
        _delete(api, snap)


def test_a_verification_reads_a_consistent_cut_inside_the_restored_guests(
        api_as, admin, guests):
    api = api_as('minicloud-demo')
    a, b = guests
    snap = _counted_snapshot(api, a, b)
    try:
        assert snap['status'] == 'available', snap['error']
        verification = verify_and_wait(api, snap['id'], {'checks': [{
            'name': 'counter', 'command': 'busybox tail -n 1 %s' % COUNTER,
            'timeout_s': 20}]})
        assert verification['verdict'] == 'passed', verification['error']
        members = {m['server_id']: m for m in verification['members']}
        values = []
        for guest in (a, b):
            member = members[guest.server.id]
            checks = {c['check']: c for c in member['checks']}
            assert list(checks) == ['server_active', 'guest_agent',
                                    'filesystems_clean', 'counter']
            assert all(c['passed'] for c in checks.values()), checks
            # Frozen when captured: mounted without a journal to replay.
            assert checks['filesystems_clean']['output'] == (
                'no journal replayed at mount')
            assert member['active_s'] > 0
            values.append(int(re.search(r'stdout: (\d+)', checks['counter'][
                'output']).group(1)))
        print('counters read by the verification: A %d, B %d; ready in '
              '%.1f s' % (values[0], values[1], verification['ready_s']))
        assert values[1] > 0 and values[0] - values[1] in (0, 1), values
        # Nothing of the verification is left.
        assert [s.id for s in admin.compute.servers(all_projects=True)
                if (s.metadata or {}).get('consistent_snap_restore_id') ==
                verification['id']] == []
        shown = api('GET', '%s/%s' % (SNAPSHOTS, snap['id'])).json()[
            'group_snapshot']
        assert shown['verification']['status'] == 'passed'
    finally:
        _delete(api, snap)


def test_a_check_failing_in_a_guest_fails_the_verification_naming_it(
        api_as, guests):
    api = api_as('minicloud-demo')
    snap = _snapshot(api, {'servers': [guests[0].server.id],
                           'consistent': True, 'mode': 'barrier'})
    try:
        assert snap['status'] == 'available', snap['error']
        verification = verify_and_wait(api, snap['id'], {'checks': [{
            'name': 'no-such-file', 'command': 'cat /mnt/d0/nothing-here',
            'timeout_s': 10}, {'name': 'hangs', 'command': 'sleep 30',
                               'timeout_s': 2}]})
        assert verification['verdict'] == 'failed', verification
        error = verification['error']
        assert 'check no-such-file of %s' % guests[0].server.name in error
        assert 'exit 1' in error and 'nothing-here' in error, error
        assert 'check hangs of' in error and 'still running after its ' \
            'timeout' in error, error
        assert verification['ready_s'] is None
        assert verification['status'] == 'deleted'
    finally:
        _delete(api, snap)


def _answer(guest, address, port):
    """(exit code, what answered) of a TCP connection from the guest."""
    code, out = guest.run('busybox nc -w 3 %s %d </dev/null' % (
        address, port))
    return code, out.strip()


def test_a_verified_copy_reaches_its_own_members_and_never_the_originals(
        api_as, guests, run_id):
    """The copy runs beside the running originals, with their addresses."""
    api = api_as('minicloud-demo')
    a, b = guests
    # Production, before: A reaches B (its UUID answers), and A runs a
    # listener in memory only (not on its disk, so not in the copy).
    assert _answer(a, b.address, 7000) == (0, b.server.id)
    code, _ = a.run('nc -ll -p 7001 -e /bin/whoami-uuid </dev/null '
                    '>/dev/null 2>&1 &')
    assert code == 0
    assert _answer(b, a.address, 7001) == (0, a.server.id)
    # The port check stored with the app group; the request adds two.
    response = api('POST', '/v1/app-groups', json={'app_group': {
        'name': 'isolated-%s' % run_id, 'source_type': 'metadata',
        'source': {'properties': {'app': 'real-%s' % run_id}},
        'checks': [{'name': 'peer', 'port': 7000, 'to': b.server.name,
                    'members': [a.server.name]}]}})
    assert response.status_code == 201, response.text
    group = response.json()['app_group']
    snap = None
    try:
        snap = _snapshot(api, {'app_group': group['id'], 'mode': 'barrier'})
        assert snap['status'] == 'available', snap['error']
        verification = verify_and_wait(api, snap['id'], {
            'keep_for': 600, 'checks': [
                {'name': 'who', 'members': [a.server.name],
                 'command': 'busybox nc -w 3 %s 7000 </dev/null' % (
                     b.address)},
                # Refused (the copy of A has no such listener) or
                # unreachable: never the running original's answer.
                {'name': 'original-only', 'members': [b.server.name],
                 'command': 'busybox nc -w 3 %s 7001 </dev/null' % (
                     a.address), 'expect_exit': 1}]})
        try:
            assert verification['verdict'] == 'passed', verification[
                'error']
            members = {m['server_id']: m for m in verification['members']}
            copy_b = members[b.server.id]['new_server_id']
            checks_a = {c['check']: c for c in members[a.server.id][
                'checks']}
            assert checks_a['peer']['output'] == (
                'exit 0; stdout: connected to %s:7000' % b.address)
            # Inside the copy, B's address is the copy of B: no clash...
            assert checks_a['who']['output'] == 'exit 0; stdout: %s' % (
                copy_b)
            assert copy_b != b.server.id
            # ...and, while the copy runs, production's is the original.
            assert _answer(a, b.address, 7000) == (0, b.server.id)
            assert _answer(b, a.address, 7001) == (0, a.server.id)
            print('isolation: inside the copy %s:7000 is %s (the copy), in '
                  'production %s (the original); %s:7001 refused inside '
                  'the copy, answered in production' % (
                      b.address, copy_b, b.server.id, a.address))
        finally:
            delete_restore(api, verification)
    finally:
        if snap:
            _delete(api, snap)
        api('DELETE', '/v1/app-groups/%s' % group['id'])


def test_in_place_brings_back_the_snapshot_disks(api_as, demo, guests):
    """Markers written after the snapshot are gone once restored in place;
    the servers keep their ids. (Both guests come back with their agents.)
    """
    api = api_as('minicloud-demo')
    snap = _snapshot(api, {'servers': [g.server.id for g in guests],
                           'consistent': True, 'mode': 'barrier'})
    try:
        assert snap['status'] == 'available', snap['error']
        marker = '/mnt/d0/after-%s' % snap['id'][:8]
        for guest in guests:
            _wait_agent(guest).append(marker, 'written after the snapshot\n')
            assert guest.read(marker)
        restore = restore_and_wait(api, {'group_snapshot': snap['id'],
                                         'mode': 'in_place'})
        assert restore['status'] == 'available', restore['error']
        images = _images(snap)
        for guest in guests:
            server = demo.compute.get_server(guest.server.id)
            assert server.status == 'ACTIVE'
            assert server.image['id'] == images[server.id]
            # Nova defined the domain again for the rebuild.
            guest.dom = guest.conn.lookupByUUIDString(server.id)
            _wait_agent(guest)
            with pytest.raises(libvirt.libvirtError) as e:
                guest.read(marker)
            assert 'No such file' in str(e.value), e.value
        delete_restore(api, restore)
    finally:
        _delete(api, snap)


# A database-like writer for guest A: each transaction is three lines,
# BEGIN n, row n, COMMIT n, so a disk captured mid-transaction ends without
# its COMMIT. Between transactions it honours /run/db.pause, saying so in
# /run/db.paused. It serves its last commit on port 7003.
DB_WRITER = '''n=0
while true; do
  if [ -f /run/db.pause ]; then touch /run/db.paused; sleep 0.02; continue; fi
  rm -f /run/db.paused
  n=$((n + 1))
  echo "BEGIN $n" >>/mnt/d0/db; sleep 0.03
  echo "row $n" >>/mnt/d0/db; sleep 0.03
  echo "COMMIT $n" >>/mnt/d0/db
done
'''
DB_LAST = '#!/bin/sh\ngrep COMMIT /mnt/d0/db | tail -n 1\n'
# Guest B's reader: what it saw of A's commits, in /mnt/d0/reader.
READER = '''while true; do
  if [ -f /run/rd.pause ]; then touch /run/rd.paused; sleep 0.02; continue; fi
  rm -f /run/rd.paused
  v=$(busybox nc -w 2 %s 7003 </dev/null) && echo "SEEN $v" >>/mnt/d0/reader
  sleep 0.05
done
'''
PAUSE = ('touch /run/{0}.pause; while [ ! -f /run/{0}.paused ]; do '
         'sleep 0.01; done; sync')
RESUME = 'rm -f /run/{0}.pause'


def _hooks(a, b, hang=False):
    """Hooks that checkpoint the application.

    Flush and pause the database (stage 1), then its reader (stage 2);
    resume in the reverse order after the thaw.
    """
    hooks = [
        {'name': 'db-flush', 'when': 'pre_freeze', 'stage': 1,
         'members': [a.server.id], 'command': PAUSE.format('db'),
         'timeout_s': 1.5},
        # Inside the freeze call (the guest's in-freeze runner): what the
        # database's disk holds as it is frozen.
        {'name': 'db-last-line', 'when': 'in_freeze',
         'members': [a.server.id], 'command': 'tail -n 1 /mnt/d0/db',
         'timeout_s': 0.5},
        {'name': 'reader-pause', 'when': 'pre_freeze', 'stage': 2,
         'members': [b.server.name], 'command': PAUSE.format('rd'),
         'timeout_s': 1},
        {'name': 'reader-resume', 'when': 'post_thaw', 'stage': 2,
         'members': [b.server.name], 'command': RESUME.format('rd'),
         'timeout_s': 1},
        {'name': 'db-resume', 'when': 'post_thaw', 'stage': 1,
         'members': [a.server.id], 'command': RESUME.format('db'),
         'timeout_s': 1}]
    if hang:
        hooks[2] = dict(hooks[2], command='sleep 30')
    return hooks


@pytest.fixture
def database(guests):
    """The writer running in A, its reader in B; both stopped after."""
    a, b = guests
    for guest, path, text in ((a, '/run/db.sh', DB_WRITER),
                              (a, '/run/db-last.sh', DB_LAST),
                              (b, '/run/reader.sh', READER % a.address)):
        guest.run('rm -f %s /run/*.pause /run/*.paused' % path)
        guest.append(path, text)
    a.run('chmod +x /run/db-last.sh; rm -f /mnt/d0/db; '
          'sh /run/db.sh </dev/null >/dev/null 2>&1 & echo $! >/run/db.pid; '
          'nc -ll -p 7003 -e /run/db-last.sh </dev/null >/dev/null 2>&1 & '
          'echo $! >>/run/db.pid')
    b.run('rm -f /mnt/d0/reader; sh /run/reader.sh </dev/null >/dev/null '
          '2>&1 & echo $! >/run/reader.pid')
    deadline = time.monotonic() + 30
    while 'SEEN COMMIT' not in b.run('cat /mnt/d0/reader')[1]:
        assert time.monotonic() < deadline, 'the reader saw no commit'
        time.sleep(0.5)
    yield a, b
    a.run('kill $(cat /run/db.pid)')
    b.run('kill $(cat /run/reader.pid)')


def _undone(api, snap, timeout=60):
    """A failed snapshot once undone.

    In error first, then each member aborted or in error.
    """
    deadline = time.monotonic() + timeout
    while any(m['status'] not in ('aborted', 'error')
              for m in snap['members']):
        assert time.monotonic() < deadline, snap['members']
        time.sleep(0.5)
        snap = api('GET', '%s/%s' % (SNAPSHOTS, snap['id'])).json()[
            'group_snapshot']
    return snap


def _debugfs_cat(raw, path):
    return subprocess.run(['debugfs', '-R', 'cat %s' % path, raw],
                          capture_output=True, text=True).stdout


def _checkpoint(admin, snap, a, b, workdir):
    """What the captured disks hold, as the writer sees it.

    ((A's disk ends on a COMMIT, B saw no commit beyond A's last), A's last
    line).
    """
    images = _images(snap)
    disks = {}
    for guest, path in ((a, '/db'), (b, '/reader')):
        raw = _raw_disk(admin, images[guest.server.id], workdir)
        disks[guest.server.id] = _debugfs_cat(raw, path).split('\n')
        os.unlink(raw)
    db = [line for line in disks[a.server.id] if line]
    committed = max((int(line.split()[1]) for line in db
                     if line.startswith('COMMIT')), default=0)
    seen = [int(line.split()[-1]) for line in disks[b.server.id]
            if line.startswith('SEEN COMMIT')]
    return (bool(db) and db[-1].startswith('COMMIT'),
            max(seen, default=0) <= committed), db[-1] if db else None


def test_hooks_make_every_snapshot_an_application_checkpoint(
        api_as, admin, database, tmp_path):
    api = api_as('minicloud-demo')
    a, b = database
    tally = {True: [], False: []}
    for with_hooks in (True, False):
        for _ in range(ROUNDS):
            snap = _snapshot(api, {
                'servers': [a.server.id, b.server.id], 'consistent': True,
                'mode': 'barrier', 'hooks': _hooks(a, b) if with_hooks
                else []})
            try:
                assert snap['status'] == 'available', snap['error']
                clean, last_line = _checkpoint(admin, snap, a, b, tmp_path)
                tally[with_hooks].append((snap['consistency'], clean,
                                          snap['max_freeze_ms'],
                                          snap['hooks_window_ms']))
                if with_hooks:
                    results = {m['server_id']: [
                        (r['name'], r['passed']) for r in m['hook_results']]
                        for m in snap['members']}
                    assert results == {
                        a.server.id: [('db-flush', True),
                                      ('db-last-line', True),
                                      ('db-resume', True)],
                        b.server.id: [('reader-pause', True),
                                      ('reader-resume', True)]}
                    # Read inside the freeze: the disk captured holds it.
                    [inside] = [r['output'] for m in snap['members']
                                for r in m['hook_results']
                                if r['name'] == 'db-last-line']
                    assert inside == 'exit 0; output: %s' % last_line
                    # Stage 1 was done before stage 2 began.
                    [db_flush] = [r for m in snap['members']
                                  for r in m['hook_results']
                                  if r['name'] == 'db-flush']
                    [pause] = [r for m in snap['members']
                               for r in m['hook_results']
                               if r['name'] == 'reader-pause']
                    assert db_flush['ended_at'] <= pause['started_at']
            finally:
                _delete(api, snap)
    print('with hooks: %s' % tally[True])
    print('without hooks: %s' % tally[False])
    assert all(level == 'application' and clean == (True, True)
               for level, clean, _, _ in tally[True]), tally[True]
    assert all(level == 'filesystem' for level, _, _, _ in tally[False])
    # Without the flush, a freeze lands mid-transaction.
    assert any(not clean[0] for _, clean, _, _ in tally[False]), tally[
        False]
    # The hooks and the freeze within the freeze budget (max_freeze_ms).
    assert all(window <= 5000 for _, _, _, window in tally[True])
    assert all(window is None for _, _, _, window in tally[False])


def test_a_hanging_hook_is_cut_fails_the_snapshot_and_resumes_the_rest(
        api_as, database):
    api = api_as('minicloud-demo')
    a, b = database
    snap = _snapshot(api, {'servers': [a.server.id, b.server.id],
                           'consistent': True, 'mode': 'barrier',
                           'hooks': _hooks(a, b, hang=True)})
    try:
        assert snap['status'] == 'error'
        assert 'hook reader-pause (pre_freeze) of server %s' % (
            b.server.name) in snap['error'], snap['error']
        assert 'still running after its timeout (killed)' in snap['error']
        snap = _undone(api, snap)
        members = {m['server_id']: m for m in snap['members']}
        # Nothing was frozen; the database paused by stage 1 was resumed.
        assert all(m['frozen_at'] is None for m in members.values())
        # The in-freeze step never ran: no freeze was asked for.
        assert [(r['name'], r['passed']) for r in members[a.server.id][
            'hook_results']] == [('db-flush', True), ('db-resume', True)]
        assert a.run('test -f /run/db.pause')[0] == 1
        assert b.run('ps | grep "slee[p] 30"')[0] == 1
    finally:
        _delete(api, snap)


def test_a_failing_in_freeze_step_stops_that_freeze_and_fails_the_snapshot(
        api_as, guests):
    api = api_as('minicloud-demo')
    a, b = guests
    snap = _snapshot(api, {'servers': [a.server.id, b.server.id],
                           'consistent': True, 'mode': 'barrier',
                           'hooks': [{'name': 'lock', 'when': 'in_freeze',
                                      'members': [a.server.id],
                                      'command': 'echo locked out; exit 3',
                                      'timeout_s': 1}]})
    try:
        assert snap['status'] == 'error'
        snap = _undone(api, snap)
        members = {m['server_id']: m for m in snap['members']}
        # qemu-ga froze nothing in A: its hook runner failed.
        assert members[a.server.id]['frozen_at'] is None
        assert 'guest agent freeze failed' in members[a.server.id][
            'consistency_reason']
        assert 'hook lock (in_freeze) of server %s failed inside the ' \
            'freeze, which it stopped: exit 3; output: locked out' % (
                a.server.name) in snap['error'], snap['error']
        # Both guests thawed, the snapshot's artifacts gone.
        for guest in (a, b):
            assert _freeze_status(guest) == 'thawed'
        assert all(a_['status'] == 'deleted' for m in snap['members']
                   for a_ in m['artifacts'] or ())
    finally:
        _delete(api, snap)


def test_the_pre_flight_names_a_guest_without_the_in_freeze_runner(
        api_as, guests):
    api = api_as('minicloud-demo')
    a, b = guests
    assert b.run('mv /etc/qemu/fsfreeze-hook /etc/qemu/moved-away')[0] == 0
    try:
        snap = _snapshot(api, {'servers': [a.server.id, b.server.id],
                               'consistent': True, 'mode': 'barrier',
                               'hooks': [{'name': 'lock', 'when': 'in_freeze',
                                          'command': 'sync'}]})
        try:
            assert snap['status'] == 'error'
            assert ('Hooks cannot run in the guest of server %s (%s)' % (
                b.server.name, b.server.id)) in snap['error'], snap['error']
            assert 'no in-freeze hook runner' in snap['error']
            assert all(m['frozen_at'] is None for m in snap['members'])
        finally:
            _delete(api, snap)
    finally:
        b.run('mv /etc/qemu/moved-away /etc/qemu/fsfreeze-hook')


def test_a_guest_without_agent_is_crash_consistent_or_refused(
        api_as, guests):
    api = api_as('minicloud-demo')
    guest = guests[1]
    # The agent dies in the guest: no freeze can happen. (Last test:
    # the guest keeps no agent.)
    try:
        guest.agent('guest-exec', path='/bin/sh',
                    arg=['-c', 'sleep 0.2; kill -9 $(cat /run/qga.pid)'])
    except libvirt.libvirtError:
        pass  # It may die before it answers.
    time.sleep(1)
    with pytest.raises(libvirt.libvirtError):
        guest.agent('guest-ping', timeout=2)
    snap = _snapshot(api, {'servers': [guest.server.id], 'quiesce': True,
                           'consistent': True, 'mode': 'barrier'})
    try:
        assert snap['status'] == 'available', snap['error']
        [member] = snap['members']
        assert member['consistency'] == 'crash'
        assert 'guest agent freeze failed' in member['consistency_reason']
    finally:
        _delete(api, snap)
    refused = _snapshot(api, {'servers': [guest.server.id],
                              'consistent': True, 'mode': 'barrier',
                              'require_quiesce': True})
    assert refused['status'] == 'error'
    assert 'a quiesce is required (the request asks for it)' in (
        refused['error'])
    assert refused['members'][0]['artifacts'] in ([], None)
    _delete(api, refused)
