"""Agreements: deferrals, payment plans and limited agreements, their claims and instalments

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 17:40:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        'agreements',
        sa.Column('id', Id, nullable=False),
        sa.Column('ref', sa.String(length=20), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('debtor_id', Id, nullable=False),
        sa.Column('created_on', sa.Date(), nullable=False),
        sa.Column('decided_on', sa.Date(), nullable=True),
        sa.Column('accepted_on', sa.Date(), nullable=True),
        sa.Column('closed_on', sa.Date(), nullable=True),
        sa.Column('until', sa.Date(), nullable=True),
        sa.Column('instalments', sa.Integer(), nullable=False),
        sa.Column('first_due', sa.Date(), nullable=True),
        sa.Column('amount_ore', sa.BigInteger(), nullable=True),
        sa.Column('total_ore', sa.BigInteger(), nullable=False),
        sa.Column('uplift_warning', sa.Boolean(), nullable=False),
        sa.Column('warned', sa.Boolean(), nullable=False),
        sa.Column('uplift_claim_id', Id, nullable=True),
        sa.Column('granted', sa.String(length=10), nullable=True),
        sa.Column('reasons', sa.JSON(), nullable=True),
        sa.Column('breach_notice_on', sa.Date(), nullable=True),
        sa.Column('breach_deadline', sa.Date(), nullable=True),
        sa.Column('breach_due_ore', sa.BigInteger(), nullable=True),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('created_by', sa.String(length=300), nullable=False),
        sa.Column('decided_by', sa.String(length=300), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['debtor_id'], ['debtors.id'],
                                name=op.f('fk_agreements_debtor_id_debtors')),
        sa.ForeignKeyConstraint(['uplift_claim_id'], ['claims.id'],
                                name=op.f('fk_agreements_uplift_claim_id_claims')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_agreements')),
        sa.UniqueConstraint('ref', name=op.f('uq_agreements_ref')),
    )
    op.create_index(op.f('ix_agreements_debtor_id'), 'agreements', ['debtor_id'])
    op.create_index('ix_agreements_status', 'agreements', ['status'])
    op.create_table(
        'agreement_claims',
        sa.Column('agreement_id', Id, nullable=False),
        sa.Column('claim_id', Id, nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('resume_on', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'],
                                name=op.f('fk_agreement_claims_agreement_id_agreements')),
        sa.ForeignKeyConstraint(['claim_id'], ['claims.id'],
                                name=op.f('fk_agreement_claims_claim_id_claims')),
        sa.PrimaryKeyConstraint('agreement_id', 'claim_id', name=op.f('pk_agreement_claims')),
    )
    op.create_index('ix_agreement_claims_claim_id', 'agreement_claims', ['claim_id'])
    op.create_table(
        'agreement_instalments',
        sa.Column('agreement_id', Id, nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('due', sa.Date(), nullable=False),
        sa.Column('amount_ore', sa.BigInteger(), nullable=False),
        sa.Column('kid', sa.String(length=27), nullable=True),
        sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'],
                                name=op.f('fk_agreement_instalments_agreement_id_agreements')),
        sa.PrimaryKeyConstraint('agreement_id', 'n', name=op.f('pk_agreement_instalments')),
    )


def downgrade() -> None:
    op.drop_table('agreement_instalments')
    op.drop_index('ix_agreement_claims_claim_id', table_name='agreement_claims')
    op.drop_table('agreement_claims')
    op.drop_index('ix_agreements_status', table_name='agreements')
    op.drop_index(op.f('ix_agreements_debtor_id'), table_name='agreements')
    op.drop_table('agreements')
