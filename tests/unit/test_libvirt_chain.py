"""The libvirt capturer never unlinks a file a guest may still need.

libvirtd is the one part faked here (a domain object that keeps a disk
chain, a block job and a persistent definition as libvirt shows them in
its XML); the disk files are real qcow2 files, read by the real qemu-img.
"""

import hashlib
import os
import shutil
import subprocess
import threading
import time
import types
import xml.etree.ElementTree as ElementTree

from openstack import exceptions as sdk_exceptions
import pytest

from consistent_snap.capturers import libvirt as capturer_mod
from consistent_snap.virt import libvirt_host

pytestmark = pytest.mark.skipif(not shutil.which('qemu-img'),
                                reason='qemu-img is not installed')


# The constants of libvirt-python the code reads; the real module when
# this host has it.
try:
    import libvirt as LIBVIRT
except ImportError:
    LIBVIRT = types.SimpleNamespace(
        libvirtError=type('libvirtError', (Exception,), {}),
        VIR_DOMAIN_XML_INACTIVE=2,
        VIR_CONNECT_LIST_DOMAINS_ACTIVE=1, VIR_ERR_NO_DOMAIN=42,
        VIR_ERR_OPERATION_INVALID=55, VIR_ERR_BLOCK_COPY_ACTIVE=102,
        VIR_DOMAIN_BLOCK_COMMIT_SHALLOW=1, VIR_DOMAIN_BLOCK_COMMIT_ACTIVE=4,
        VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT=2,
        VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA=4,
        VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY=16,
        VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC=128)


def _error(message, code):
    error = LIBVIRT.libvirtError(message)
    error.get_error_code = lambda: code
    return error


def _qemu_img(*args):
    subprocess.run(('qemu-img',) + args, check=True, capture_output=True)


