"""All of a domain's disks at one instant: an atomic external snapshot.

While the guest is frozen, one libvirt call switches every disk to a new
overlay at once (DISK_ONLY | ATOMIC | NO_METADATA): the disks' files stop
changing there, which fixes the point in time in a few tens of
milliseconds. After the thaw each frozen file is copied out (with its
backing chain, into one qcow2), the overlay is merged back into the disk
(an active block commit, then a pivot) so the chain never grows, and the
copy is uploaded to Glance with the group snapshot's labels. Deleting
the group snapshot deletes the images like any other (nova capturer).

Nothing a guest may run on, or wrote, is unlinked: whether a file is in
use is read from every domain's whole backing chain, live and defined;
captures and merges of one domain take turns; only our own commit is
adopted; an overlay that left the chain unmerged (a hard reboot restarts
the guest from its disk) holds the guest's writes since the snapshot and
goes to a quarantine, deleted after [libvirt] quarantine_days.
"""

import calendar
import os
import shutil
import subprocess
import time
import xml.etree.ElementTree as ElementTree

from openstack import exceptions as sdk_exceptions
from oslo_log import log as logging

from consistent_snap.capturers import base
from consistent_snap.virt import libvirt_host

LOG = logging.getLogger(__name__)
DISK = 'libvirt_disk'
QUARANTINE = 'libvirt-quarantine'
# The flattened copy of a frozen disk file, beside it until uploaded.
COPY_SUFFIX = '.cs-copy'
# A capture runs while its guest is frozen: it may wait for another
# capture's call (tens of ms), never for a merge (minutes).
CAPTURE_LOCK_WAIT_S = 1.0
# Overlays whose merge found another snapshot's overlay on top of them:
# merged by the merge of that one (or the agent's next start).
_LEFT = set()
# Of the server's image, what is Glance's own or describes that image's
# data rather than how its guest boots: not passed on to the root disk's
# image (every other property is, as Nova does for its snapshots, so a
# server restored from it boots as the original did: kernel, guest agent,
# disk bus, traits).
NOT_INHERITED = frozenset((
    'id', 'name', 'status', 'visibility', 'protected', 'checksum', 'size',
    'virtual_size', 'owner', 'created_at', 'updated_at', 'file', 'schema',
    'self', 'tags', 'disk_format', 'container_format', 'direct_url',
    'locations', 'stores', 'os_hidden', 'min_disk', 'min_ram',
    # What Nova writes on an image it made of a server: this one was not,
    # and is_ours() tells artifacts from Nova's heirs by them.
    'instance_uuid', 'base_image_ref', 'image_type', 'image_location',
    'user_id', 'owner_id', 'owner_project_name', 'owner_user_name',
    'boot_roles', 'block_device_mapping', 'bdm_v2', 'root_device_name'))
NOT_INHERITED_PREFIXES = ('os_hash_', 'owner_specified.', 'img_signature',
                          'consistent_snap_')


def _snapshot_xml(name, overlays):
    root = ElementTree.Element('domainsnapshot')
    ElementTree.SubElement(root, 'name').text = name
    disks = ElementTree.SubElement(root, 'disks')
    for dev, overlay in overlays:
        disk = ElementTree.SubElement(disks, 'disk', name=dev,
                                      snapshot='external')
        ElementTree.SubElement(disk, 'driver', type='qcow2')
        ElementTree.SubElement(disk, 'source', file=overlay)
    return ElementTree.tostring(root, encoding='unicode')


