"""Application hooks: what an app group or a snapshot runs, what ran.

app_groups.hooks: the hooks (api/schemas/hooks.py) each snapshot of the
group runs, unless its request gives others; group_snapshots.hooks: those
the snapshot ran; member_snapshots.hook_results: each hook's record on
that member (name, when, stage, started_at, ended_at, exit code, bounded
output, passed).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('app_groups', sa.Column('hooks', sa.JSON, nullable=True))
    op.add_column('group_snapshots',
                  sa.Column('hooks', sa.JSON, nullable=True))
    op.add_column('member_snapshots',
                  sa.Column('hook_results', sa.JSON, nullable=True))
