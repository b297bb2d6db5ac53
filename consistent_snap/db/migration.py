"""Schema migrations with alembic: `consistent-snap-manage db sync|version`."""

import os

from alembic import command as alembic_command
from alembic import config as alembic_config
from alembic import migration as alembic_migration

from consistent_snap.db import api as db_api

MIGRATIONS_DIR = os.path.join(os.path.dirname(__file__), 'migrations')


def _config(engine):
    config = alembic_config.Config()
    config.set_main_option('script_location', MIGRATIONS_DIR)
    # env.py runs on this connection instead of building its own engine.
    config.attributes['engine'] = engine
    return config


def upgrade(revision='head', engine=None):
    engine = engine or db_api.get_engine()
    alembic_command.upgrade(_config(engine), revision)


def downgrade(revision, engine=None):
    engine = engine or db_api.get_engine()
    alembic_command.downgrade(_config(engine), revision)


def version(engine=None):
    engine = engine or db_api.get_engine()
    with engine.connect() as conn:
        return alembic_migration.MigrationContext.configure(
            conn).get_current_revision()
