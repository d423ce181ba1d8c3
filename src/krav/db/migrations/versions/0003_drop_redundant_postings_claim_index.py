"""drop the postings index on claim_id alone

The unique constraint ``uq_postings_claim_key`` (claim_id, key) is an index whose leading column
is claim_id, so it answers every lookup by claim; the separate ``ix_postings_claim`` only cost a
second index entry per posting (a fifth of a bank import's write time).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 04:10:00
"""
from __future__ import annotations

from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('postings', schema=None) as batch_op:
        batch_op.drop_index('ix_postings_claim')


def downgrade() -> None:
    with op.batch_alter_table('postings', schema=None) as batch_op:
        batch_op.create_index('ix_postings_claim', ['claim_id'], unique=False)