class LibvirtCapturer(base.Capturer):
    """Runs on the agent of a compute host with Nova's libvirt driver."""

    artifact_types = (DISK,)

    @classmethod
    def recover(cls, conf):
        merge_leftovers(conf)

    def warm_up(self, members):
        base.read_one_image(self.conn)  # For the upload, after the thaw.

    def capture(self, member, labels):
        libvirt = libvirt_host.libvirt
        dom = libvirt_host.domain(self.conf, member['server_id'])
        if dom is None:
            raise RuntimeError('no libvirt domain for server %s on this '
                               'host' % member['server_id'])
        snapshot_id = labels['properties'][base.LABEL]
        suffix = '%s-%s' % (self.conf.libvirt.overlay_suffix, snapshot_id[:8])
        disks = libvirt_host.disks(dom)
        overlays = [(dev, path + suffix) for dev, path, _ in disks]
        flags = (libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY |
                 libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC |
                 libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA)
        called_at = time.time()
        if dom.isActive():
            with libvirt_host.domain_lock(self.conf, member['server_id'],
                                          CAPTURE_LOCK_WAIT_S):
                dom.snapshotCreateXML(_snapshot_xml(suffix.lstrip('.'),
                                                    overlays), flags)
            fixed_at = time.time()
        else:
            # A stopped guest's files do not move: copy them as they are.
            overlays = [(dev, None) for dev, _ in overlays]
            fixed_at = called_at
        artifacts = [{
            'type': DISK, 'id': '%s:%s' % (member['server_id'], dev),
            'server_id': member['server_id'], 'status': 'creating',
            'host': self.conf.host,
            'disk': dev, 'frozen_file': path, 'overlay': overlay,
            'name': '%s-%s' % (labels['name'], dev),
            'properties': dict(labels['properties'],
                               consistent_snap_disk=dev),
        } for (dev, path, _), (_, overlay) in zip(disks, overlays)]
        return base.Capture(artifacts=artifacts, called_at=called_at,
                            fixed_at=fixed_at)

    def is_fixed(self, artifact):
        return True  # Fixed when snapshotCreateXML returned.

    def status(self, artifact):
        return artifact['status']

    def _boot_properties(self, server_id):
        """The properties of the image the server was booted from."""
        try:
            image_id = (self.conn.compute.get_server(server_id).image or
                        {}).get('id')
            if not image_id:
                return {}
            response = self.conn.image.get('/images/%s' % image_id,
                                           raise_exc=False)
            sdk_exceptions.raise_from_response(response)
        except sdk_exceptions.SDKException as e:
            LOG.warning('Server %s: its image could not be read (%s): the '
                        'image of its root disk will not say how to boot it '
                        '(kernel, guest agent, traits)', server_id, e)
            return {}
        return {k: v for k, v in response.json().items()
                if v is not None and k not in NOT_INHERITED and
                not k.startswith(NOT_INHERITED_PREFIXES)}

    def wait_done(self, capture, deadline):
        """Copy out, merge back, upload: after the thaw."""
        if capture.artifacts:
            root = min(capture.artifacts, key=lambda a: a['disk'])
            root['properties'] = dict(
                self._boot_properties(root['server_id']),
                **root['properties'])
        for artifact in capture.artifacts:
            copy = artifact['frozen_file'] + COPY_SUFFIX
            try:
                # Flattened: the copy needs no backing file of this host.
                subprocess.run(
                    ['qemu-img', 'convert', '-U', '-O', 'qcow2',
                     artifact['frozen_file'], copy],
                    check=True, capture_output=True, text=True,
                    timeout=max(1.0, deadline - time.time()))
                overlay = artifact['overlay']
                quarantined = self._merge(artifact)
                if quarantined:
                    raise RuntimeError(
                        'server %s no longer runs on overlay %s (restarted '
                        'from its disk, e.g. by a hard reboot, during the '
                        'copy-out): the copy is not trusted; the overlay, '
                        'with the writes made between the snapshot and the '
                        'restart, was moved to %s (inspect it with qemu-img '
                        'info); it is deleted after %d days' % (
                            artifact['server_id'], overlay, quarantined,
                            self.conf.libvirt.quarantine_days))
                self._upload(artifact, copy, deadline)
                artifact['status'] = 'available'
            except subprocess.CalledProcessError as e:
                artifact['status'] = 'error'
                raise RuntimeError('copying %s failed: %s' % (
                    artifact['frozen_file'], e.stderr.strip()))
            except Exception:
                artifact['status'] = 'error'
                raise
            finally:
                if os.path.exists(copy):
                    os.unlink(copy)
        return capture

    def _upload(self, artifact, copy, deadline):
        """The copy as a labelled Glance image, its id recorded first.

        The image is created empty and its id put in the artifact before
        any data is sent: one whose upload fails, times out or is cut by
        the agent's death is deleted with the artifact (an abort, a reap),
        or else by the garbage collector, which finds it by its labels.
        """
        images = self.conn.image
        # Neither filename nor data: openstacksdk creates the record only.
        image = images.create_image(
            name=artifact['name'], disk_format='qcow2',
            container_format='bare', allow_duplicates=True,
            **artifact['properties'])
        artifact['image_id'] = image.id
        with open(copy, 'rb') as data:
            sdk_exceptions.raise_from_response(image.upload(images,
                                                            data=data))
        images.wait_for_status(image, 'active', failures=['killed'],
                               interval=1,
                               wait=max(1, int(deadline - time.time())))

    def _merge(self, artifact):
        """Fold the overlay back into the disk; idempotent.

        Nothing that may be live or hold writes newer than the snapshot
        is unlinked: only an overlay this call has just committed and
        pivoted away from. One that left the guest's chain some other way
        (a hard reboot restarts the guest from its disk) still holds the
        guest's writes since the snapshot: it is quarantined, and its new
        path returned.
        """
        overlay = artifact.get('overlay')
        if not overlay:
            return
        server_id, dev = artifact['server_id'], artifact['disk']
        with libvirt_host.domain_lock(self.conf, server_id,
                                      self.conf.libvirt.commit_timeout):
            dom = libvirt_host.domain(self.conf, server_id)
            chain = libvirt_host.chains(dom).get(dev, []) if dom else []
            conn = libvirt_host.connection(self.conf)
            if chain and _same(chain[0], overlay):
                if not dom.isActive():
                    raise RuntimeError(
                        'server %s is stopped with its disk %s writing to '
                        '%s; nothing was merged or deleted: start its '
                        'domain with virsh (Nova\'s start restarts it from '
                        'its disk, without these writes) and restart the '
                        'agent, which merges it at its start' % (
                            server_id, dev, overlay))
                merge_overlay(self.conf, dom, dev, overlay)
                _unlink_merged(conn, overlay)
                artifact['overlay'] = None
                try:
                    _merge_left(self.conf, conn, dom, dev)
                except Exception:
                    LOG.exception('Could not merge the overlays left under '
                                  '%s; the agent merges them at its start',
                                  overlay)
            elif _same_in(overlay, libvirt_host.files_in_use(conn)):
                # Another snapshot's overlay sits on top of it: merged
                # once that one is, by whoever finds it on top.
                LOG.warning('Overlay %s of server %s is still in a disk '
                            'chain below another file; left in place, the '
                            'next merge on top of it merges it', overlay,
                            server_id)
                _LEFT.add(os.path.realpath(overlay))
                artifact['overlay'] = None
                return
            elif os.path.exists(overlay):
                artifact.update(overlay=None,
                                quarantined=quarantine(self.conf, overlay))
                return artifact['quarantined']
            artifact['overlay'] = None
            purge_quarantine(self.conf, conn)

    def delete(self, artifact):
        # Only the agent of the disk's host may touch the overlay; anyone
        # may delete the uploaded image.
        if artifact.get('overlay') and artifact.get('host') == self.conf.host:
            self._merge(artifact)
        if artifact.get('image_id'):
            self.conn.image.delete_image(artifact['image_id'],
                                         ignore_missing=True)


