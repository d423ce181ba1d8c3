"""Debtor portal: case access-code generations, debtors' sessions, phone opt-out

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 17:40:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        'case_access',
        sa.Column('claim_id', Id, nullable=False),
        sa.Column('serial', sa.Integer(), nullable=False),
        sa.Column('issued_at', sa.DateTime(), nullable=False),
        sa.Column('issued_by', sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(['claim_id'], ['claims.id'],
                                name=op.f('fk_case_access_claim_id_claims')),
        sa.PrimaryKeyConstraint('claim_id', name=op.f('pk_case_access')),
    )
    op.create_table(
        'debtor_sessions',
        sa.Column('id', Id, nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('method', sa.String(length=10), nullable=False),
        sa.Column('national_id', sa.String(length=11), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.Column('client', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_debtor_sessions')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_debtor_sessions_token_hash')),
    )
    op.create_table(
        'debtor_session_claims',
        sa.Column('session_id', Id, nullable=False),
        sa.Column('claim_id', Id, nullable=False),
        sa.ForeignKeyConstraint(['session_id'], ['debtor_sessions.id'],
                                name=op.f('fk_debtor_session_claims_session_id_debtor_sessions')),
        sa.ForeignKeyConstraint(['claim_id'], ['claims.id'],
                                name=op.f('fk_debtor_session_claims_claim_id_claims')),
        sa.PrimaryKeyConstraint('session_id', 'claim_id', name=op.f('pk_debtor_session_claims')),
    )
    with op.batch_alter_table('debtors') as batch:
        batch.add_column(sa.Column('phone_opt_out', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('debtors') as batch:
        batch.drop_column('phone_opt_out')
    op.drop_table('debtor_session_claims')
    op.drop_table('debtor_sessions')
    op.drop_table('case_access')
