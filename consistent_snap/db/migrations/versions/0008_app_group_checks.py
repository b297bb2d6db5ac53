"""The checks every verification of an app group's snapshots runs.

app_groups.checks: a list of checks (api/schemas/checks.py), each run in
the restored guests besides the built-in ones; null: none.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('app_groups', sa.Column('checks', sa.JSON, nullable=True))
