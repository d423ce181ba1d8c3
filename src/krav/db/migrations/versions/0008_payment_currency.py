"""The currency of a payment

Every payment booked before this revision was counted as NOK; they keep NOK.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 15:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('currency', sa.String(length=3), nullable=False,
                                      server_default='NOK'))


def downgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('currency')
