"""A real guest's disk chain: nothing it runs on or wrote is ever unlinked.

On compute-real (Nova's libvirt driver, a real QEMU guest): a snapshot
through the service leaves the chain as it was; two overlapping captures
merge back without unlinking the file the guest runs on; and a Nova hard
reboot while an overlay is the guest's active layer (as during a
copy-out) restarts the guest from its disk: the overlay, which holds the
writes made since the snapshot, is quarantined, never unlinked, and the
member fails rather than upload a copy that may have moved.

The captures driven from this test use an overlay suffix of their own, so
the agents of the test cloud never take their files for their leftovers.
"""

import hashlib
import os
import time
import uuid

import pytest

from consistent_snap.capturers import libvirt as libvirt_capturer
from consistent_snap.virt import libvirt_host
from tests.functional.test_real_guests import _delete
from tests.functional.test_real_guests import _snapshot
from tests.functional.test_real_guests import _wait_agent
from tests.functional.test_real_guests import Guest
from tests.functional.test_real_guests import uris  # noqa: F401
from tests.functional.test_real_guests import WAIT

HOST = 'compute-real'
SUFFIX = '.cs-chaintest'


@pytest.fixture(scope='module')
def guest(demo, admin, uris, run_id):  # noqa: F811
    server = demo.compute.create_server(
        name='cs-chain-%s' % run_id,
        image_id=demo.image.find_image('guest', ignore_missing=False).id,
        flavor_id=demo.compute.find_flavor('m1.guest').id, networks='none',
        availability_zone=HOST)
    try:
        server = demo.compute.wait_for_server(server, wait=WAIT)
        assert admin.compute.get_server(server.id).compute_host == HOST
        yield _wait_agent(Guest(server, uris[HOST]))
    finally:
        demo.compute.delete_server(server, ignore_missing=True)
        demo.compute.wait_for_delete(server, wait=WAIT)


@pytest.fixture
def capturer(conf, uris, tmp_path, admin):  # noqa: F811
    """The agent's capturer, run here against compute-real's libvirtd."""
    conf.set_override('connection_uri', uris[HOST], group='libvirt')
    conf.set_override('overlay_suffix', SUFFIX, group='libvirt')
    conf.set_override('state_path', str(tmp_path / 'state'))
    conf.set_override('host', HOST)
    return libvirt_capturer.LibvirtCapturer(conf, admin)


def _chain(guest):
    dom = guest.conn.lookupByUUIDString(guest.server.id)
    return libvirt_host.chains(dom)['vda']


def _capture(capturer, guest):
    snapshot_id = str(uuid.uuid4())
    labels = {'name': 'cs-chain-%s' % snapshot_id, 'properties': {
        'consistent_snap_group_snapshot_id': snapshot_id}}
    return capturer.capture({'server_id': guest.server.id}, labels)


def _sha(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def test_a_snapshot_leaves_the_chain_as_it_was(api_as, guest):
    api = api_as('minicloud-demo')
    before = _chain(guest)
    directory = os.path.dirname(before[0])
    files = sorted(os.listdir(directory))
    snap = _snapshot(api, {'servers': [guest.server.id], 'consistent': True,
                           'mode': 'barrier', 'quiesce': True})
    try:
        assert snap['status'] == 'available', snap['error']
        assert _chain(guest) == before
        assert sorted(os.listdir(directory)) == files
        assert all(os.path.exists(f) for f in before)
    finally:
        _delete(api, snap)


def test_overlapping_captures_unlink_nothing_the_guest_runs_on(
        capturer, guest):
    before = _chain(guest)
    [first] = _capture(capturer, guest).artifacts
    [second] = _capture(capturer, guest).artifacts
    stacked = [second['overlay'], first['overlay']] + before
    assert _chain(guest) == stacked
    # The first one's merge: its overlay backs the second, which the
    # guest writes to. Left in place, not unlinked.
    capturer.delete(dict(first))
    assert _chain(guest) == stacked
    assert all(os.path.exists(f) for f in stacked)
    # The second one's merge folds both back into the disk.
    started = time.monotonic()
    capturer.delete(dict(second))
    print('two stacked overlays merged back in %.2f s' % (
        time.monotonic() - started))
    assert _chain(guest) == before
    assert not os.path.exists(first['overlay'])
    assert not os.path.exists(second['overlay'])
    assert all(os.path.exists(f) for f in before)


def test_a_hard_reboot_during_the_copy_out_quarantines_the_overlay(
        capturer, guest, demo, admin, tmp_path):
    before = _chain(guest)
    capture = _capture(capturer, guest)
    [artifact] = capture.artifacts
    overlay = artifact['overlay']
    assert _chain(guest) == [overlay] + before
    # The guest writes after the point: into the overlay.
    guest.append('/mnt/d0/after-the-snapshot', 'x' * 65536)
    guest.agent('guest-exec', path='/bin/sh', arg=['-c', 'sync'])
    time.sleep(1)
    # Nova regenerates the domain from its own disk path, the base.
    demo.compute.reboot_server(guest.server, 'HARD')
    deadline = time.monotonic() + WAIT
    while True:
        server = demo.compute.get_server(guest.server.id)
        if server.status == 'ACTIVE' and server.task_state is None:
            break
        assert server.status != 'ERROR'
        assert time.monotonic() < deadline, 'hard reboot took too long'
        time.sleep(1)
    assert _chain(guest) == before
    guest.dom = guest.conn.lookupByUUIDString(guest.server.id)
    written = _sha(overlay)
    try:
        with pytest.raises(RuntimeError) as e:
            capturer.wait_done(capture, time.time() + WAIT)
    finally:
        if artifact.get('image_id'):  # Uploaded: the bug this is about.
            admin.image.delete_image(artifact['image_id'])
    print(e.value)
    quarantine = tmp_path / 'state' / libvirt_capturer.QUARANTINE
    [kept] = os.listdir(quarantine)
    assert 'hard reboot' in str(e.value)
    assert str(quarantine / kept) in str(e.value)
    assert _sha(quarantine / kept) == written
    assert not os.path.exists(overlay) and 'image_id' not in artifact
    assert _chain(guest) == before
    assert all(os.path.exists(f) for f in before)
    # Its writes can be recovered: it still opens on its backing chain.
    assert libvirt_host.backing_chain(str(quarantine / kept)) == [
        str(quarantine / kept)] + before
    _wait_agent(guest)