def _sha(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


class FakeDomain:
    """A running Nova guest as libvirtd shows it.

    live: {dev: [files, top first]}, shown with its <backingStore> chain;
    defined: {dev: top file} of the persistent definition, shown without
    one (as libvirt does). A block commit moves the overlay's data into
    the file below it for real (qemu-img commit) when it pivots.
    """

    def __init__(self, uuid, live):
        self.uuid = uuid
        self.live = live
        self.defined = {dev: files[0] for dev, files in live.items()}
        self.active = True
        self.jobs = {}  # dev: (job, mirror file, ready)
        self.commits = []
        self.pivots = []
        self.snapshots = 0
        self.ready = threading.Event()
        self.ready.set()
        self.committing = threading.Event()

    def UUIDString(self):
        return self.uuid

    def isActive(self):
        return self.active

    def XMLDesc(self, flags):
        inactive = flags & LIBVIRT.VIR_DOMAIN_XML_INACTIVE
        root = ElementTree.Element('domain')
        devices = ElementTree.SubElement(root, 'devices')
        for dev, files in sorted(self.live.items()):
            disk = ElementTree.SubElement(devices, 'disk', type='file',
                                          device='disk')
            ElementTree.SubElement(disk, 'driver', name='qemu', type='qcow2')
            if inactive:
                ElementTree.SubElement(disk, 'source',
                                       file=self.defined[dev])
            else:
                node = disk
                for path in files:
                    ElementTree.SubElement(node, 'source', file=path)
                    node = ElementTree.SubElement(node, 'backingStore',
                                                  type='file')
                if dev in self.jobs:
                    job, mirror, _ = self.jobs[dev]
                    ElementTree.SubElement(ElementTree.SubElement(
                        disk, 'mirror', type='file', job=job), 'source',
                        file=mirror)
            ElementTree.SubElement(disk, 'target', dev=dev, bus='virtio')
        return ElementTree.tostring(root, encoding='unicode')

    def snapshotCreateXML(self, xml, flags):
        if self.jobs:
            raise _error('disk has an active block job', 55)
        self.snapshots += 1
        for disk in ElementTree.fromstring(xml).findall('./disks/disk'):
            dev, overlay = disk.get('name'), disk.find('source').get('file')
            _qemu_img('create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b',
                      self.live[dev][0], overlay)
            self.live[dev].insert(0, overlay)
            # libvirt moves the persistent definition with it.
            self.defined[dev] = overlay

    def blockJobInfo(self, dev, flags):
        if dev not in self.jobs:
            return {}
        ready = self.jobs[dev][2] and self.ready.is_set()
        return {'type': 4, 'cur': 10 if ready else 5, 'end': 10}

    def blockCommit(self, dev, base, top, bandwidth, flags):
        assert flags == (LIBVIRT.VIR_DOMAIN_BLOCK_COMMIT_ACTIVE |
                         LIBVIRT.VIR_DOMAIN_BLOCK_COMMIT_SHALLOW)
        self.commits.append(dev)
        self.jobs[dev] = ('active-commit', self.live[dev][1], True)
        self.committing.set()

    def blockJobAbort(self, dev, flags):
        if dev not in self.jobs:
            raise _error('no job on %s' % dev, 55)
        job, _, _ = self.jobs.pop(dev)
        if flags & LIBVIRT.VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT:
            self.pivots.append((dev, job))
            if job == 'active-commit':
                _qemu_img('commit', '-q', '-d', self.live[dev][0])
                del self.live[dev][0]
                self.defined[dev] = self.live[dev][0]

    def hard_reboot(self, disk_paths):
        """What Nova's hard reboot does: a domain from Nova's disk paths."""
        for dev, path in disk_paths.items():
            self.live[dev] = self.live[dev][self.live[dev].index(path):]
            self.defined[dev] = path


class FakeConnection:

    def __init__(self, *domains):
        self.domains = {d.uuid: d for d in domains}

    def lookupByUUIDString(self, uuid):
        if uuid not in self.domains:
            raise _error('no domain', LIBVIRT.VIR_ERR_NO_DOMAIN)
        return self.domains[uuid]

    def listAllDomains(self, flags):
        return [d for d in self.domains.values()
                if d.active or not flags &
                LIBVIRT.VIR_CONNECT_LIST_DOMAINS_ACTIVE]


class FakeImage:
    """openstacksdk's Image: upload() sends the data (PUT .../file)."""

    def __init__(self, images, image_id):
        self.images, self.id, self.status = images, image_id, 'queued'

    def upload(self, session, data=None):
        self.images.uploaded[self.id] = data.read()
        self.status = 'active'
        return types.SimpleNamespace(status_code=204, headers={})


class FakeImages:
    """Glance, the one other boundary, as openstacksdk's image proxy.

    Records the images created (with no data, a record only), the data
    uploaded into them and the images deleted. stuck: the wait for
    active times out, as it does when Glance never finishes the upload.
    """

    def __init__(self):
        self.created = []
        self.uploaded = {}
        self.deleted = []
        self.stuck = False

    def create_image(self, **kwargs):
        assert 'filename' not in kwargs and 'data' not in kwargs
        self.created.append(kwargs)
        return FakeImage(self, 'image-%d' % len(self.created))

    def wait_for_status(self, image, status, failures=None, interval=2,
                        wait=None):
        if self.stuck:
            raise sdk_exceptions.ResourceTimeout(
                'Timeout waiting for %s to transition to active' % image.id)
        return image

    def delete_image(self, image_id, ignore_missing=True):
        self.deleted.append(image_id)

    def get(self, url, raise_exc=True):
        """GET /images/{id}: the server's image, as Glance v2 shows it."""
        assert url == '/images/%s' % BASE_IMAGE['id'] and not raise_exc
        return types.SimpleNamespace(status_code=200, headers={},
                                     json=lambda: dict(BASE_IMAGE))


class FakeServers:
    """Nova's GET /servers/{id} as openstacksdk shows it: its image."""

    def get_server(self, server_id):
        return types.SimpleNamespace(id=server_id, image={
            'id': BASE_IMAGE['id'], 'links': []})


SERVER = '11111111-2222-3333-4444-555555555555'
# The guest image of the test cloud's libvirt hosts, as Glance shows it:
# a direct kernel boot, a guest agent, a trait for the libvirt hosts; and
# what a Nova snapshot of another server would carry.
BASE_IMAGE = {
    'id': 'b0000000-0000-0000-0000-000000000001', 'name': 'guest',
    'status': 'active', 'visibility': 'public', 'protected': False,
    'checksum': 'c', 'os_hash_algo': 'sha512', 'os_hash_value': 'h',
    'os_hidden': False, 'size': 1, 'virtual_size': 2, 'owner': 'p',
    'min_disk': 0, 'min_ram': 0, 'disk_format': 'qcow2',
    'container_format': 'bare', 'tags': [], 'file': '/v2/images/x/file',
    'schema': '/v2/schemas/image', 'self': '/v2/images/x',
    'created_at': '2026-12-04T00:00:00Z', 'updated_at': '2026-12-04T00:00:00Z',
    'stores': 'file', 'owner_specified.openstack.md5': 'm',
    'kernel_id': 'k1', 'ramdisk_id': 'r1', 'os_command_line': 'console=ttyS0',
    'hw_qemu_guest_agent': 'yes', 'trait:CUSTOM_MINICLOUD_LIBVIRT': 'required',
    'instance_uuid': 'another-server', 'base_image_ref': 'another-image',
    'image_type': 'snapshot', 'consistent_snap_group_snapshot_id': 'older'}
OTHER = '66666666-7777-8888-9999-000000000000'


@pytest.fixture
def host(conf, tmp_path, monkeypatch):
    """A host with one running guest: disk (qcow2) on a shared base."""
    conf.set_override('state_path', str(tmp_path / 'state'))
    conf.set_override('host', 'compute-real')
    base = tmp_path / '_base' / 'image'
    base.parent.mkdir()
    _qemu_img('create', '-q', '-f', 'raw', str(base), '1M')
    disk = tmp_path / 'instances' / SERVER / 'disk'
    disk.parent.mkdir(parents=True)
    _qemu_img('create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', str(base),
              str(disk))
    dom = FakeDomain(SERVER, {'vda': [str(disk), str(base)]})
    conn = FakeConnection(dom)
    monkeypatch.setattr(libvirt_host, 'libvirt', LIBVIRT)
    monkeypatch.setattr(libvirt_host, 'connection', lambda _conf: conn)
    capturer_mod._LEFT.clear()
    images = FakeImages()
    capturer = capturer_mod.LibvirtCapturer(
        conf, types.SimpleNamespace(image=images, compute=FakeServers()))
    return types.SimpleNamespace(
        conf=conf, dom=dom, conn=conn, disk=str(disk), base=str(base),
        capturer=capturer, images=images, tmp_path=tmp_path,
        quarantine=tmp_path / 'state' / capturer_mod.QUARANTINE)


def _capture(host, snapshot_id, server_id=SERVER):
    labels = {'name': 'snap-%s' % snapshot_id, 'properties': {
        'consistent_snap_group_snapshot_id': snapshot_id}}
    [artifact] = host.capturer.capture({'server_id': server_id},
                                       labels).artifacts
    return artifact


def _write(path, pattern):
    """A guest write, landing in the chain's top file."""
    subprocess.run(['qemu-io', '-f', 'qcow2', '-c',
                    'write -P %d 0 64k' % pattern, path], check=True,
                   capture_output=True)


def test_the_chain_is_read_from_the_xml_and_else_from_the_files(host):
    _capture(host, 'aaaaaaaa-1')
    overlay = host.dom.live['vda'][0]
    assert libvirt_host.chains(host.dom) == {
        'vda': [overlay, host.disk, host.base]}
    # The persistent definition has no <backingStore>: qemu-img reads it.
    assert libvirt_host.chains(host.dom, inactive=True) == {
        'vda': [overlay, host.disk, host.base]}
    host.dom.active = False
    assert {os.path.realpath(f) for f in (overlay, host.disk, host.base)
            } <= libvirt_host.files_in_use(host.conn)


def test_an_overlay_under_another_snapshots_overlay_is_never_unlinked(
        host):
    first = _capture(host, 'aaaaaaaa-1')
    second = _capture(host, 'bbbbbbbb-2')
    chain = [second['overlay'], first['overlay'], host.disk, host.base]
    assert host.dom.live['vda'] == chain
    # The first snapshot's merge: its overlay is not on top but the guest
    # runs on it (it is the second's backing file).
    host.capturer.delete(dict(first))
    assert host.dom.live['vda'] == chain and host.dom.commits == []
    assert all(os.path.exists(f) for f in chain)
    # The second's merge folds both back: the chain is as before.
    host.capturer.delete(dict(second))
    assert host.dom.live['vda'] == [host.disk, host.base]
    assert host.dom.commits == ['vda', 'vda']
    assert os.listdir(os.path.dirname(host.disk)) == ['disk']


def test_a_hard_reboot_during_the_copy_out_quarantines_the_overlay(host):
    artifact = _capture(host, 'aaaaaaaa-1')
    overlay = artifact['overlay']
    _write(overlay, 0xab)  # The guest writes after the snapshot.
    written = _sha(overlay)
    # Nova restarts the guest from its own disk path, during the copy.
    host.dom.hard_reboot({'vda': host.disk})
    capture = types.SimpleNamespace(artifacts=[artifact])
    with pytest.raises(RuntimeError) as e:
        host.capturer.wait_done(capture, time.time() + 60)
    [kept] = os.listdir(host.quarantine)
    assert str(e.value) == (
        'server %s no longer runs on overlay %s (restarted from its disk, '
        'e.g. by a hard reboot, during the copy-out): the copy is not '
        'trusted; the overlay, with the writes made between the snapshot '
        'and the restart, was moved to %s (inspect it with qemu-img info); '
        'it is deleted after 7 days' % (SERVER, overlay,
                                        host.quarantine / kept))
    assert kept.endswith('_%s_%s' % (SERVER, os.path.basename(overlay)))
    assert _sha(host.quarantine / kept) == written
    assert not os.path.exists(overlay)
    assert host.images.created == [] and artifact['status'] == 'error'
    assert host.dom.live['vda'] == [host.disk, host.base]
    assert os.path.exists(host.disk) and os.path.exists(host.base)
    # Deleting the snapshot later touches nothing more.
    host.capturer.delete(artifact)
    assert os.listdir(host.quarantine) == [kept]


def test_a_merge_keeps_the_guests_writes_and_leaves_the_chain_as_it_was(
        host):
    artifact = _capture(host, 'aaaaaaaa-1')
    _write(artifact['overlay'], 0xcd)
    overlay = artifact['overlay']
    capture = types.SimpleNamespace(artifacts=[artifact])
    host.capturer.wait_done(capture, time.time() + 60)
    assert artifact['status'] == 'available'
    assert host.dom.live['vda'] == [host.disk, host.base]
    assert not os.path.exists(overlay)
    read = subprocess.run(['qemu-io', '-f', 'qcow2', '-c',
                           'read -P 205 0 64k', host.disk],
                          capture_output=True, text=True)
    assert 'Pattern verification failed' not in read.stdout, read.stdout


def test_a_block_job_that_is_not_ours_is_left_alone(host):
    artifact = _capture(host, 'aaaaaaaa-1')
    # Nova's own job on the disk (a rebase, a live block migration).
    host.dom.jobs['vda'] = ('copy', str(host.tmp_path / 'elsewhere'), True)
    with pytest.raises(RuntimeError) as e:
        host.capturer.delete(artifact)
    assert ("has a block job (copy) that is not the merge of overlay %s "
            "into %s; it is left alone" % (artifact['overlay'], host.disk)
            ) in str(e.value)
    assert host.dom.pivots == [] and 'vda' in host.dom.jobs
    assert os.path.exists(artifact['overlay'])


def test_our_own_commit_left_running_is_adopted(host):
    artifact = _capture(host, 'aaaaaaaa-1')
    host.dom.jobs['vda'] = ('active-commit', host.disk, True)
    host.capturer.delete(artifact)
    assert host.dom.commits == []  # Not started twice.
    assert host.dom.pivots == [('vda', 'active-commit')]
    assert host.dom.live['vda'] == [host.disk, host.base]


def test_one_capture_or_merge_at_a_time_on_a_domain(host):
    artifact = _capture(host, 'aaaaaaaa-1')
    host.dom.ready.clear()  # The commit takes its time.
    errors = []

    def merge(artifact):
        try:
            host.capturer.delete(artifact)
        except Exception as e:
            errors.append(e)

    first = threading.Thread(target=merge, args=(dict(artifact),))
    first.start()
    assert host.dom.committing.wait(10)
    # The same merge again (an abort beside the finalize), and a capture
    # while the guest is frozen: they wait for the merge, or give up.
    second = threading.Thread(target=merge, args=(dict(artifact),))
    second.start()
    started = time.monotonic()
    with pytest.raises(libvirt_host.DomainBusy) as e:
        _capture(host, 'bbbbbbbb-2')
    assert 0.9 < time.monotonic() - started < 3
    assert 'busy with another capture or merge' in str(e.value)
    host.dom.ready.set()
    first.join(10)
    second.join(10)
    assert errors == []
    assert host.dom.commits == ['vda'] and host.dom.snapshots == 1
    assert host.dom.live['vda'] == [host.disk, host.base]


def test_the_image_id_is_recorded_before_its_upload_can_time_out(host):
    artifact = _capture(host, 'aaaaaaaa-1')
    copy = host.disk + capturer_mod.COPY_SUFFIX
    host.images.stuck = True
    capture = types.SimpleNamespace(artifacts=[artifact])
    with pytest.raises(sdk_exceptions.ResourceTimeout):
        host.capturer.wait_done(capture, time.time() + 60)
    # The labelled record was made first, then the flattened copy sent.
    [created] = host.images.created
    assert created['consistent_snap_group_snapshot_id'] == 'aaaaaaaa-1'
    # It boots as the server's image did; nothing of Glance's own or of
    # Nova's snapshots is passed on.
    assert {k: v for k, v in created.items()
            if not k.startswith('consistent_snap_')} == {
        'name': created['name'], 'disk_format': 'qcow2',
        'container_format': 'bare', 'allow_duplicates': True,
        'kernel_id': 'k1', 'ramdisk_id': 'r1',
        'os_command_line': 'console=ttyS0', 'hw_qemu_guest_agent': 'yes',
        'trait:CUSTOM_MINICLOUD_LIBVIRT': 'required'}
    assert host.images.uploaded['image-1'][:4] == b'QFI\xfb'  # qcow2
    assert (artifact['image_id'], artifact['status']) == ('image-1', 'error')
    assert not os.path.exists(copy)
    # What an abort or a reap does with the artifact deletes the image.
    host.capturer.delete(artifact)
    assert host.images.deleted == ['image-1']


def test_a_copy_out_left_by_a_killed_agent_is_deleted_at_start(host):
    copy = host.disk + capturer_mod.COPY_SUFFIX
    _qemu_img('create', '-q', '-f', 'qcow2', copy, '1M')
    unrelated = os.path.join(os.path.dirname(host.disk), 'console.log')
    with open(unrelated, 'w') as f:
        f.write('boot\n')
    assert capturer_mod.merge_leftovers(host.conf) == 0
    assert sorted(os.listdir(os.path.dirname(host.disk))) == [
        'console.log', 'disk']
    assert host.dom.live['vda'] == [host.disk, host.base]


def test_leftovers_stacked_or_orphaned_are_merged_or_quarantined(host):
    # A killed agent left two stacked overlays on the guest, and one that
    # a hard reboot put out of every chain.
    _capture(host, 'aaaaaaaa-1')
    _capture(host, 'bbbbbbbb-2')
    orphan = host.disk + host.conf.libvirt.overlay_suffix + '-cccccccc'
    _qemu_img('create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b',
              host.disk, orphan)
    assert capturer_mod.merge_leftovers(host.conf) == 2
    assert host.dom.live['vda'] == [host.disk, host.base]
    [kept] = os.listdir(host.quarantine)
    assert kept.endswith(os.path.basename(orphan))
    assert sorted(os.listdir(os.path.dirname(host.disk))) == ['disk']


def test_quarantine_is_purged_only_when_old_and_in_no_chain(host):
    host.quarantine.mkdir(parents=True)
    stamp = '%Y%m%dT%H%M%S'
    old = time.strftime(stamp, time.gmtime(time.time() - 8 * 86400))
    new = time.strftime(stamp, time.gmtime())
    names = {'old': '%s_x_disk.cs-overlay-1' % old,
             'new': '%s_x_disk.cs-overlay-2' % new,
             'used': '%s_x_disk.cs-overlay-3' % old}
    for name in names.values():
        _qemu_img('create', '-q', '-f', 'qcow2', str(host.quarantine / name),
                  '1M')
    # Someone pointed a domain at a quarantined file to recover it.
    other = FakeDomain(OTHER, {'vda': [str(host.quarantine /
                                           names['used'])]})
    other.active = False
    host.conn.domains[OTHER] = other
    purged = capturer_mod.purge_quarantine(host.conf, host.conn)
    assert purged == [str(host.quarantine / names['old'])]
    assert sorted(os.listdir(host.quarantine)) == sorted(
        [names['new'], names['used']])
