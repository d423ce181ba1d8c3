"""claim_uploads and upload_mappings: the creditor pages' upload of claims (/levere)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 19:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        'claim_uploads',
        sa.Column('id', Id, nullable=False),
        sa.Column('creditor_id', Id, nullable=False),
        sa.Column('user_id', Id, nullable=True),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('imported_at', sa.DateTime(), nullable=True),
        sa.Column('claims', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['creditor_id'], ['creditors.id'],
                                name=op.f('fk_claim_uploads_creditor_id_creditors')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_uploads')),
    )
    op.create_index('ix_claim_uploads_creditor_id', 'claim_uploads', ['creditor_id'])
    op.create_table(
        'upload_mappings',
        sa.Column('creditor_id', Id, nullable=False),
        sa.Column('mapping', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['creditor_id'], ['creditors.id'],
                                name=op.f('fk_upload_mappings_creditor_id_creditors')),
        sa.PrimaryKeyConstraint('creditor_id', name=op.f('pk_upload_mappings')),
    )


def downgrade() -> None:
    op.drop_table('upload_mappings')
    op.drop_index('ix_claim_uploads_creditor_id', table_name='claim_uploads')
    op.drop_table('claim_uploads')
