import json
import time

from openstack import exceptions as sdk_exceptions

from consistent_snap.capturers import base

STATUS = {'available': 'available', 'error': 'error'}
SNAPSHOT = 'volume_snapshot'
GROUP_SNAPSHOT = 'volume_group_snapshot'
# Cinder refuses to delete a snapshot still being made: wait this long.
SETTLE_S = 120


def group_label(snapshot_id):
    """Group snapshots have no metadata: the label is their description."""
    return '%s=%s' % (base.LABEL, snapshot_id)


def label_of(snapshot):
    """The group snapshot id a Cinder snapshot is labelled with, or None."""
    return (snapshot.get('metadata') or {}).get(base.LABEL)


def group_label_of(group_snapshot):
    """The group snapshot id a Cinder group snapshot is labelled with."""
    prefix = group_label('')
    description = group_snapshot.get('description') or ''
    if not description.startswith(prefix):
        return None
    return description[len(prefix):] or None


def list_snapshots(conn, **filters):
    """Cinder's snapshots (volume API 3.22), every page.

    Every project's if conn is an admin's.
    """
    params = dict(filters)
    if base.is_admin(conn):
        params['all_tenants'] = 1
    return base.list_all(conn.block_storage, '/snapshots/detail',
                         'snapshots', params, microversion='3.22')


def list_group_snapshots(conn, **filters):
    """Cinder's group snapshots (volume API 3.29), every page.

    Every project's if conn is an admin's. They come with no link to the
    next page: the last one's id is the next page's marker.
    """
    params = dict(filters)
    if base.is_admin(conn):
        params['all_tenants'] = 1
    return base.list_all(conn.block_storage, '/group_snapshots/detail',
                         'group_snapshots', params, microversion='3.29',
                         marker_pages=True)


class CinderCapturer(base.Capturer):
    """A snapshot of every attached volume, or of their Cinder group.

    Volumes that share a consistent-snapshot-capable Cinder group are
    given to one member (see assign_groups) and captured by one group
    snapshot: the backend then fixes them all at one instant. The others
    are snapshotted one by one. force=True: the volumes are in use; their
    data is as consistent as the guest's freeze makes it.
    """

    artifact_types = (SNAPSHOT, GROUP_SNAPSHOT)

    def warm_up(self, members):
        for member in members:
            for volume in member.get('volumes', ()):
                self.conn.block_storage.get_volume(volume['id'])

    def capture(self, member, labels):
        artifacts = []
        called_at = time.time()
        capture = base.Capture(artifacts=artifacts, called_at=called_at)
        try:
            self._create(member, labels, artifacts)
        except Exception as e:
            if artifacts:
                # What was made is handed over, to be deleted.
                raise base.PartialCapture(capture, e) from e
            raise
        if not artifacts:
            capture.fixed_at = called_at
        return capture

    def _create(self, member, labels, artifacts):
        """Each id goes into artifacts as soon as Cinder returns it."""
        for group in member.get('volume_groups', ()):
            snapshot = self.conn.block_storage.create_group_snapshot(
                group_id=group['id'], name=labels['name'],
                description=group_label(
                    labels['properties'][base.LABEL]))
            artifacts.append({'type': GROUP_SNAPSHOT, 'id': snapshot.id,
                              'status': 'creating', 'group_id': group['id'],
                              'volume_ids': group['volume_ids'],
                              'server_id': member['server_id']})
        for volume in member.get('volumes', ()):
            snapshot = self.conn.block_storage.create_snapshot(
                volume_id=volume['id'], force=True,
                name='%s-%s' % (labels['name'], volume['id'][:8]),
                metadata=labels['properties'])
            artifacts.append({'type': SNAPSHOT, 'id': snapshot.id,
                              'status': 'creating',
                              'volume_id': volume['id'],
                              'server_id': member['server_id']})

    def _get(self, artifact):
        if artifact['type'] == GROUP_SNAPSHOT:
            return self.conn.block_storage.get_group_snapshot(artifact['id'])
        return self.conn.block_storage.get_snapshot(artifact['id'])

    def is_fixed(self, artifact):
        return self._get(artifact).status != 'creating'

    def status(self, artifact):
        return STATUS.get(self._get(artifact).status, 'creating')

    def wait_done(self, capture, deadline):
        super().wait_done(capture, deadline)
        for artifact in capture.artifacts:
            if artifact['type'] == GROUP_SNAPSHOT:
                # What a restore needs: each volume's own snapshot.
                artifact['snapshots'] = self._group_members(artifact['id'])
        return capture

    def _group_members(self, group_snapshot_id):
        snapshots = base.list_all(
            self.conn.block_storage, '/snapshots/detail', 'snapshots',
            {'group_snapshot_id': group_snapshot_id}, microversion='3.14')
        return {s['volume_id']: s['id'] for s in snapshots
                if s.get('group_snapshot_id') == group_snapshot_id}

    def find(self, snapshot_id):
        # Filtered by Cinder, every page read. Snapshots: the metadata
        # filter needs volume API 3.22, and openstacksdk's snapshots()
        # would drop it silently. Group snapshots have no metadata: their
        # label is their description, a filter Cinder takes from 3.29 (as
        # it takes all_tenants and pages of them; before, it lists only
        # the caller's project, and the artifacts are in the requester's).
        snapshots = list_snapshots(self.conn, metadata=json.dumps(
            {base.LABEL: snapshot_id}))
        groups = list_group_snapshots(self.conn,
                                      description=group_label(snapshot_id))
        # Checked here too: a filter that is silently dropped would
        # otherwise hand over every snapshot of the cloud for deletion.
        return [{'type': SNAPSHOT, 'id': s['id']} for s in snapshots
                if label_of(s) == snapshot_id] + [
            {'type': GROUP_SNAPSHOT, 'id': g['id']} for g in groups
            if group_label_of(g) == snapshot_id]

    def delete(self, artifact):
        # An abort may come while the backend still makes it.
        deadline = time.time() + SETTLE_S
        while True:
            try:
                current = self._get(artifact)
            except sdk_exceptions.NotFoundException:
                return
            if current.status != 'creating' or time.time() > deadline:
                break
            time.sleep(1)
        if artifact['type'] == GROUP_SNAPSHOT:
            self.conn.block_storage.delete_group_snapshot(
                artifact['id'], ignore_missing=True)
        else:
            self.conn.block_storage.delete_snapshot(artifact['id'],
                                                    ignore_missing=True)
