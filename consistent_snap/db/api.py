"""Every query of the service: the only code that touches a Session.

Rows go out as plain dicts, so callers never hold a session open.
"""

import operator
import os
import sqlite3

from oslo_db import api as oslo_db_api
from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import enginefacade
from oslo_utils import uuidutils
import sqlalchemy as sa

from consistent_snap.db import models
from consistent_snap import exception
from consistent_snap import states

main_context_manager = enginefacade.transaction_context()
_configured = False


@sa.event.listens_for(sa.engine.Engine, 'connect')
def _sqlite_shares_the_file(dbapi_connection, connection_record):
    """The API and the coordinator's threads write one SQLite file.

    A writer waits up to 30 s for another to finish rather than 5 s, which
    a loaded 2-CPU host exceeded ("database is locked"). Not WAL: there a
    transaction that read before another committed fails at once when it
    then writes, whatever the timeout (a DELETE of an app group got a 500).
    """
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute('PRAGMA busy_timeout = 30000')
        cursor.close()


def _begin_with(engine, statement):
    """Every transaction of this SQLite engine starts with ``statement``.

    The writers' engine begins IMMEDIATE: it takes the write lock first,
    waiting for it under the busy timeout. A deferred transaction that
    reads and then writes cannot wait (SQLite would deadlock), so it
    fails at once with "database is locked".
    """
    @sa.event.listens_for(engine, 'begin')
    def begin(conn):
        # pysqlite must not begin on its own, deferred, before a write.
        conn.connection.dbapi_connection.isolation_level = None
        conn.exec_driver_sql(statement)


def configure(conf):
    """Point the engine at ``[database] connection``; once per process."""
    global _configured
    if _configured:
        return
    settings = dict(conf.database.items())
    connection = settings['connection']
    sqlite = connection.startswith('sqlite:')
    if connection.startswith('sqlite:///'):
        # The embedded default must work on a fresh machine.
        directory = os.path.dirname(connection[len('sqlite:///'):])
        if directory:
            os.makedirs(directory, exist_ok=True)
    if sqlite:
        # Readers get an engine of their own that begins deferred, so
        # that they never wait for each other.
        settings.update(slave_connection=connection,
                        synchronous_reader=False)
    main_context_manager.configure(**settings)
    if sqlite:
        _begin_with(main_context_manager.writer.get_engine(),
                    'BEGIN IMMEDIATE')
        _begin_with(main_context_manager.reader.get_engine(), 'BEGIN')
    _configured = True


def _writer(function):
    """A write transaction, retried where the database asks for it.

    MariaDB and PostgreSQL may end a transaction with a deadlock: it is
    run again from the start. Only for functions that begin the
    transaction: one inside another's cannot be replayed alone.
    """
    return oslo_db_api.wrap_db_retry(
        max_retries=5, retry_interval=0.1, retry_on_deadlock=True,
        inc_retry_interval=True, jitter=True)(
            main_context_manager.writer(function))


def _page(context, query, model, limit, marker, not_found,
          newest_first=False):
    """One page of ``query`` in (created_at, id) order, after ``marker``.

    Keyset pagination: a row inserted meanwhile neither repeats nor hides
    another. not_found: raised, with id=marker, for an unknown marker.
    """
    after = operator.lt if newest_first else operator.gt
    order = (model.created_at, model.id)
    query = query.order_by(*(c.desc() for c in order) if newest_first
                           else order)
    if marker:
        last = _one(context, model, marker).first()
        if last is None:
            raise not_found(id=marker)
        query = query.filter(sa.or_(
            after(model.created_at, last.created_at),
            sa.and_(model.created_at == last.created_at,
                    after(model.id, last.id))))
    if limit:
        query = query.limit(limit)
    return query.all()


def get_engine():
    return main_context_manager.writer.get_engine()


def _to_dict(row):
    if row is None:
        return None
    return {c.name: getattr(row, c.name) for c in row.__table__.columns}


def _project_filter(query, model, context, all_projects=False):
    if context.is_admin and all_projects:
        return query
    return query.filter(model.project_id == context.project_id)


def _one(context, model, row_id):
    """A query for one row of ``model``, scoped to the caller's project.

    Admin may act in any project; everyone else sees another project's
    row as missing (404), never as forbidden.
    """
    query = context.session.query(model).filter_by(id=row_id)
    if not context.is_admin:
        query = query.filter_by(project_id=context.project_id)
    return query


