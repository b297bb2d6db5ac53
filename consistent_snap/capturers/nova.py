import time

from openstack.compute.v2 import server as sdk_server

from consistent_snap.capturers import base

# Glance moves an image out of 'queued' once Nova has the disk's content.
NOT_FIXED = ('queued',)
STATUS = {'active': 'available', 'killed': 'error', 'deleted': 'error',
          'deactivated': 'error'}
# Images per page of a Glance list; Glance caps it at its api_limit_max.
PAGE = 1000


def is_ours(image, same_label_ids):
    """Whether a labelled Glance image is an artifact, not an heir of one.

    Nova copies the properties of a server's image into every image it
    makes of that server (createImage, shelve), and Cinder into a volume
    made of an image and from it into an upload: a server restored from a
    group snapshot passes its label on to its owner's own snapshots, which
    its deletion must leave alone. An artifact is named after its group
    snapshot (cs-<its first 8 characters>-...: the agent's labels); one
    that Nova made is of the member named in it, and not of a server
    booted from an image of the same group snapshot (same_label_ids: the
    ids of the images that carry the same label).

    image: a Glance v2 image as its API shows it (properties at the top).
    """
    snapshot_id = image.get(base.LABEL) or ''
    if not (image.get('name') or '').startswith('cs-%s-' % snapshot_id[:8]):
        return False
    made_of = image.get('instance_uuid')
    if made_of and made_of != image.get('consistent_snap_server_id'):
        return False
    return image.get('base_image_ref') not in same_label_ids


class NovaCapturer(base.Capturer):
    """The root disk through Nova's createImage, as a Glance image.

    Volume-backed servers are left to the cinder capturer: Nova would
    snapshot their volumes a second time.
    """

    artifact_types = ('image',)

    def warm_up(self, members):
        for member in members:
            self.conn.compute.get_server(member['server_id'])
        base.read_one_image(self.conn)

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
        # Glance filters on any property, and pages its answer (25 images
        # by default); openstacksdk's images() would drop the filter
        # silently, so ask Glance directly, for every page. Hidden images
        # are listed only when asked for.
        images = [i for hidden in ('false', 'true')
                  for i in base.list_all(
                      self.conn.image, '/images', 'images',
                      {base.LABEL: snapshot_id, 'os_hidden': hidden,
                       'limit': PAGE})]
        # Checked here too: a filter that is silently dropped would
        # otherwise hand over every image of the cloud for deletion.
        labelled = [i for i in images if i.get(base.LABEL) == snapshot_id]
        same = {i['id'] for i in labelled}
        return [{'type': 'image', 'id': i['id']} for i in labelled
                if is_ours(i, same)]

    def delete(self, artifact):
        self.conn.image.delete_image(artifact['id'], ignore_missing=True)
