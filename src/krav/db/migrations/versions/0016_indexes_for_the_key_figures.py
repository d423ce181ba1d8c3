"""indexes for the key figures (krav kpi)

- ``ix_postings_on``: the postings dated after a day (the cases ``kpi`` reads from their
  postings) and the money postings of a period (collected); postings are written in date order,
  so the index grows at its end.
- ``ix_postings_overpaid``: partial, the few postings of money owed back.
- ``ix_claims_imported_on``: the claims handed over in a period (the cohort).
- ``ix_events_kind_on``: the objections registered in a period.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 18:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

OVERPAID = sa.text("component = 'overpaid'")


def upgrade() -> None:
    op.create_index('ix_postings_on', 'postings', ['on'])
    op.create_index('ix_postings_overpaid', 'postings', ['claim_id'],
                    sqlite_where=OVERPAID, postgresql_where=OVERPAID)
    op.create_index('ix_claims_imported_on', 'claims', ['imported_on'])
    op.create_index('ix_events_kind_on', 'events', ['kind', 'on'])


def downgrade() -> None:
    op.drop_index('ix_events_kind_on', table_name='events')
    op.drop_index('ix_claims_imported_on', table_name='claims')
    op.drop_index('ix_postings_overpaid', table_name='postings')
    op.drop_index('ix_postings_on', table_name='postings')