@_writer
def app_group_create(context, values):
    row = models.AppGroup(id=uuidutils.generate_uuid(), **values)
    context.session.add(row)
    try:
        context.session.flush()
    except db_exc.DBDuplicateEntry:
        raise exception.AppGroupNameExists(name=values['name'],
                                           project_id=values['project_id'])
    return _to_dict(row)


@main_context_manager.reader
def app_group_get(context, group_id):
    row = _one(context, models.AppGroup, group_id).first()
    if row is None:
        raise exception.AppGroupNotFound(id=group_id)
    return _to_dict(row)


@main_context_manager.reader
def app_group_list(context, all_projects=False, limit=None, marker=None,
                   name=None):
    query = _project_filter(context.session.query(models.AppGroup),
                            models.AppGroup, context, all_projects)
    if name is not None:
        query = query.filter_by(name=name)
    return [_to_dict(r) for r in _page(context, query, models.AppGroup,
                                       limit, marker,
                                       exception.AppGroupNotFound)]


@_writer
def app_group_update(context, group_id, values):
    row = _one(context, models.AppGroup, group_id).first()
    if row is None:
        raise exception.AppGroupNotFound(id=group_id)
    project_id = row.project_id  # Unreadable once a flush has failed.
    row.update(values)
    try:
        context.session.flush()
    except db_exc.DBDuplicateEntry:
        raise exception.AppGroupNameExists(name=values['name'],
                                           project_id=project_id)
    return _to_dict(row)


@_writer
def app_group_delete(context, group_id):
    row = _one(context, models.AppGroup, group_id).first()
    if row is None:
        raise exception.AppGroupNotFound(id=group_id)
    context.session.delete(row)


@_writer
def group_snapshot_create(context, values):
    row = models.GroupSnapshot(id=uuidutils.generate_uuid(), **values)
    context.session.add(row)
    context.session.flush()
    return _group_snapshot_dict(row)


def _group_snapshot_dict(row):
    snapshot = _to_dict(row)
    snapshot['members'] = [_to_dict(m) for m in row.members]
    return snapshot


@main_context_manager.reader
def group_snapshot_latest_available(context, app_group_id):
    """The newest available snapshot of a group, with its members, or None."""
    row = (context.session.query(models.GroupSnapshot)
           .filter_by(app_group_id=app_group_id, status=states.AVAILABLE)
           .order_by(models.GroupSnapshot.created_at.desc(),
                     models.GroupSnapshot.id.desc())
           .first())
    return None if row is None else _group_snapshot_dict(row)


@main_context_manager.reader
def group_snapshot_get(context, snapshot_id):
    row = _one(context, models.GroupSnapshot, snapshot_id).first()
    if row is None:
        raise exception.GroupSnapshotNotFound(id=snapshot_id)
    return _group_snapshot_dict(row)


@main_context_manager.reader
def group_snapshot_list(context, app_group_id=None, all_projects=False,
                        include_deleted=False, limit=None, marker=None,
                        requested_by=None):
    model = models.GroupSnapshot
    query = _project_filter(context.session.query(model), model, context,
                            all_projects)
    if app_group_id is not None:
        query = query.filter_by(app_group_id=app_group_id)
    if requested_by is not None:
        query = query.filter_by(requested_by=requested_by)
    if not include_deleted:
        query = query.filter(model.status != states.DELETED)
    return [_group_snapshot_dict(r) for r in _page(
        context, query, model, limit, marker,
        exception.GroupSnapshotNotFound, newest_first=True)]


@_writer
def group_snapshot_update(context, snapshot_id, values, expected=None):
    """Update a snapshot, its status only along an allowed transition.

    With ``expected``, only from one of those statuses: a compare and
    swap, so that two coordinators never drive one snapshot.
    """
    row = _one(context, models.GroupSnapshot,
               snapshot_id).with_for_update().first()
    if row is None:
        raise exception.GroupSnapshotNotFound(id=snapshot_id)
    new = values.get('status')
    if expected is not None and row.status not in expected:
        raise exception.InvalidState(id=snapshot_id, status=row.status,
                                     wanted=new or 'update')
    if new is not None and new != row.status and not states.can_move(
            row.status, new):
        raise exception.InvalidState(id=snapshot_id, status=row.status,
                                     wanted=new)
    row.update(values)
    if new == states.AVAILABLE:
        # Its guests were thawed before: the next snapshot may freeze
        # them as soon as anyone can read that this one ended.
        _release_servers(context, snapshot_id)
    context.session.flush()
    return _group_snapshot_dict(row)