def _same(a, b):
    return os.path.realpath(a) == os.path.realpath(b)


def _same_in(path, real_paths):
    return os.path.realpath(path) in real_paths


def _is_overlay(conf, path):
    return conf.libvirt.overlay_suffix + '-' in os.path.basename(path)


def _merge_left(conf, conn, dom, dev):
    """Merge the overlays whose own merge found another on top of them."""
    chain = libvirt_host.chains(dom).get(dev, [])
    while len(chain) > 1 and _same_in(chain[0], _LEFT):
        merge_overlay(conf, dom, dev, chain[0])
        _unlink_merged(conn, chain[0])
        _LEFT.discard(os.path.realpath(chain[0]))
        chain = libvirt_host.chains(dom).get(dev, [])


def _unlink_merged(conn, overlay):
    """Unlink an overlay just committed into its disk, if nothing uses it."""
    if _same_in(overlay, libvirt_host.files_in_use(conn)):
        LOG.warning('Merged overlay %s is in a disk chain again: kept',
                    overlay)
    elif os.path.exists(overlay):
        os.unlink(overlay)


def quarantine(conf, path):
    """Move a file that may hold a guest's writes out of the way.

    Returns its new path, named after when and where it came from.
    """
    directory = os.path.join(conf.state_path, QUARANTINE)
    os.makedirs(directory, exist_ok=True)
    target = os.path.join(directory, '%s_%s_%s' % (
        time.strftime('%Y%m%dT%H%M%S', time.gmtime()),
        os.path.basename(os.path.dirname(path)), os.path.basename(path)))
    shutil.move(path, target)
    LOG.error('Quarantined %s as %s: it left its guest\'s disk chain '
              'unmerged, with the writes made since its snapshot', path,
              target)
    return target


def purge_quarantine(conf, conn):
    """Delete quarantined files that are old enough and in no chain.

    Older than [libvirt] quarantine_days, and held by no domain's chain
    (running or not). Returns their paths.
    """
    directory = os.path.join(conf.state_path, QUARANTINE)
    if not os.path.isdir(directory):
        return []
    oldest = time.time() - conf.libvirt.quarantine_days * 86400
    used = None
    purged = []
    for name in sorted(os.listdir(directory)):
        try:
            at = calendar.timegm(time.strptime(name.split('_', 1)[0],
                                               '%Y%m%dT%H%M%S'))
        except ValueError:
            continue  # Not ours.
        if at > oldest:
            continue
        used = libvirt_host.files_in_use(conn) if used is None else used
        path = os.path.join(directory, name)
        if not _same_in(path, used):
            os.unlink(path)
            purged.append(path)
    return purged


