"""Payouts: the pain.001 files that pay settlements out, and one payout per settlement

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 17:40:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        'payout_files',
        sa.Column('id', Id, nullable=False),
        sa.Column('msg_id', sa.String(length=35), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('execution_date', sa.Date(), nullable=False),
        sa.Column('transactions', sa.Integer(), nullable=False),
        sa.Column('total_ore', sa.BigInteger(), nullable=False),
        sa.Column('debtor_account', sa.String(length=34), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_files')),
        sa.UniqueConstraint('msg_id', name=op.f('uq_payout_files_msg_id')),
    )
    op.create_table(
        'payouts',
        sa.Column('id', Id, nullable=False),
        sa.Column('settlement_id', Id, nullable=False),
        sa.Column('file_id', Id, nullable=False),
        sa.Column('end_to_end_id', sa.String(length=35), nullable=False),
        sa.Column('amount_ore', sa.BigInteger(), nullable=False),
        sa.Column('account_number', sa.String(length=34), nullable=False),
        sa.ForeignKeyConstraint(['settlement_id'], ['settlements.id'],
                                name=op.f('fk_payouts_settlement_id_settlements')),
        sa.ForeignKeyConstraint(['file_id'], ['payout_files.id'],
                                name=op.f('fk_payouts_file_id_payout_files')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_payouts')),
        sa.UniqueConstraint('settlement_id', name=op.f('uq_payouts_settlement_id')),
        sa.UniqueConstraint('end_to_end_id', name=op.f('uq_payouts_end_to_end_id')),
    )
    op.create_index(op.f('ix_payouts_file_id'), 'payouts', ['file_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_payouts_file_id'), table_name='payouts')
    op.drop_table('payouts')
    op.drop_table('payout_files')
