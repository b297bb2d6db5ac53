import json
import time

from consistent_snap.capturers import base

LABEL = 'consistent_snap_group_snapshot_id'
STATUS = {'available': 'available', 'error': 'error'}


class CinderCapturer(base.Capturer):
    """A snapshot of every volume attached to the member.

    force=True: the volumes are in use; their data is as consistent as the
    guest's freeze makes it.
    """

    artifact_type = 'volume_snapshot'

    def capture(self, member, labels):
        artifacts = []
        called_at = time.time()
        for volume in member.get('volumes', ()):
            snapshot = self.conn.block_storage.create_snapshot(
                volume_id=volume['id'], force=True,
                name='%s-%s' % (labels['name'], volume['id'][:8]),
                metadata=labels['properties'])
            artifacts.append({'type': 'volume_snapshot', 'id': snapshot.id,
                              'status': 'creating',
                              'volume_id': volume['id'],
                              'server_id': member['server_id']})
        capture = base.Capture(artifacts=artifacts, called_at=called_at)
        if not artifacts:
            capture.fixed_at = called_at
        return capture

    def _snapshot(self, artifact):
        return self.conn.block_storage.get_snapshot(artifact['id'])

    def is_fixed(self, artifact):
        return self._snapshot(artifact).status != 'creating'

    def status(self, artifact):
        return STATUS.get(self._snapshot(artifact).status, 'creating')

    def find(self, snapshot_id):
        # The metadata filter needs volume API 3.22; openstacksdk's
        # snapshots() would drop it silently, so ask Cinder directly.
        snapshots = self.conn.block_storage.get(
            '/snapshots/detail', microversion='3.22',
            params={'all_tenants': 1,
                    'metadata': json.dumps({LABEL: snapshot_id})},
        ).json()['snapshots']
        # Checked here too: a filter that is silently dropped would
        # otherwise hand over every snapshot of the cloud for deletion.
        return [{'type': self.artifact_type, 'id': s['id']} for s in snapshots
                if (s.get('metadata') or {}).get(LABEL) == snapshot_id]

    def delete(self, artifact):
        self.conn.block_storage.delete_snapshot(artifact['id'],
                                                ignore_missing=True)
