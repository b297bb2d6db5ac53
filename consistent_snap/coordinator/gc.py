"""The garbage collector: labelled artifacts whose group snapshot is gone.

Every artifact carries its group snapshot's id: a Glance image property, a
Cinder snapshot's metadata, a Cinder group snapshot's description (see
the capturers). What a run recorded is deleted with its group snapshot,
and what it made but could not record is found by that label when the
group snapshot fails or is deleted (snapshot.destroy_artifacts). What
still escapes (a delete that failed, an agent killed after a reap, a row
purged from the database) is found here: every labelled artifact of the
cloud whose group snapshot has no row, or ended in error, aborted or
deleted, and all of that longer than [coordinator] gc_grace_period ago.

Three parts: list_artifacts() reads the cloud (every page, with the
service credentials), judge() decides (a pure function of the artifacts,
the rows and the time), collect() runs both and deletes. The periodic
task of the coordinators (CoordinatorManager.gc) and
``consistent-snap-manage gc`` call collect().
"""

import collections
import dataclasses

from oslo_utils import timeutils

from consistent_snap.capturers import base
from consistent_snap.capturers import cinder
from consistent_snap.capturers import nova
from consistent_snap import clients
from consistent_snap.db import api as db_api
from consistent_snap import states

LOCK = 'consistent-snap-gc'
IMAGE = 'image'
# What a group snapshot ended as when its artifacts are garbage.
DEAD = (states.ERROR, states.DELETED)
# An artifact on its way out already.
GOING = ('deleting', 'deleted', 'pending_delete')
KEEP, SPARE, DELETE = 'keep', 'spare', 'delete'


@dataclasses.dataclass
class Verdict:
    """What becomes of one labelled artifact, and why.

    action: KEEP (its group snapshot lives), SPARE (its group snapshot is
    gone but the artifact is left, see reason), DELETE (garbage).
    """
    artifact: dict
    action: str
    reason: str
    deleted: bool = False
    error: str = None

    def line(self, dry_run):
        a = self.artifact
        what = '%s %s' % (a['type'], a['id'])
        if a.get('project_id'):
            what += ' (project %s)' % a['project_id']
        if self.action == SPARE:
            return 'spared %s: %s' % (what, self.reason)
        if self.action == KEEP:
            return 'kept %s: %s' % (what, self.reason)
        if self.error is not None:
            return 'failed to delete %s (%s): %s' % (
                what, self.reason, self.error)
        if self.deleted:
            return 'deleted %s: %s' % (what, self.reason)
        if dry_run:
            return 'would delete %s: %s' % (what, self.reason)
        return 'not deleted %s: %s' % (what, self.reason)


@dataclasses.dataclass
class Result:
    dry_run: bool
    verdicts: list
    # What could not be listed: its artifacts were not judged.
    errors: list

    def of(self, action):
        return [v for v in self.verdicts if v.action == action]

    @property
    def garbage(self):
        return self.of(DELETE)

    @property
    def deleted(self):
        return [v for v in self.garbage if v.deleted]

    @property
    def failed(self):
        return [v for v in self.garbage if v.error is not None]

    def summary(self):
        line = ('%d labelled artifacts: %d kept, %d spared, %d garbage' % (
            len(self.verdicts), len(self.of(KEEP)), len(self.of(SPARE)),
            len(self.garbage)))
        if self.dry_run:
            line += ' (dry run: nothing deleted)'
        else:
            line += ': %d deleted, %d failed' % (len(self.deleted),
                                                 len(self.failed))
        if self.errors:
            line += '; not listed: %s' % '; '.join(self.errors)
        return line


def _utc(timestamp):
    """Glance's and Cinder's ISO 8601 times as naive UTC, or None."""
    if not timestamp:
        return None
    try:
        return timeutils.normalize_time(timeutils.parse_isotime(timestamp))
    except ValueError:
        return None


def _named_after(resource, snapshot_id):
    """The agent names every artifact cs-<first 8 of its snapshot id>-."""
    return (resource.get('name') or '').startswith('cs-%s-' %
                                                   snapshot_id[:8])


def _images(conn):
    # Glance filters on a property's value, never on its presence: every
    # image, every page (hidden ones are listed only when asked for).
    labelled = [i for hidden in ('false', 'true')
                for i in base.list_all(conn.image, '/images', 'images',
                                       {'os_hidden': hidden,
                                        'limit': nova.PAGE})
                if i.get(base.LABEL)]
    same = collections.defaultdict(set)
    for image in labelled:
        same[image[base.LABEL]].add(image['id'])
    return [{'type': IMAGE, 'id': i['id'], 'snapshot_id': i[base.LABEL],
             'name': i.get('name'), 'status': i.get('status'),
             'created_at': _utc(i.get('created_at')),
             'project_id': i.get('owner'),
             'protected': bool(i.get('protected')),
             'ours': nova.is_ours(i, same[i[base.LABEL]])}
            for i in labelled]


def _cinder_items(kind, items, label_of, project_key):
    found = []
    for item in items:
        snapshot_id = label_of(item)
        if snapshot_id:
            found.append({
                'type': kind, 'id': item['id'], 'snapshot_id': snapshot_id,
                'name': item.get('name'), 'status': item.get('status'),
                'created_at': _utc(item.get('created_at')),
                'project_id': item.get(project_key), 'protected': False,
                'ours': _named_after(item, snapshot_id)})
    return found


def _volume_snapshots(conn):
    # Cinder filters metadata by key and value, never by key alone.
    return _cinder_items(cinder.SNAPSHOT, cinder.list_snapshots(conn),
                         cinder.label_of,
                         'os-extended-snapshot-attributes:project_id')


