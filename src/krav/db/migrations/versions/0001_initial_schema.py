"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 14:37:58.290772
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('creditors',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('orgnr', sa.String(length=9), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('postcode', sa.String(length=10), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('account_number', sa.String(length=11), nullable=False),
    sa.Column('kid_mod', sa.Integer(), nullable=False),
    sa.Column('kid_length', sa.Integer(), nullable=False),
    sa.Column('kid_prefix', sa.String(length=10), nullable=False),
    sa.Column('vat_deductible', sa.Boolean(), nullable=False),
    sa.Column('commission_pct', sa.String(length=10), nullable=False),
    sa.Column('allocation_order', sa.String(length=100), nullable=False),
    sa.Column('policy', sa.JSON(), nullable=True),
    sa.Column('channels', sa.JSON(), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_creditors')),
    sa.UniqueConstraint('orgnr', name=op.f('uq_creditors_orgnr'))
    )
    op.create_table('debtors',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('national_id', sa.String(length=11), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('postcode', sa.String(length=10), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('email_consent', sa.Boolean(), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('address_bad', sa.Boolean(), nullable=False),
    sa.Column('identity_key', sa.String(length=300), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_debtors')),
    sa.UniqueConstraint('identity_key', name=op.f('uq_debtors_identity_key'))
    )
    with op.batch_alter_table('debtors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_debtors_national_id'), ['national_id'], unique=False)

    op.create_table('import_files',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('format', sa.String(length=10), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.Column('transactions', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_files')),
    sa.UniqueConstraint('sha256', name=op.f('uq_import_files_sha256'))
    )
    op.create_table('runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('claims_due', sa.Integer(), nullable=False),
    sa.Column('actions', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_runs'))
    )
    op.create_table('settings',
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_settings'))
    )
    op.create_table('claims',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ref', sa.String(length=20), nullable=False),
    sa.Column('creditor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('debtor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('invoice_number', sa.String(length=50), nullable=False),
    sa.Column('invoice_date', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('original_principal_ore', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('kid', sa.String(length=25), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('imported_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('step_index', sa.Integer(), nullable=False),
    sa.Column('fee_letters', sa.Integer(), nullable=False),
    sa.Column('last_deadline', sa.Date(), nullable=True),
    sa.Column('demand_sent_on', sa.Date(), nullable=True),
    sa.Column('demand_deadline', sa.Date(), nullable=True),
    sa.Column('legal_deadline', sa.Date(), nullable=True),
    sa.Column('next_action_on', sa.Date(), nullable=True),
    sa.Column('close_reason', sa.String(length=20), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('approved', sa.Boolean(), nullable=False),
    sa.Column('instalments', sa.Integer(), nullable=False),
    sa.Column('limitation_date', sa.Date(), nullable=True),
    sa.Column('principal_ore', sa.BigInteger(), nullable=False),
    sa.Column('interest_ore', sa.BigInteger(), nullable=False),
    sa.Column('costs_ore', sa.BigInteger(), nullable=False),
    sa.Column('interest_through', sa.Date(), nullable=False),
    sa.Column('recovery_costs_ore', sa.BigInteger(), nullable=False),
    sa.Column('compensation_ore', sa.BigInteger(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['creditor_id'], ['creditors.id'], name=op.f('fk_claims_creditor_id_creditors')),
    sa.ForeignKeyConstraint(['debtor_id'], ['debtors.id'], name=op.f('fk_claims_debtor_id_debtors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claims')),
    sa.UniqueConstraint('creditor_id', 'invoice_number', name='uq_claims_creditor_invoice'),
    sa.UniqueConstraint('ref', name=op.f('uq_claims_ref'))
    )
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claims_debtor_id'), ['debtor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_claims_kid'), ['kid'], unique=False)
        batch_op.create_index('ix_claims_next_action', ['next_action_on'], unique=False)

    op.create_table('settlements',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('creditor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('created_on', sa.Date(), nullable=False),
    sa.Column('commission_pct', sa.String(length=10), nullable=False),
    sa.Column('collected_ore', sa.BigInteger(), nullable=False),
    sa.Column('creditor_share_ore', sa.BigInteger(), nullable=False),
    sa.Column('agency_share_ore', sa.BigInteger(), nullable=False),
    sa.Column('direct_ore', sa.BigInteger(), nullable=False),
    sa.Column('direct_agency_ore', sa.BigInteger(), nullable=False),
    sa.Column('commission_base_ore', sa.BigInteger(), nullable=False),
    sa.Column('commission_ore', sa.BigInteger(), nullable=False),
    sa.Column('payout_ore', sa.BigInteger(), nullable=False),
    sa.Column('agency_transfer_ore', sa.BigInteger(), nullable=False),
    sa.Column('invoice_ore', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['creditor_id'], ['creditors.id'], name=op.f('fk_settlements_creditor_id_creditors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlements')),
    sa.UniqueConstraint('creditor_id', 'period', name='uq_settlements_creditor_period')
    )
    op.create_table('events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('claim_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.Column('actor', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_events_claim_id_claims')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_claim_id'), ['claim_id'], unique=False)

    op.create_table('instalment_kids',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kid', sa.String(length=25), nullable=False),
    sa.Column('claim_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('instalment', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('amount_ore', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_instalment_kids_claim_id_claims')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instalment_kids')),
    sa.UniqueConstraint('kid', name=op.f('uq_instalment_kids_kid'))
    )
    with op.batch_alter_table('instalment_kids', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instalment_kids_claim_id'), ['claim_id'], unique=False)

    op.create_table('letters',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('claim_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('step_key', sa.String(length=60), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('sender', sa.String(length=10), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('fee_ore', sa.BigInteger(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_letters_claim_id_claims')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letters')),
    sa.UniqueConstraint('claim_id', 'step_key', name='uq_letters_claim_step')
    )
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_letters_claim_id'), ['claim_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_letters_sent_on'), ['sent_on'], unique=False)
        batch_op.create_index('ix_letters_status', ['status'], unique=False)

    op.create_table('payments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('file_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('external_id', sa.String(length=120), nullable=True),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('booked_on', sa.Date(), nullable=True),
    sa.Column('amount_ore', sa.BigInteger(), nullable=False),
    sa.Column('kid', sa.String(length=25), nullable=True),
    sa.Column('invoice_number', sa.String(length=50), nullable=True),
    sa.Column('creditor_orgnr', sa.String(length=9), nullable=True),
    sa.Column('payer_name', sa.String(length=200), nullable=True),
    sa.Column('payer_account', sa.String(length=34), nullable=True),
    sa.Column('text', sa.String(length=500), nullable=True),
    sa.Column('claim_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('designation', sa.String(length=30), nullable=True),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_payments_claim_id_claims')),
    sa.ForeignKeyConstraint(['file_id'], ['import_files.id'], name=op.f('fk_payments_file_id_import_files')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('external_id', name=op.f('uq_payments_external_id'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_claim_id'), ['claim_id'], unique=False)

    op.create_table('client_funds',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('amount_ore', sa.BigInteger(), nullable=False),
    sa.Column('file_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('payment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('settlement_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('text', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['import_files.id'], name=op.f('fk_client_funds_file_id_import_files')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_client_funds_payment_id_payments')),
    sa.ForeignKeyConstraint(['settlement_id'], ['settlements.id'], name=op.f('fk_client_funds_settlement_id_settlements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client_funds'))
    )
    with op.batch_alter_table('client_funds', schema=None) as batch_op:
        batch_op.create_index('ix_client_funds_on', ['on'], unique=False)

    op.create_table('letter_deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('letter_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('idempotency_key', sa.String(length=80), nullable=False),
    sa.Column('recipient', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.String(length=120), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('made_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.Column('bounced_at', sa.DateTime(), nullable=True),
    sa.Column('returned_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['letter_id'], ['letters.id'], name=op.f('fk_letter_deliveries_letter_id_letters')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letter_deliveries')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_letter_deliveries_idempotency_key'))
    )
    with op.batch_alter_table('letter_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_letter_deliveries_letter', ['letter_id'], unique=False)
        batch_op.create_index('ix_letter_deliveries_provider', ['provider_id'], unique=False)

    op.create_table('payment_reversals',
    sa.Column('reversal_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('original_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['original_id'], ['payments.id'], name=op.f('fk_payment_reversals_original_id_payments')),
    sa.ForeignKeyConstraint(['reversal_id'], ['payments.id'], name=op.f('fk_payment_reversals_reversal_id_payments')),
    sa.PrimaryKeyConstraint('reversal_id', name=op.f('pk_payment_reversals')),
    sa.UniqueConstraint('original_id', name=op.f('uq_payment_reversals_original_id'))
    )
    op.create_table('payment_suggestions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('payment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('claim_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_payment_suggestions_claim_id_claims')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_payment_suggestions_payment_id_payments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_suggestions')),
    sa.UniqueConstraint('payment_id', 'claim_id', name='uq_payment_suggestions_payment_claim')
    )
    with op.batch_alter_table('payment_suggestions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_suggestions_payment_id'), ['payment_id'], unique=False)

    op.create_table('postings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('claim_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('component', sa.String(length=30), nullable=False),
    sa.Column('amount_ore', sa.BigInteger(), nullable=False),
    sa.Column('rule', sa.String(length=80), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=True),
    sa.Column('payment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('reverses_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_postings_claim_id_claims')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_postings_payment_id_payments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_postings')),
    sa.UniqueConstraint('claim_id', 'key', name='uq_postings_claim_key')
    )
    with op.batch_alter_table('postings', schema=None) as batch_op:
        batch_op.create_index('ix_postings_claim', ['claim_id'], unique=False)
        batch_op.create_index('ix_postings_payment', ['payment_id'], unique=False)

    op.create_table('unmatched_reasons',
    sa.Column('payment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('queued_on', sa.Date(), nullable=False),
    sa.Column('resolved_on', sa.Date(), nullable=True),
    sa.Column('resolution', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_unmatched_reasons_payment_id_payments')),
    sa.PrimaryKeyConstraint('payment_id', name=op.f('pk_unmatched_reasons'))
    )
    op.create_table('settlement_lines',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('settlement_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('posting_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('claim_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('payment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('component', sa.String(length=30), nullable=False),
    sa.Column('owner', sa.String(length=10), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('amount_ore', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_settlement_lines_claim_id_claims')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_settlement_lines_payment_id_payments')),
    sa.ForeignKeyConstraint(['posting_id'], ['postings.id'], name=op.f('fk_settlement_lines_posting_id_postings')),
    sa.ForeignKeyConstraint(['settlement_id'], ['settlements.id'], name=op.f('fk_settlement_lines_settlement_id_settlements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_lines')),
    sa.UniqueConstraint('posting_id', name=op.f('uq_settlement_lines_posting_id'))
    )
    with op.batch_alter_table('settlement_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settlement_lines_settlement_id'), ['settlement_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('settlement_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlement_lines_settlement_id'))

    op.drop_table('settlement_lines')
    op.drop_table('unmatched_reasons')
    with op.batch_alter_table('postings', schema=None) as batch_op:
        batch_op.drop_index('ix_postings_payment')
        batch_op.drop_index('ix_postings_claim')

    op.drop_table('postings')
    with op.batch_alter_table('payment_suggestions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_suggestions_payment_id'))

    op.drop_table('payment_suggestions')
    op.drop_table('payment_reversals')
    with op.batch_alter_table('letter_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_letter_deliveries_provider')
        batch_op.drop_index('ix_letter_deliveries_letter')

    op.drop_table('letter_deliveries')
    with op.batch_alter_table('client_funds', schema=None) as batch_op:
        batch_op.drop_index('ix_client_funds_on')

    op.drop_table('client_funds')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_claim_id'))

    op.drop_table('payments')
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.drop_index('ix_letters_status')
        batch_op.drop_index(batch_op.f('ix_letters_sent_on'))
        batch_op.drop_index(batch_op.f('ix_letters_claim_id'))

    op.drop_table('letters')
    with op.batch_alter_table('instalment_kids', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_instalment_kids_claim_id'))

    op.drop_table('instalment_kids')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_claim_id'))

    op.drop_table('events')
    op.drop_table('settlements')
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index('ix_claims_next_action')
        batch_op.drop_index(batch_op.f('ix_claims_kid'))
        batch_op.drop_index(batch_op.f('ix_claims_debtor_id'))

    op.drop_table('claims')
    op.drop_table('settings')
    op.drop_table('runs')
    op.drop_table('import_files')
    with op.batch_alter_table('debtors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_debtors_national_id'))

    op.drop_table('debtors')
    op.drop_table('creditors')
