import time

from openstack.compute.v2 import server as sdk_server

from consistent_snap.capturers import base

# Glance moves an image out of 'queued' once Nova has the disk's content.
NOT_FIXED = ('queued',)
LABEL = 'consistent_snap_group_snapshot_id'
STATUS = {'active': 'available', 'killed': 'error', 'deleted': 'error',
          'deactivated': 'error'}


class NovaCapturer(base.Capturer):
    """The root disk through Nova's createImage, as a Glance image.

    Volume-backed servers are left to the cinder capturer: Nova would
    snapshot their volumes a second time.
    """

    artifact_types = ('image',)

    def capture(self, member, labels):
        if member.get('volume_backed'):
            return base.Capture(artifacts=[], called_at=time.time(),
                                fixed_at=time.time())
        server = sdk_server.Server(id=member['server_id'])
        called_at = time.time()
        # Only the createImage call while frozen: no extra Glance read.
        image_id = server.create_image(self.conn.compute, labels['name'],
                                       labels['properties'])
        return base.Capture(
            artifacts=[{'type': 'image', 'id': image_id, 'status':
                        'creating', 'server_id': member['server_id']}],
            called_at=called_at)

    def _image(self, artifact):
        return self.conn.image.get_image(artifact['id'])

    def is_fixed(self, artifact):
        return self._image(artifact).status not in NOT_FIXED

    def status(self, artifact):
        return STATUS.get(self._image(artifact).status, 'creating')

    def find(self, snapshot_id):
        # Glance filters on any property; openstacksdk's images() would
        # drop the filter silently, so ask Glance directly.
        images = self.conn.image.get(
            '/images', params={LABEL: snapshot_id}).json()['images']
        # Checked here too: a filter that is silently dropped would
        # otherwise hand over every image of the cloud for deletion.
        return [{'type': 'image', 'id': i['id']} for i in images
                if i.get(LABEL) == snapshot_id]

    def delete(self, artifact):
        self.conn.image.delete_image(artifact['id'], ignore_missing=True)
