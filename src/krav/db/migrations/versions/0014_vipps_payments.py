"""Vipps MobilePay payment requests from the debtor portal's pay page

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 18:10:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        'vipps_payments',
        sa.Column('reference', sa.String(length=50), nullable=False),
        sa.Column('claim_id', Id, nullable=False),
        sa.Column('amount_ore', sa.BigInteger(), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('payment_id', Id, nullable=True),
        sa.ForeignKeyConstraint(['claim_id'], ['claims.id'],
                                name=op.f('fk_vipps_payments_claim_id_claims')),
        sa.ForeignKeyConstraint(['payment_id'], ['payments.id'],
                                name=op.f('fk_vipps_payments_payment_id_payments')),
        sa.PrimaryKeyConstraint('reference', name=op.f('pk_vipps_payments')),
    )
    op.create_index(op.f('ix_vipps_payments_claim_id'), 'vipps_payments', ['claim_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_vipps_payments_claim_id'), table_name='vipps_payments')
    op.drop_table('vipps_payments')