def merge_overlay(conf, dom, dev, overlay):
    """Active commit of overlay, dev's top file, into the file below; pivot.

    A running job is adopted only if it is ours: the commit of this very
    overlay into the file below it; any other job is left alone.
    The pivot is allowed only once the job is ready (its mirror caught up
    with the guest's writes); cur == end is no proof of that, so the
    pivot is retried until libvirt accepts it.
    """
    libvirt = libvirt_host.libvirt
    chain = libvirt_host.chains(dom).get(dev, [])
    if len(chain) < 2 or not _same(chain[0], overlay):
        raise RuntimeError('disk %s of server %s does not run on overlay %s '
                           '(its chain: %s): nothing to merge' % (
                               dev, dom.UUIDString(), overlay,
                               ' <- '.join(chain)))
    if dom.blockJobInfo(dev, 0):
        job = libvirt_host.mirror_job(dom, dev)
        if not job or job[0] != 'active-commit' or not _same(job[1],
                                                             chain[1]):
            raise RuntimeError(
                'disk %s of server %s has a block job (%s) that is not the '
                'merge of overlay %s into %s; it is left alone: wait for it '
                'to end (virsh blockjob %s %s --info), then delete the group '
                'snapshot again' % (dev, dom.UUIDString(),
                                    job[0] if job else 'unknown', overlay,
                                    chain[1], dom.UUIDString(), dev))
        # Ours: a commit that an earlier try started is still going.
    else:
        dom.blockCommit(dev, None, None, 0,
                        libvirt.VIR_DOMAIN_BLOCK_COMMIT_ACTIVE |
                        libvirt.VIR_DOMAIN_BLOCK_COMMIT_SHALLOW)
    deadline = time.time() + conf.libvirt.commit_timeout
    while True:
        info = dom.blockJobInfo(dev, 0)
        if not info:
            raise RuntimeError(
                'the merge of overlay %s into %s ended without its pivot '
                '(the guest stopped or restarted?); nothing was unlinked' % (
                    overlay, chain[1]))
        if info.get('end') and info['cur'] == info['end']:
            try:
                dom.blockJobAbort(dev,
                                  libvirt.VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT)
                return
            except libvirt.libvirtError as e:
                if e.get_error_code() != libvirt.VIR_ERR_BLOCK_COPY_ACTIVE:
                    raise
        if time.time() > deadline:
            dom.blockJobAbort(dev, 0)
            raise RuntimeError('merging the overlay of %s took more than '
                               '%.0f s' % (dev, conf.libvirt.commit_timeout))
        time.sleep(0.05)


def merge_leftovers(conf):
    """At agent start: finish what a killed agent left.

    Merges the overlays left on top of running guests' disks, quarantines
    those found next to a disk but in no domain's chain, deletes the
    copy-outs found there (their upload was cut short) and purges the
    quarantine. Returns how many were merged.
    """
    merged = 0
    if libvirt_host.libvirt is None:
        return merged
    conn = libvirt_host.connection(conf)
    for dom in conn.listAllDomains(
            libvirt_host.libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE):
        with libvirt_host.domain_lock(conf, dom.UUIDString(),
                                      conf.libvirt.commit_timeout):
            for dev, chain in libvirt_host.chains(dom).items():
                # Overlapping snapshots may have stacked several.
                while len(chain) > 1 and _is_overlay(conf, chain[0]):
                    LOG.warning('Merging overlay %s of %s, left by an '
                                'agent that stopped', chain[0],
                                dom.UUIDString())
                    merge_overlay(conf, dom, dev, chain[0])
                    _unlink_merged(conn, chain[0])
                    merged += 1
                    chain = libvirt_host.chains(dom).get(dev, [])
    used = libvirt_host.files_in_use(conn)
    for directory in {os.path.dirname(f) for f in used}:
        for name in sorted(os.listdir(directory)):
            path = os.path.join(directory, name)
            if _same_in(path, used):
                continue
            if _is_overlay(conf, path):
                quarantine(conf, path)
            elif name.endswith(COPY_SUFFIX) and os.path.isfile(path):
                # A copy whose upload the agent's death cut short: nothing
                # uploads it any more (it starts before serving).
                LOG.warning('Deleting %s, a copy-out left by an agent that '
                            'stopped', path)
                os.unlink(path)
    purge_quarantine(conf, conn)
    return merged