@_writer
def member_snapshots_update(context, snapshot_id, reports):
    """Record agents' reports: one dict per member, keyed by server_id."""
    by_server = {r['server_id']: r for r in reports}
    rows = (context.session.query(models.MemberSnapshot)
            .filter_by(group_snapshot_id=snapshot_id)
            .filter(models.MemberSnapshot.server_id.in_(list(by_server))))
    for row in rows:
        row.update({k: v for k, v in by_server[row.server_id].items()
                    if k != 'server_id'})


@_writer
def member_snapshots_create(context, snapshot_id, members):
    for member in members:
        context.session.add(models.MemberSnapshot(
            id=uuidutils.generate_uuid(), group_snapshot_id=snapshot_id,
            **member))


def servers_reserve(context, snapshot_id, server_ids):
    """Hold every server for one snapshot, or none of them.

    Raises ServerBusy naming a server and the snapshot that holds it.
    """
    try:
        _servers_reserve(context, snapshot_id, server_ids)
    except db_exc.DBDuplicateEntry:
        # Another snapshot inserted between our check and our insert.
        held = server_holders(context, server_ids, but=snapshot_id)
        server = min(held, default=None)
        if server is None:  # The holder has ended since: it is free.
            raise exception.ServerBusy(server=min(server_ids),
                                       snapshot='another one',
                                       doing='has just ended')
        raise server_busy(context, server, held[server])


def _busy(context, server_id, snapshot_id):
    status = (context.session.query(models.GroupSnapshot.status)
              .filter_by(id=snapshot_id).scalar())
    # A failed snapshot holds its servers until its hosts answered the
    # abort: say so, or "wait for it to end" reads wrong.
    return exception.ServerBusy(
        server=server_id, snapshot=snapshot_id,
        doing=('failed and is being undone' if status == states.ERROR
               else 'is being captured'))


@main_context_manager.reader
def server_busy(context, server_id, snapshot_id):
    """ServerBusy naming the holder and what it is doing."""
    return _busy(context, server_id, snapshot_id)


@_writer
def _servers_reserve(context, snapshot_id, server_ids):
    model = models.ServerReservation
    held = (context.session.query(model)
            .filter(model.server_id.in_(list(server_ids)))
            .filter(model.group_snapshot_id != snapshot_id).first())
    if held is not None:
        raise _busy(context, held.server_id, held.group_snapshot_id)
    mine = {r.server_id for r in context.session.query(model)
            .filter_by(group_snapshot_id=snapshot_id)}
    for server_id in set(server_ids) - mine:
        context.session.add(model(server_id=server_id,
                                  group_snapshot_id=snapshot_id))
    context.session.flush()


@main_context_manager.reader
def server_holders(context, server_ids, but=None):
    """{server id: the snapshot holding it} among ``server_ids``."""
    model = models.ServerReservation
    query = (context.session.query(model)
             .filter(model.server_id.in_(list(server_ids))))
    if but is not None:
        query = query.filter(model.group_snapshot_id != but)
    return {r.server_id: r.group_snapshot_id for r in query}


@_writer
def servers_release(context, snapshot_id):
    """Let other snapshots take the servers; only once this one ended."""
    _release_servers(context, snapshot_id)


def _release_servers(context, snapshot_id):
    (context.session.query(models.ServerReservation)
     .filter_by(group_snapshot_id=snapshot_id)
     .delete(synchronize_session=False))


@main_context_manager.reader
def server_reservations_of_final(context):
    """Snapshots that ended but still hold servers: their run died."""
    group, held = models.GroupSnapshot, models.ServerReservation
    rows = (context.session.query(held.group_snapshot_id).distinct()
            .join(group, held.group_snapshot_id == group.id)
            .filter(group.status.in_(list(states.FINAL))).all())
    return [r[0] for r in rows]


@main_context_manager.reader
def group_snapshot_list_unfinished(context, app_group_id=None):
    """Snapshots not in a final state (any project for an admin)."""
    model = models.GroupSnapshot
    query = _project_filter(context.session.query(model), model, context,
                            all_projects=True)
    if app_group_id is not None:
        query = query.filter_by(app_group_id=app_group_id)
    rows = (query.filter(model.status.notin_(list(states.FINAL)))
            .order_by(model.created_at).all())
    return [_group_snapshot_dict(r) for r in rows]


@main_context_manager.reader
def group_snapshot_states(context, snapshot_ids):
    """{id: {status, created_at, updated_at}} of the snapshots that exist.

    Deleted ones included; any project's for an admin. Ids with no row
    are left out. For the garbage collector: no members are loaded.
    """
    model = models.GroupSnapshot
    ids = sorted(set(snapshot_ids))
    found = {}
    # A bounded IN list per query: SQLite takes at most 32766 variables.
    for start in range(0, len(ids), 500):
        query = _project_filter(
            context.session.query(model.id, model.status, model.created_at,
                                  model.updated_at),
            model, context, all_projects=True)
        for row in query.filter(model.id.in_(ids[start:start + 500])):
            found[row.id] = {'status': row.status,
                             'created_at': row.created_at,
                             'updated_at': row.updated_at}
    return found


