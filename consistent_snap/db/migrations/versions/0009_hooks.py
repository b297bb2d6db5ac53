"""Application hooks: what an app group or a snapshot runs, what ran.

app_groups.hooks: the hooks (consistent_snap/hooks.py) each snapshot of
the group runs, unless its request gives others. group_snapshots.hooks:
those the snapshot ran; hooks_window_ms: from the first pre-freeze hook's
start to the last post-thaw hook's end. member_snapshots.hook_results:
each hook's record on that member (name, when, stage, started_at,
ended_at, exitcode, bounded output, passed).

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
    op.add_column('group_snapshots',
                  sa.Column('hooks_window_ms', sa.Double, nullable=True))
    op.add_column('member_snapshots',
                  sa.Column('hook_results', sa.JSON, nullable=True))
