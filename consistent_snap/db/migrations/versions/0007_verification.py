"""Verification: a restore in isolation, checked, then deleted.

verdict: passed or failed, once its checks ran (null for a plain restore,
and while a verification runs). keep_until: when a verification kept for a
look (--keep-for) is deleted. backup_policies.verify_every: a policy whose
newest verify_every snapshots have no verification verifies its new one
(1: each; null: never).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('restores',
                  sa.Column('verdict', sa.String(16), nullable=True))
    op.add_column('restores',
                  sa.Column('keep_until', sa.DateTime, nullable=True))
    op.add_column('backup_policies',
                  sa.Column('verify_every', sa.Integer, nullable=True))
