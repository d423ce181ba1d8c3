"""Idempotency keys of POST /api/v1/claims

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 16:30:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        'idempotency_keys',
        sa.Column('id', Id, nullable=False),
        sa.Column('creditor_id', Id, nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('request_hash', sa.String(length=64), nullable=False),
        sa.Column('status', sa.Integer(), nullable=False),
        sa.Column('response', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['creditor_id'], ['creditors.id'],
                                name=op.f('fk_idempotency_keys_creditor_id_creditors')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_keys')),
        sa.UniqueConstraint('creditor_id', 'key', name='uq_idempotency_keys_creditor_id_key'),
    )


def downgrade() -> None:
    op.drop_table('idempotency_keys')
