"""VAT on a settlement's commission

Settlements made before this revision charged none; they keep 0.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 05:30:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vat_pct', sa.String(length=10), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('vat_ore', sa.BigInteger(), nullable=False,
                                      server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.drop_column('vat_ore')
        batch_op.drop_column('vat_pct')
