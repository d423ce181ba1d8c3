"""index on claims.invoice_number (finding a case by its invoice number)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 15:00:00
"""
from __future__ import annotations

from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.create_index('ix_claims_invoice_number', ['invoice_number'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index('ix_claims_invoice_number')
