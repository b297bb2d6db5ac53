"""The bound a snapshot's cut can guarantee, beside the spread of its calls.

skew_bound_ms: from the first capture call to the last point fixed.
frozen_together: every point was fixed while every member was frozen.
Nullable: snapshots taken before have neither.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('group_snapshots',
                  sa.Column('skew_bound_ms', sa.Double, nullable=True))
    op.add_column('group_snapshots',
                  sa.Column('frozen_together', sa.Boolean, nullable=True))
