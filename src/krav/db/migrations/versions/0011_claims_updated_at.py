"""claims.updated_at: when a claim last changed (GET /api/v1/claims?updated_since=)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 16:45:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('claims') as batch:
        batch.add_column(sa.Column('updated_at', sa.DateTime(), nullable=True))
    op.create_index('ix_claims_updated_at', 'claims', ['updated_at'])


def downgrade() -> None:
    op.drop_index('ix_claims_updated_at', table_name='claims')
    with op.batch_alter_table('claims') as batch:
        batch.drop_column('updated_at')
