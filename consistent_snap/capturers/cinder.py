import json
import time

from openstack import exceptions as sdk_exceptions
from oslo_log import log as logging
from oslo_utils import strutils

from consistent_snap.capturers import base

LOG = logging.getLogger(__name__)
LABEL = 'consistent_snap_group_snapshot_id'
STATUS = {'available': 'available', 'error': 'error'}
SNAPSHOT = 'volume_snapshot'
GROUP_SNAPSHOT = 'volume_group_snapshot'
# The group type spec by which a backend promises one consistent point in
# time for all of a group's volumes.
CONSISTENT_SPEC = 'consistent_group_snapshot_enabled'
# Cinder refuses to delete a snapshot still being made: wait this long.
SETTLE_S = 120


def group_label(snapshot_id):
    """Group snapshots have no metadata: the label is their description."""
    return '%s=%s' % (LABEL, snapshot_id)


class CinderCapturer(base.Capturer):
    """A snapshot of every attached volume, or of their Cinder group.

    Volumes that share a consistent-snapshot-capable Cinder group are
    given to one member (see assign_groups) and captured by one group
    snapshot: the backend then fixes them all at one instant. The others
    are snapshotted one by one. force=True: the volumes are in use; their
    data is as consistent as the guest's freeze makes it.
    """

    artifact_types = (SNAPSHOT, GROUP_SNAPSHOT)

    def capture(self, member, labels):
        artifacts = []
        called_at = time.time()
        for group in member.get('volume_groups', ()):
            snapshot = self.conn.block_storage.create_group_snapshot(
                group_id=group['id'], name=labels['name'],
                description=group_label(
                    labels['properties'][LABEL]))
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
        capture = base.Capture(artifacts=artifacts, called_at=called_at)
        if not artifacts:
            capture.fixed_at = called_at
        return capture

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
        snapshots = self.conn.block_storage.get(
            '/snapshots/detail', microversion='3.14',
            params={'group_snapshot_id': group_snapshot_id},
        ).json()['snapshots']
        return {s['volume_id']: s['id'] for s in snapshots
                if s.get('group_snapshot_id') == group_snapshot_id}

    def find(self, snapshot_id):
        # The metadata filter needs volume API 3.22; openstacksdk's
        # snapshots() would drop it silently, so ask Cinder directly.
        snapshots = self.conn.block_storage.get(
            '/snapshots/detail', microversion='3.22',
            params={'all_tenants': 1,
                    'metadata': json.dumps({LABEL: snapshot_id})},
        ).json()['snapshots']
        groups = self.conn.block_storage.get(
            '/group_snapshots/detail', microversion='3.14',
            params={'all_tenants': 1}).json()['group_snapshots']
        # Checked here too: a filter that is silently dropped would
        # otherwise hand over every snapshot of the cloud for deletion.
        return [{'type': SNAPSHOT, 'id': s['id']} for s in snapshots
                if (s.get('metadata') or {}).get(LABEL) == snapshot_id] + [
            {'type': GROUP_SNAPSHOT, 'id': g['id']} for g in groups
            if g.get('description') == group_label(snapshot_id)]

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


def read_groups(conn, group_ids):
    """{group id: {'volume_ids', 'status', 'consistent'}} as Cinder has it."""
    groups = {}
    for group_id in sorted(group_ids):
        group = conn.block_storage.get(
            '/groups/%s' % group_id, microversion='3.25',
            params={'list_volume': True}).json()['group']
        group_type = conn.block_storage.get(
            '/group_types/%s' % group['group_type'],
            microversion='3.11').json()['group_type']
        specs = group_type.get('group_specs') or {}
        groups[group_id] = {
            'name': group.get('name'),
            'status': group['status'],
            'volume_ids': sorted(v['id'] if isinstance(v, dict) else v
                                 for v in group.get('volumes') or ()),
            'consistent': strutils.bool_from_string(
                str(specs.get(CONSISTENT_SPEC, '')).replace('<is>', '')
                .strip()),
        }
    return groups


def why_not_one_snapshot(group, planned_volume_ids):
    """Why a group cannot be captured by one group snapshot, or None."""
    if not group['consistent']:
        return 'its group type does not set %s' % CONSISTENT_SPEC
    if group['status'] != 'available':
        return 'it is %s' % group['status']
    outside = sorted(set(group['volume_ids']) - set(planned_volume_ids))
    if outside:
        return ('it also holds %s, not attached to a member' %
                ', '.join(outside))
    return None


def assign_groups(payloads, groups):
    """Give each usable group to one member; take its volumes off the rest.

    payloads: the members' agent payloads (server_id, volumes with
    group_id), changed in place. groups: read_groups' answer for the
    group ids they name. Returns {group id: reason} for the groups left
    to per-volume snapshots.
    """
    planned = [v['id'] for p in payloads for v in p['volumes']]
    refused = {}
    for group_id, group in sorted(groups.items()):
        reason = why_not_one_snapshot(group, planned)
        if reason:
            refused[group_id] = reason
            continue
        holders = sorted((p for p in payloads if any(
            v.get('group_id') == group_id for v in p['volumes'])),
            key=lambda p: p['server_id'])
        holders[0].setdefault('volume_groups', []).append(
            {'id': group_id, 'volume_ids': group['volume_ids']})
        for payload in holders:
            payload['volumes'] = [v for v in payload['volumes']
                                  if v.get('group_id') != group_id]
    for group_id, reason in refused.items():
        LOG.info('Volumes of Cinder group %s are snapshotted one by one: '
                 '%s', group_id, reason)
    return refused


def plan_groups(conn, payloads):
    """assign_groups for the groups that the payloads' volumes are in."""
    group_ids = {v['group_id'] for p in payloads for v in p['volumes']
                 if v.get('group_id')}
    if not group_ids:
        return {}
    return assign_groups(payloads, read_groups(conn, group_ids))