@main_context_manager.reader
def group_snapshot_count_running(context, project_id=None):
    """Snapshots (of every project, or of one) that may freeze guests now.

    A delete in progress freezes nothing: it is not counted.
    """
    model = models.GroupSnapshot
    query = (context.session.query(sa.func.count(model.id))
             .filter(model.status.notin_(list(states.FINAL) +
                                         [states.DELETING])))
    if project_id is not None:
        query = query.filter_by(project_id=project_id)
    return query.scalar()


@main_context_manager.reader
def group_snapshot_count_running_by_host(context):
    """{compute host: snapshots in progress with a member there}."""
    group, member = models.GroupSnapshot, models.MemberSnapshot
    rows = (context.session.query(member.host,
                                  sa.func.count(sa.distinct(group.id)))
            .join(group, member.group_snapshot_id == group.id)
            .filter(group.status.notin_(list(states.FINAL) +
                                        [states.DELETING]))
            .group_by(member.host).all())
    return dict(rows)


@_writer
def backup_policy_create(context, values):
    row = models.BackupPolicy(id=uuidutils.generate_uuid(), **values)
    context.session.add(row)
    context.session.flush()
    return _to_dict(row)


@main_context_manager.reader
def backup_policy_get(context, policy_id):
    row = _one(context, models.BackupPolicy, policy_id).first()
    if row is None:
        raise exception.BackupPolicyNotFound(id=policy_id)
    return _to_dict(row)


@main_context_manager.reader
def backup_policy_list(context, app_group_id=None, all_projects=False,
                       limit=None, marker=None):
    model = models.BackupPolicy
    query = _project_filter(context.session.query(model), model, context,
                            all_projects)
    if app_group_id is not None:
        query = query.filter_by(app_group_id=app_group_id)
    return [_to_dict(r) for r in _page(context, query, model, limit, marker,
                                       exception.BackupPolicyNotFound)]


@_writer
def backup_policy_update(context, policy_id, values):
    # Write, then read: on SQLite a transaction that reads first may fail
    # to take the write lock while the scheduler of another thread writes.
    updated = _one(context, models.BackupPolicy, policy_id).update(
        values, synchronize_session=False)
    if not updated:
        raise exception.BackupPolicyNotFound(id=policy_id)
    return _to_dict(_one(context, models.BackupPolicy, policy_id).first())


@_writer
def backup_policy_delete(context, policy_id):
    row = _one(context, models.BackupPolicy, policy_id).first()
    if row is None:
        raise exception.BackupPolicyNotFound(id=policy_id)
    context.session.delete(row)


@main_context_manager.reader
def backup_policy_list_due(context, now, limit=None):
    """Enabled policies of every project that are due, longest due first."""
    model = models.BackupPolicy
    query = (context.session.query(model)
             .filter(model.enabled == sa.true(), model.next_run_at <= now)
             .order_by(model.next_run_at, model.id))
    if limit:
        query = query.limit(limit)
    return [_to_dict(r) for r in query.all()]


@_writer
def backup_policy_claim(context, policy_id, due_at, next_run_at, now):
    """Take the run due at ``due_at``; False if someone else took it.

    A compare and swap on next_run_at, in one UPDATE: of any number of
    coordinators reading the same due row, exactly one moves it on, with
    or without a lock between them.
    """
    model = models.BackupPolicy
    claimed = (context.session.query(model)
               .filter(model.id == policy_id, model.next_run_at == due_at,
                       model.enabled == sa.true())
               .update({'next_run_at': next_run_at, 'last_run_at': now},
                       synchronize_session=False))
    return claimed == 1


@main_context_manager.reader
def backup_policy_list_settling(context):
    """(policy, snapshot) for each policy whose last run has just ended.

    That is, its result is still null but its snapshot is final.
    """
    policy, snap = models.BackupPolicy, models.GroupSnapshot
    rows = (context.session.query(policy, snap)
            .join(snap, snap.id == policy.last_snapshot_id)
            .filter(policy.last_result.is_(None),
                    snap.status.in_(list(states.FINAL)))
            .order_by(policy.id).all())
    # With its members: a result names hosts by what the project may see.
    return [(_to_dict(p), _group_snapshot_dict(s)) for p, s in rows]