def _group_snapshots(conn):
    return _cinder_items(cinder.GROUP_SNAPSHOT,
                         cinder.list_group_snapshots(conn),
                         cinder.group_label_of, 'project_id')


def list_artifacts(conn):
    """Every labelled artifact of the cloud: (artifacts, errors).

    An artifact is a dict: type, id, snapshot_id (its label), name,
    status, created_at (naive UTC), project_id, protected, and ours (False
    for an image that inherited the label, see nova.is_ours). errors:
    what could not be listed, one line per service.
    """
    artifacts, errors = [], []
    listers = [('Glance images', 'image', _images),
               ('Cinder snapshots', 'block-storage', _volume_snapshots),
               ('Cinder group snapshots', 'block-storage', _group_snapshots)]
    for name, service, lister in listers:
        try:
            if conn.has_service(service):
                artifacts.extend(lister(conn))
        except Exception as e:
            errors.append('%s: %s' % (name, e))
    return artifacts, errors


def judge(artifacts, rows, now, grace_s):
    """One Verdict per artifact, in their order; touches nothing.

    rows: {group snapshot id: {status, created_at, updated_at}} of those
    that have a row (db_api.group_snapshot_states). now: naive UTC. An
    artifact is garbage only if its group snapshot has no row or ended in
    error, aborted or deleted; if it was made longer than grace_s ago,
    and its group snapshot ended longer than that ago; if it is one of
    the artifacts, not a copy that inherited the label; and if it is not
    protected nor already being deleted.
    """
    verdicts = []
    for artifact in artifacts:
        snapshot_id = artifact['snapshot_id']
        row = rows.get(snapshot_id)
        if row is not None and row['status'] not in DEAD:
            verdicts.append(Verdict(artifact, KEEP, 'group snapshot %s is '
                                    '%s' % (snapshot_id, row['status'])))
            continue
        if row is None:
            why = 'group snapshot %s has no row in the database' % (
                snapshot_id)
        else:
            why = 'group snapshot %s is %s' % (snapshot_id, row['status'])
        made = artifact.get('created_at')
        ended = row and (row['updated_at'] or row['created_at'])
        if not artifact.get('ours', True) and artifact['type'] == IMAGE:
            spare = ('%s, but this is not one of its artifacts: it '
                     'inherited the label (Nova copies a server\'s image '
                     'properties into the images it makes of it)' % why)
        elif not artifact.get('ours', True):
            spare = ('%s, but this is not one of its artifacts: it is not '
                     'named cs-%s-...' % (why, snapshot_id[:8]))
        elif artifact.get('status') in GOING:
            spare = '%s; it is %s already' % (why, artifact['status'])
        elif artifact.get('protected'):
            spare = '%s, but it is protected' % why
        elif made is None:
            spare = '%s, but when it was made is unknown' % why
        elif (now - made).total_seconds() < grace_s:
            spare = ('%s, but it was made %.0f s ago, within the grace '
                     'period (%d s)' % (why, (now - made).total_seconds(),
                                        grace_s))
        elif ended is not None and (now - ended).total_seconds() < grace_s:
            spare = ('%s, since %.0f s only, within the grace period '
                     '(%d s)' % (why, (now - ended).total_seconds(),
                                 grace_s))
        else:
            verdicts.append(Verdict(artifact, DELETE, why))
            continue
        verdicts.append(Verdict(artifact, SPARE, spare))
    return verdicts


def _delete(conn, artifact):
    if artifact['type'] == IMAGE:
        conn.image.delete_image(artifact['id'], ignore_missing=True)
    elif artifact['type'] == cinder.GROUP_SNAPSHOT:
        conn.block_storage.delete_group_snapshot(artifact['id'],
                                                 ignore_missing=True)
    else:
        conn.block_storage.delete_snapshot(artifact['id'],
                                           ignore_missing=True)


def collect(conf, context, dry_run=False, conn=None, now=None,
            snapshot_ids=None):
    """Find the garbage and delete it (with dry_run, only name it).

    context: an admin's (rows of every project are read). snapshot_ids:
    only the artifacts labelled with these group snapshots. Returns a
    Result; a failed delete is reported there, never raised.
    """
    if not context.is_admin:
        # Another project's rows would look missing: their artifacts
        # would be deleted.
        raise ValueError('the garbage collector needs an admin context')
    conn = conn or clients.service_connection(conf)
    artifacts, errors = list_artifacts(conn)
    if snapshot_ids is not None:
        wanted = set(snapshot_ids)
        artifacts = [a for a in artifacts if a['snapshot_id'] in wanted]
    rows = db_api.group_snapshot_states(
        context, {a['snapshot_id'] for a in artifacts})
    verdicts = judge(artifacts, rows, now or timeutils.utcnow(),
                     conf.coordinator.gc_grace_period)
    result = Result(dry_run=dry_run, verdicts=verdicts, errors=errors)
    garbage = result.garbage
    if dry_run or not garbage:
        return result
    # Read again just before deleting: a user may have asked to delete an
    # errored group snapshot since (it is deleting, in progress).
    again = db_api.group_snapshot_states(
        context, {v.artifact['snapshot_id'] for v in garbage})
    for verdict in garbage:
        row = again.get(verdict.artifact['snapshot_id'])
        if row is not None and row['status'] not in DEAD:
            verdict.action = KEEP
            verdict.reason = 'group snapshot %s is %s' % (
                verdict.artifact['snapshot_id'], row['status'])
            continue
        try:
            _delete(conn, verdict.artifact)
            verdict.deleted = True
        except Exception as e:
            verdict.error = str(e) or type(e).__name__
    return result
