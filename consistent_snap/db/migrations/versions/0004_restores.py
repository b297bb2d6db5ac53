"""Restores, and the ledger of the cloud resources each created.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'restores',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('group_snapshot_id', sa.String(36),
                  sa.ForeignKey('group_snapshots.id', ondelete='SET NULL'),
                  nullable=True, index=True),
        sa.Column('project_id', sa.String(255), nullable=False, index=True),
        sa.Column('status', sa.String(32), nullable=False, index=True),
        sa.Column('mode', sa.String(32), nullable=False),
        sa.Column('options', sa.JSON, nullable=False),
        sa.Column('plan', sa.JSON, nullable=True),
        sa.Column('members', sa.JSON, nullable=True),
        sa.Column('ready_s', sa.Double, nullable=True),
        sa.Column('app_group_id', sa.String(36), nullable=True),
        sa.Column('requested_by', sa.String(255), nullable=False),
        sa.Column('trust_id', sa.String(64), nullable=True),
        sa.Column('error', sa.Text, nullable=True),
        sa.Column('created_at', sa.DateTime, nullable=False),
        sa.Column('updated_at', sa.DateTime, nullable=True),
    )
    op.create_table(
        'restore_resources',
        sa.Column('seq', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('restore_id', sa.String(36),
                  sa.ForeignKey('restores.id', ondelete='CASCADE'),
                  nullable=False, index=True),
        sa.Column('type', sa.String(32), nullable=False),
        sa.Column('resource_id', sa.String(64), nullable=False),
        sa.Column('server_id', sa.String(36), nullable=True),
        sa.Column('deleted', sa.Boolean, nullable=False),
        sa.Column('created_at', sa.DateTime, nullable=False),
        sa.Column('updated_at', sa.DateTime, nullable=True),
    )
