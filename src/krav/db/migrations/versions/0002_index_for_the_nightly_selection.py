"""index for the nightly selection

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 15:21:30.698443
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claims_next_action'))
        batch_op.create_index('ix_claims_due', ['status', 'next_action_on'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index('ix_claims_due')
        batch_op.create_index(batch_op.f('ix_claims_next_action'), ['next_action_on'], unique=False)

