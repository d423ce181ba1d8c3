"""The creditor's profile: phone and language

A creditor (oppdragsgiver) is onboarded with ``krav creditor add``; its phone and the language of
what the agency sends it join the address, account and e-mail already stored. Existing creditors
get no phone and Bokmål.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 15:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('creditors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=30), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('language', sa.String(length=2), nullable=False,
                                      server_default='nb'))


def downgrade() -> None:
    with op.batch_alter_table('creditors', schema=None) as batch_op:
        batch_op.drop_column('language')
        batch_op.drop_column('phone')
