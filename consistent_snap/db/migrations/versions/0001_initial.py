"""The four tables: app groups, group and member snapshots, backup policies.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from alembic import op
import sqlalchemy as sa

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def _timestamps():
    return [sa.Column('created_at', sa.DateTime, nullable=False),
            sa.Column('updated_at', sa.DateTime, nullable=True)]


def upgrade():
    op.create_table(
        'app_groups',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('project_id', sa.String(255), nullable=False),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('description', sa.String(1024), nullable=False),
        sa.Column('source_type', sa.String(32), nullable=False),
        sa.Column('source_ref', sa.JSON, nullable=False),
        sa.Column('include_volumes', sa.Boolean, nullable=False),
        sa.Column('default_mode', sa.String(32), nullable=False),
        sa.Column('quiesce', sa.Boolean, nullable=False),
        sa.Column('consistent', sa.Boolean, nullable=False),
        *_timestamps(),
        sa.UniqueConstraint('project_id', 'name',
                            name='uniq_app_groups0project_id0name'),
    )
    op.create_index('ix_app_groups_project_id', 'app_groups', ['project_id'])

    op.create_table(
        'group_snapshots',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('app_group_id', sa.String(36),
                  sa.ForeignKey('app_groups.id', ondelete='SET NULL'),
                  nullable=True),
        sa.Column('project_id', sa.String(255), nullable=False),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('description', sa.String(1024), nullable=False),
        sa.Column('status', sa.String(32), nullable=False),
        sa.Column('mode', sa.String(32), nullable=False),
        sa.Column('consistent', sa.Boolean, nullable=False),
        sa.Column('quiesce', sa.Boolean, nullable=False),
        sa.Column('require_quiesce', sa.Boolean, nullable=False),
        sa.Column('include_volumes', sa.Boolean, nullable=False),
        sa.Column('skip_unhealthy', sa.Boolean, nullable=False),
        sa.Column('servers', sa.JSON, nullable=True),
        sa.Column('fence_at', sa.Float, nullable=True),
        sa.Column('deadline_at', sa.Float, nullable=True),
        sa.Column('skew_ms', sa.Float, nullable=True),
        sa.Column('uncertainty_ms', sa.Float, nullable=True),
        sa.Column('max_freeze_ms', sa.Float, nullable=True),
        sa.Column('consistency', sa.String(32), nullable=True),
        sa.Column('requested_by', sa.String(255), nullable=False),
        sa.Column('trust_id', sa.String(64), nullable=True),
        sa.Column('error', sa.Text, nullable=True),
        *_timestamps(),
    )
    op.create_index('ix_group_snapshots_app_group_id', 'group_snapshots',
                    ['app_group_id'])
    op.create_index('ix_group_snapshots_project_id', 'group_snapshots',
                    ['project_id'])
    op.create_index('ix_group_snapshots_status', 'group_snapshots',
                    ['status'])

    op.create_table(
        'member_snapshots',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('group_snapshot_id', sa.String(36),
                  sa.ForeignKey('group_snapshots.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('server_id', sa.String(36), nullable=False),
        sa.Column('server_name', sa.String(255), nullable=True),
        sa.Column('server_status', sa.String(32), nullable=True),
        sa.Column('host', sa.String(255), nullable=False),
        sa.Column('host_id', sa.String(255), nullable=True),
        sa.Column('status', sa.String(32), nullable=False),
        sa.Column('consistency', sa.String(32), nullable=True),
        sa.Column('consistency_reason', sa.Text, nullable=True),
        sa.Column('artifacts', sa.JSON, nullable=True),
        sa.Column('received_at', sa.Float, nullable=True),
        sa.Column('started_at', sa.Float, nullable=True),
        sa.Column('frozen_at', sa.Float, nullable=True),
        sa.Column('captured_at', sa.Float, nullable=True),
        sa.Column('fixed_at', sa.Float, nullable=True),
        sa.Column('thawed_at', sa.Float, nullable=True),
        sa.Column('error', sa.Text, nullable=True),
        *_timestamps(),
    )
    op.create_index('ix_member_snapshots_group_snapshot_id',
                    'member_snapshots', ['group_snapshot_id'])

    op.create_table(
        'backup_policies',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('app_group_id', sa.String(36),
                  sa.ForeignKey('app_groups.id', ondelete='SET NULL'),
                  nullable=True),
        sa.Column('project_id', sa.String(255), nullable=False),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('description', sa.String(1024), nullable=False),
        sa.Column('cron', sa.String(255), nullable=False),
        sa.Column('timezone', sa.String(64), nullable=False),
        sa.Column('keep_last', sa.Integer, nullable=True),
        sa.Column('max_age_s', sa.Integer, nullable=True),
        sa.Column('mode', sa.String(32), nullable=True),
        sa.Column('quiesce', sa.Boolean, nullable=True),
        sa.Column('consistent', sa.Boolean, nullable=True),
        sa.Column('include_volumes', sa.Boolean, nullable=True),
        sa.Column('enabled', sa.Boolean, nullable=False),
        sa.Column('next_run_at', sa.DateTime, nullable=True),
        sa.Column('last_run_at', sa.DateTime, nullable=True),
        sa.Column('last_snapshot_id', sa.String(36), nullable=True),
        sa.Column('last_result', sa.Text, nullable=True),
        sa.Column('trust_id', sa.String(64), nullable=True),
        sa.Column('created_by', sa.String(255), nullable=True),
        *_timestamps(),
    )
    op.create_index('ix_backup_policies_app_group_id', 'backup_policies',
                    ['app_group_id'])
    op.create_index('ix_backup_policies_project_id', 'backup_policies',
                    ['project_id'])
    op.create_index('ix_backup_policies_next_run_at', 'backup_policies',
                    ['next_run_at'])
