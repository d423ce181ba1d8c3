"""api_keys.expires_at: a key can be made to stop working at a set time (krav apikey create
--expires)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 18:30:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('api_keys') as batch:
        batch.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('api_keys') as batch:
        batch.drop_column('expires_at')
