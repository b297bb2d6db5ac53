"""A server is held by one snapshot at a time.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'server_reservations',
        sa.Column('server_id', sa.String(36), primary_key=True),
        sa.Column('group_snapshot_id', sa.String(36),
                  sa.ForeignKey('group_snapshots.id', ondelete='CASCADE'),
                  nullable=False, index=True),
        sa.Column('created_at', sa.DateTime, nullable=False),
        sa.Column('updated_at', sa.DateTime, nullable=True),
    )