@_writer
def backup_policy_settle(context, policy_id, snapshot_id, result):
    """Record a run's result once: False if another coordinator did."""
    model = models.BackupPolicy
    settled = (context.session.query(model)
               .filter(model.id == policy_id,
                       model.last_snapshot_id == snapshot_id,
                       model.last_result.is_(None))
               .update({'last_result': result}, synchronize_session=False))
    return settled == 1


@main_context_manager.reader
def backup_policy_list_retained(context, updated_since=None):
    """Policies of every project with a retention rule."""
    model = models.BackupPolicy
    query = context.session.query(model).filter(sa.or_(
        model.keep_last.isnot(None), model.max_age_s.isnot(None)))
    if updated_since is not None:
        query = query.filter(model.updated_at >= updated_since)
    return [_to_dict(r) for r in query.order_by(model.id).all()]


def _restore_dict(row):
    restore = _to_dict(row)
    restore['resources'] = [_to_dict(r) for r in row.resources]
    return restore


@_writer
def restore_create(context, values):
    row = models.Restore(id=uuidutils.generate_uuid(), **values)
    context.session.add(row)
    context.session.flush()
    return _restore_dict(row)


@main_context_manager.reader
def restore_get(context, restore_id):
    row = _one(context, models.Restore, restore_id).first()
    if row is None:
        raise exception.RestoreNotFound(id=restore_id)
    return _restore_dict(row)


@main_context_manager.reader
def restore_list(context, group_snapshot_id=None, all_projects=False,
                 include_deleted=False, limit=None, marker=None):
    model = models.Restore
    query = _project_filter(context.session.query(model), model, context,
                            all_projects)
    if group_snapshot_id is not None:
        query = query.filter_by(group_snapshot_id=group_snapshot_id)
    if not include_deleted:
        query = query.filter(model.status != states.Restore.DELETED)
    return [_restore_dict(r) for r in _page(
        context, query, model, limit, marker, exception.RestoreNotFound,
        newest_first=True)]


@main_context_manager.reader
def restore_list_unfinished(context):
    """Restores of every project not in a final state."""
    model = models.Restore
    rows = (context.session.query(model)
            .filter(model.status.notin_(list(states.Restore.FINAL)))
            .order_by(model.created_at).all())
    return [_restore_dict(r) for r in rows]


@main_context_manager.reader
def restore_list_expired(context, now):
    """Verifications of every project kept for a look until before now."""
    model = models.Restore
    rows = (context.session.query(model)
            .filter(model.status == states.Restore.AVAILABLE,
                    model.keep_until.isnot(None), model.keep_until <= now)
            .order_by(model.keep_until).all())
    return [_restore_dict(r) for r in rows]


@main_context_manager.reader
def verdicts(context, group_snapshot_ids):
    """Each snapshot's latest verification: one with a verdict, or running.

    {snapshot id: the restore}, for the snapshots that have one.
    """
    model = models.Restore
    rows = (context.session.query(model)
            .filter(model.group_snapshot_id.in_(list(group_snapshot_ids)),
                    model.mode == 'verify',
                    sa.or_(model.verdict.isnot(None),
                           model.status.in_([states.Restore.PENDING,
                                             states.Restore.RESTORING])))
            .order_by(model.created_at, model.id).all())
    # Newest last: it wins.
    return {r.group_snapshot_id: _to_dict(r) for r in rows}


@_writer
def restore_update(context, restore_id, values, expected=None):
    """Update a restore.

    Its status only from ``expected`` (compare and swap), and along an
    allowed transition.
    """
    row = _one(context, models.Restore, restore_id).with_for_update().first()
    if row is None:
        raise exception.RestoreNotFound(id=restore_id)
    new = values.get('status')
    if (expected is not None and row.status not in expected) or (
            new is not None and new != row.status and
            not states.Restore.can_move(row.status, new)):
        raise exception.RestoreInvalidState(id=restore_id, status=row.status,
                                            wanted=new or 'update')
    row.update(values)
    context.session.flush()
    return _restore_dict(row)


@_writer
def restore_resource_add(context, restore_id, kind, resource_id,
                         server_id=None):
    context.session.add(models.RestoreResource(
        restore_id=restore_id, type=kind, resource_id=resource_id,
        server_id=server_id, deleted=False))


@_writer
def restore_resource_deleted(context, restore_id, kind, resource_id):
    (context.session.query(models.RestoreResource)
     .filter_by(restore_id=restore_id, type=kind, resource_id=resource_id)
     .update({'deleted': True}, synchronize_session=False))
