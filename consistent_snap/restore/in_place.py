"""In place: the original servers brought back to the snapshot's point.

They keep their ids, ports and addresses. Every member is stopped first;
the volumes to revert are detached (Cinder reverts only an available
volume), reverted to their snapshots in the group snapshot, the root
disks rebuilt from the member images, the volumes attached again in their
recorded order, and what this restore stopped is started again.

A rebuild or a revert cannot be undone: the plan checks every
precondition before anything is touched (revertible volumes, image-backed
roots, servers ACTIVE or SHUTOFF). If a step fails all the same, the
volumes are attached again and the servers started again, and the error
says which members were already brought back.
"""

from consistent_snap.restore import plan as restore_plan
from consistent_snap.restore import waits


class InPlaceFailed(Exception):
    pass


def _reverted(member):
    return [v for v in member['volumes'] if v['boot_index'] != 0]


class InPlace:
    """One in-place restore's stages; each(members, work), step(m, name, work).

    conn: the requester's connection (through the restore's trust).
    """

    def __init__(self, conf, conn, each, step):
        self.conf = conf
        self.conn = conn
        self.each = each
        self.step = step
        self.stopped = set()
        self.detached = set()
        self.done = []

    def restore(self, members):
        stages = {'stop': self._stop, 'detach': self._detach,
                  'revert': self._revert, 'rebuild': self._rebuild,
                  'attachments': self._attach, 'start': self._start}
        try:
            for name in restore_plan.STAGES[restore_plan.IN_PLACE]:
                work = stages[name]
                self.each(members, lambda m, n=name, w=work: self.step(
                    m, n, lambda: w(m)))
        except Exception as e:
            left = self._put_back()
            raise InPlaceFailed('%s; %s%s' % (
                e, 'already brought back: %s' % ', '.join(self.done)
                if self.done else 'nothing was reverted or rebuilt',
                '; could not put back: %s' % '; '.join(left) if left
                else '')) from e

    def _wait_server(self, server_id, status):
        waits.server(self.conf, self.conn, server_id, status)

    def _wait_volume(self, volume_id, status):
        waits.volume(self.conf, self.conn, volume_id, status)

    def _stop(self, member):
        server_id = member['server_id']
        if self.conn.compute.get_server(server_id).status == 'ACTIVE':
            self.conn.compute.stop_server(server_id)
            self.stopped.add(server_id)
            self._wait_server(server_id, 'SHUTOFF')

    def _detach(self, member):
        for volume in _reverted(member):
            self.conn.compute.delete_volume_attachment(member['server_id'],
                                                       volume['id'])
            self.detached.add((member['server_id'], volume['id']))
            self._wait_volume(volume['id'], 'available')

    def _revert(self, member):
        for volume in _reverted(member):
            self.conn.block_storage.revert_volume_to_snapshot(
                volume['id'], volume['snapshot_id'])
            self._wait_volume(volume['id'], 'available')
            self.done.append('volume %s of %s (reverted)' % (
                volume['id'], member['name']))

    def _rebuild(self, member):
        # A stopped server stays stopped through its rebuild.
        self.conn.compute.rebuild_server(member['server_id'],
                                         image=member['image_id'])
        self._wait_server(member['server_id'], 'SHUTOFF')
        self.done.append('%s (rebuilt)' % member['name'])

    def _attach(self, member):
        # One after the other within a member: their recorded order.
        for volume in _reverted(member):
            self.conn.compute.create_volume_attachment(
                member['server_id'], volume_id=volume['id'])
            waits.attached(self.conf, self.conn, volume['id'],
                           member['server_id'])
            self.detached.discard((member['server_id'], volume['id']))

    def _start(self, member):
        server_id = member['server_id']
        if server_id in self.stopped:
            self.conn.compute.start_server(server_id)
            self._wait_server(server_id, 'ACTIVE')
            self.stopped.discard(server_id)

    def _put_back(self):
        """Attach again what was detached, start what was stopped."""
        left = []
        for server_id, volume_id in sorted(self.detached):
            try:
                self.conn.compute.create_volume_attachment(
                    server_id, volume_id=volume_id)
                waits.attached(self.conf, self.conn, volume_id, server_id)
            except Exception as e:
                left.append('volume %s detached from %s: %s' % (
                    volume_id, server_id, e))
        for server_id in sorted(self.stopped):
            try:
                self.conn.compute.start_server(server_id)
            except Exception as e:
                left.append('server %s stopped: %s' % (server_id, e))
        return left
