"""Cleaning up: deleting a snapshot's artifacts, failing an orphan."""

import collections

from oslo_log import log as logging

from consistent_snap import clients
from consistent_snap.coordinator import fence
from consistent_snap.coordinator import snapshot
from consistent_snap.db import api as db_api
from consistent_snap import drivers
from consistent_snap import states

LOG = logging.getLogger(__name__)
CAPTURERS = 'consistent_snap.capturers'


def _deleters(conf):
    conn = clients.service_connection(conf)
    capturers = [drivers.load(CAPTURERS, name, conf, conn)
                 for name in drivers.names(CAPTURERS)]
    return {c.artifact_type: c.delete for c in capturers if c.artifact_type}


def _delete_recorded(conf, snap):
    """Delete every artifact the members recorded; return the failures."""
    deleters = _deleters(conf)
    failed = []
    for member in snap['members']:
        for artifact in member['artifacts'] or ():
            try:
                deleters[artifact['type']](artifact)
            except Exception as e:
                failed.append('%s %s: %s' % (artifact['type'],
                                             artifact['id'], e))
    return failed


def delete_artifacts(conf, context, snapshot_id):
    """Delete a snapshot's images and volume snapshots, then the snapshot."""
    snap = db_api.group_snapshot_get(context, snapshot_id)
    failed = _delete_recorded(conf, snap)
    if failed:
        LOG.error('Group snapshot %s: could not delete %s', snapshot_id,
                  '; '.join(failed))
        db_api.group_snapshot_update(context, snapshot_id, {
            'status': states.ERROR,
            'error': 'delete failed: ' + '; '.join(failed)})
        return
    db_api.group_snapshot_update(context, snapshot_id,
                                 {'status': states.DELETED})
    LOG.info('Group snapshot %s deleted', snapshot_id)


def reap(conf, agents, notifier, context, snap):
    """Fail a snapshot whose coordinator is gone, leaving nothing behind.

    Every host is told to abort (thaw, discard what it made); whatever the
    members recorded is deleted too, in case a host cannot be reached.
    """
    by_host = collections.defaultdict(list)
    for member in snap['members']:
        by_host[member['host']].append({'server_id': member['server_id']})
    unreached = fence.Fence(
        conf, agents, context, snap['id'], dict(by_host), snap['quiesce'],
        on_report=lambda host, report: snapshot.record(
            context, snap['id'], report)).abort()
    failed = _delete_recorded(conf, snap)
    message = ('interrupted while %s: the coordinator driving it stopped; '
               'its hosts were told to thaw and discard what they made' %
               snap['status'])
    if unreached:
        message += ('; unreachable: %s (their own timers thaw their guests)'
                    % ', '.join(sorted(unreached)))
    if failed:
        message += '; could not delete %s' % '; '.join(failed)
    LOG.warning('Group snapshot %s %s', snap['id'], message)
    db_api.group_snapshot_update(context, snap['id'], {
        'status': states.ERROR, 'error': message})
    notifier.info(context, 'group_snapshot.create.error',
                  {'id': snap['id'], 'status': states.ERROR,
                   'error': message})
