"""Each member snapshot keeps its server's manifest, to rebuild it.

Nullable: snapshots taken before have none, and restore says so.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN on every backend, SQLite included: no batch.
    op.add_column('member_snapshots',
                  sa.Column('manifest', sa.JSON, nullable=True))
