"""Store instants and milliseconds as double precision.

sa.Float is FLOAT on MySQL and MariaDB: single precision, read back with six
significant digits, so an epoch instant such as 1795587404.227 came back as
1795590000 (the next round 10,000 s) and skews and freeze windows computed
from it were nonsense. SQLite's REAL and PostgreSQL's FLOAT were already
double precision; the batch keeps SQLite's table recreation working.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

COLUMNS = {
    'group_snapshots': ('fence_at', 'deadline_at', 'skew_ms',
                        'uncertainty_ms', 'max_freeze_ms'),
    'member_snapshots': ('received_at', 'started_at', 'frozen_at',
                         'captured_at', 'fixed_at', 'thawed_at'),
}


def upgrade():
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(column, type_=sa.Double,
                                   existing_type=sa.Float,
                                   existing_nullable=True)
