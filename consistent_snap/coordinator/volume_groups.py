"""Which member's host snapshots each Cinder group of the members' volumes.

Planned by the coordinator before the fence: a group whose type promises
one consistent point in time for all its volumes, and that holds only the
members' volumes, is captured by one Cinder group snapshot on one member's
host; the volumes of any other group are snapshotted one by one.
"""

from oslo_log import log as logging
from oslo_utils import strutils

LOG = logging.getLogger(__name__)
# The group type spec by which a backend promises one consistent point in
# time for all of a group's volumes.
CONSISTENT_SPEC = 'consistent_group_snapshot_enabled'


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
