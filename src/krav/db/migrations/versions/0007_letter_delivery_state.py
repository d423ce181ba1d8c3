"""Letter delivery state: dispatched_on, replaced_by, fee_charged

A letter counts as sent only from the day it went out (``dispatched_on``); letters already
``sent`` before this revision went out on their own date. Letters already ``cancelled`` are not
owed any more (``replaced_by`` points to themselves), so they do not hold a case back.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 15:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dispatched_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('replaced_by', sa.BigInteger().with_variant(
            sa.Integer(), 'sqlite'), nullable=True))
        batch_op.add_column(sa.Column('fee_charged', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
    op.execute("UPDATE letters SET dispatched_on = sent_on WHERE status = 'sent'")
    op.execute("UPDATE letters SET replaced_by = id WHERE status = 'cancelled'")


def downgrade() -> None:
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.drop_column('fee_charged')
        batch_op.drop_column('replaced_by')
        batch_op.drop_column('dispatched_on')
