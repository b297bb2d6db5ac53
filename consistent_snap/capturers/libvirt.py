"""All of a domain's disks at one instant: an atomic external snapshot.

While the guest is frozen, one libvirt call switches every disk to a new
overlay at once (DISK_ONLY | ATOMIC | NO_METADATA): the disks' files stop
changing there, which fixes the point in time in a few tens of
milliseconds. After the thaw each frozen file is copied out (with its
backing chain, into one qcow2), the overlay is merged back into the disk
(an active block commit, then a pivot) so the chain never grows, and the
copy is uploaded to Glance with the group snapshot's labels. Deleting
the group snapshot deletes the images like any other (nova capturer).
"""

import os
import subprocess
import time
import xml.etree.ElementTree as ElementTree

from oslo_log import log as logging

from consistent_snap.capturers import base
from consistent_snap.virt import libvirt_host

LOG = logging.getLogger(__name__)
DISK = 'libvirt_disk'


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

    def capture(self, member, labels):
        libvirt = libvirt_host.libvirt
        dom = libvirt_host.domain(self.conf, member['server_id'])
        if dom is None:
            raise RuntimeError('no libvirt domain for server %s on this '
                               'host' % member['server_id'])
        snapshot_id = labels['properties']['consistent_snap_group_snapshot_id']
        suffix = '%s-%s' % (self.conf.libvirt.overlay_suffix, snapshot_id[:8])
        disks = libvirt_host.disks(dom)
        overlays = [(dev, path + suffix) for dev, path, _ in disks]
        flags = (libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY |
                 libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC |
                 libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA)
        called_at = time.time()
        if dom.isActive():
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

    def wait_done(self, capture, deadline):
        """Copy out, merge back, upload: after the thaw."""
        for artifact in capture.artifacts:
            copy = artifact['frozen_file'] + '.cs-copy'
            try:
                # Flattened: the copy needs no backing file of this host.
                subprocess.run(
                    ['qemu-img', 'convert', '-U', '-O', 'qcow2',
                     artifact['frozen_file'], copy],
                    check=True, capture_output=True, text=True,
                    timeout=max(1.0, deadline - time.time()))
                self._merge(artifact)
                image = self.conn.image.create_image(
                    name=artifact['name'], disk_format='qcow2',
                    container_format='bare', filename=copy,
                    wait=True, timeout=max(1, int(deadline - time.time())),
                    allow_duplicates=True, **artifact['properties'])
                artifact.update(image_id=image.id, status='available')
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

    def _merge(self, artifact):
        """Fold the overlay back into the disk; idempotent."""
        if not artifact.get('overlay'):
            return
        dom = libvirt_host.domain(self.conf, artifact['server_id'])
        if dom is not None and _uses(dom, artifact['overlay']):
            if not dom.isActive():
                raise RuntimeError(
                    'server %s stopped while writing to %s: start it, and '
                    'the agent merges it at its next start' % (
                        artifact['server_id'], artifact['overlay']))
            merge_overlay(self.conf, dom, artifact['disk'])
        if os.path.exists(artifact['overlay']):
            os.unlink(artifact['overlay'])
        artifact['overlay'] = None

    def delete(self, artifact):
        # Only the agent of the disk's host may touch the overlay; anyone
        # may delete the uploaded image.
        if artifact.get('overlay') and artifact.get('host') == self.conf.host:
            self._merge(artifact)
        if artifact.get('image_id'):
            self.conn.image.delete_image(artifact['image_id'],
                                         ignore_missing=True)


def _uses(dom, path):
    return any(p == path for inactive in (False, True)
               for _, p, _ in libvirt_host.disks(dom, inactive))


def merge_overlay(conf, dom, dev):
    """Active commit of dev's top file into its backing file, then pivot.

    The pivot is allowed only once the job is ready (its mirror caught up
    with the guest's writes); cur == end is no proof of that, so the
    pivot is retried until libvirt accepts it.
    """
    libvirt = libvirt_host.libvirt
    if not dom.blockJobInfo(dev, 0):
        # Else a commit that an earlier try started is still going.
        dom.blockCommit(dev, None, None, 0,
                        libvirt.VIR_DOMAIN_BLOCK_COMMIT_ACTIVE |
                        libvirt.VIR_DOMAIN_BLOCK_COMMIT_SHALLOW)
    deadline = time.time() + conf.libvirt.commit_timeout
    while True:
        info = dom.blockJobInfo(dev, 0)
        if info and info.get('end') and info['cur'] == info['end']:
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
    """At agent start: merge overlays a killed agent left on running guests.

    Returns how many were merged.
    """
    merged = 0
    if libvirt_host.libvirt is None:
        return merged
    conn = libvirt_host.connection(conf)
    for dom in conn.listAllDomains(
            libvirt_host.libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE):
        for dev, path, _ in libvirt_host.disks(dom):
            if conf.libvirt.overlay_suffix + '-' in os.path.basename(path):
                LOG.warning('Merging overlay %s of %s, left by an agent '
                            'that stopped', path, dom.UUIDString())
                merge_overlay(conf, dom, dev)
                if os.path.exists(path):
                    os.unlink(path)
                merged += 1
    return merged
