"""Webhooks: a creditor's subscriptions (secret encrypted) and the outbox of deliveries

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 16:30:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        'webhooks',
        sa.Column('id', Id, nullable=False),
        sa.Column('creditor_id', Id, nullable=False),
        sa.Column('url', sa.String(length=2000), nullable=False),
        sa.Column('events', sa.String(length=300), nullable=False),
        sa.Column('secret_enc', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=200), nullable=False),
        sa.Column('deleted_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['creditor_id'], ['creditors.id'],
                                name=op.f('fk_webhooks_creditor_id_creditors')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhooks')),
    )
    op.create_index(op.f('ix_webhooks_creditor_id'), 'webhooks', ['creditor_id'])
    op.create_table(
        'webhook_deliveries',
        sa.Column('id', Id, nullable=False),
        sa.Column('webhook_id', Id, nullable=False),
        sa.Column('creditor_id', Id, nullable=False),
        sa.Column('claim_id', Id, nullable=False),
        sa.Column('event_type', sa.String(length=30), nullable=False),
        sa.Column('source', sa.String(length=10), nullable=False),
        sa.Column('source_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
        sa.Column('last_attempt_at', sa.DateTime(), nullable=True),
        sa.Column('delivered_at', sa.DateTime(), nullable=True),
        sa.Column('response_status', sa.Integer(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['webhook_id'], ['webhooks.id'],
                                name=op.f('fk_webhook_deliveries_webhook_id_webhooks')),
        sa.ForeignKeyConstraint(['creditor_id'], ['creditors.id'],
                                name=op.f('fk_webhook_deliveries_creditor_id_creditors')),
        sa.ForeignKeyConstraint(['claim_id'], ['claims.id'],
                                name=op.f('fk_webhook_deliveries_claim_id_claims')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
        sa.UniqueConstraint('webhook_id', 'event_type', 'source', 'source_id',
                            name='uq_webhook_deliveries_event'),
    )
    op.create_index('ix_webhook_deliveries_status', 'webhook_deliveries',
                    ['status', 'next_attempt_at'])
    op.create_index('ix_webhook_deliveries_webhook', 'webhook_deliveries', ['webhook_id', 'id'])


def downgrade() -> None:
    op.drop_table('webhook_deliveries')
    op.drop_index(op.f('ix_webhooks_creditor_id'), table_name='webhooks')
    op.drop_table('webhooks')
