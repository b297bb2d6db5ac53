"""The migrations build the schema the models describe, on every backend."""

import os
import uuid

from alembic import autogenerate
from alembic import migration as alembic_migration
import pytest
import sqlalchemy as sa
from sqlalchemy import orm

from consistent_snap.db import migration
from consistent_snap.db import models

BACKENDS = {
    'mysql': 'CS_TEST_MYSQL_URL',
    'postgresql': 'CS_TEST_POSTGRESQL_URL',
}


def _server_url(backend):
    url = os.environ.get(BACKENDS[backend])
    if not url:
        pytest.skip('%s is not set: tests/run.sh starts %s and sets it' %
                    (BACKENDS[backend], backend))
    return sa.engine.make_url(url)


@pytest.fixture(params=['sqlite', 'mysql', 'postgresql'])
def engine(request, tmp_path):
    """A fresh, empty database on each backend, dropped afterwards."""
    if request.param == 'sqlite':
        engine = sa.create_engine('sqlite:///%s' % (tmp_path / 'm.sqlite'))
        yield engine
        engine.dispose()
        return
    server = _server_url(request.param)
    name = 'cs_migrations_%s' % uuid.uuid4().hex[:8]
    admin = sa.create_engine(server, isolation_level='AUTOCOMMIT')
    with admin.connect() as conn:
        conn.execute(sa.text('CREATE DATABASE %s' % name))
    engine = sa.create_engine(server.set(database=name))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text('DROP DATABASE %s' % name))
        admin.dispose()


def _diff(engine):
    with engine.connect() as conn:
        context = alembic_migration.MigrationContext.configure(
            conn, opts={'compare_type': True})
        return autogenerate.compare_metadata(context, models.Base.metadata)


def test_migrations_walk_to_head_and_match_the_models(engine):
    assert migration.version(engine) is None
    migration.upgrade('head', engine=engine)
    assert migration.version(engine) == '0009'
    assert _diff(engine) == []
    assert set(sa.inspect(engine).get_table_names()) >= {
        'app_groups', 'group_snapshots', 'member_snapshots',
        'backup_policies', 'restores', 'restore_resources',
        'server_reservations'}


def test_upgrade_twice_is_harmless(engine):
    migration.upgrade('head', engine=engine)
    migration.upgrade('head', engine=engine)
    assert migration.version(engine) == '0009'


def test_instants_keep_their_microseconds(engine):
    # MariaDB's FLOAT (0001) gave back 1795590000 for this instant.
    migration.upgrade('head', engine=engine)
    instant = 1795587404.227038
    table = models.GroupSnapshot.__table__
    with orm.Session(engine) as session:
        session.add(models.GroupSnapshot(
            id=str(uuid.uuid4()), project_id='p', status='available',
            mode='barrier', requested_by='manual', fence_at=instant,
            skew_ms=3.125))
        session.commit()
        fence_at, skew_ms = session.execute(
            sa.select(table.c.fence_at, table.c.skew_ms)).one()
    assert abs(fence_at - instant) < 1e-6
    assert skew_ms == 3.125


def test_members_snapshotted_before_manifests_have_none(engine):
    # A member row written at 0002 reads back with a null manifest; a
    # manifest written at 0003 reads back as it was given.
    migration.upgrade('0002', engine=engine)
    with engine.begin() as conn:
        # As 0002's tables were: today's model has columns they lack.
        conn.execute(sa.text(
            "INSERT INTO group_snapshots (id, project_id, name, "
            "description, status, mode, consistent, quiesce, "
            "require_quiesce, include_volumes, skip_unhealthy, "
            "requested_by, created_at) VALUES ('gs', 'p', '', '', "
            "'available', 'barrier', TRUE, TRUE, FALSE, TRUE, FALSE, "
            "'manual', CURRENT_TIMESTAMP)"))
        conn.execute(sa.text(
            "INSERT INTO member_snapshots (id, group_snapshot_id, server_id, "
            "host, status, created_at) VALUES ('old', 'gs', 's1', 'h', "
            "'available', CURRENT_TIMESTAMP)"))
    migration.upgrade('head', engine=engine)
    manifest = {'manifest_version': 1, 'name': 'vm', 'tags': ['a'],
                'server_group': None}
    with orm.Session(engine) as session:
        session.add(models.MemberSnapshot(
            id='new', group_snapshot_id='gs', server_id='s2', host='h',
            status='pending', manifest=manifest))
        session.commit()
        found = dict(session.execute(sa.select(
            models.MemberSnapshot.id, models.MemberSnapshot.manifest)).all())
    assert found == {'old': None, 'new': manifest}
