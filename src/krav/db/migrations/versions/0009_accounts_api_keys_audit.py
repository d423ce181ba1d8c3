"""People, sessions, one-time links, API keys, the login throttle, account e-mails and the
append-only audit trail (with its triggers)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 15:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

from krav.audit.tables import trigger_statements


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        'users',
        sa.Column('id', Id, nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('creditor_id', Id, nullable=True),
        sa.Column('password_hash', sa.String(length=200), nullable=True),
        sa.Column('language', sa.String(length=2), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('disabled_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['creditor_id'], ['creditors.id'],
                                name=op.f('fk_users_creditor_id_creditors')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
        sa.UniqueConstraint('email', name=op.f('uq_users_email')),
    )
    op.create_table(
        'user_tokens',
        sa.Column('id', Id, nullable=False),
        sa.Column('user_id', Id, nullable=False),
        sa.Column('purpose', sa.String(length=12), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_user_tokens_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_tokens')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_user_tokens_token_hash')),
    )
    op.create_index(op.f('ix_user_tokens_user_id'), 'user_tokens', ['user_id'])
    op.create_table(
        'sessions',
        sa.Column('id', Id, nullable=False),
        sa.Column('user_id', Id, nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.Column('client', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_sessions_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sessions')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_sessions_token_hash')),
    )
    op.create_index(op.f('ix_sessions_user_id'), 'sessions', ['user_id'])
    op.create_table(
        'login_failures',
        sa.Column('key', sa.String(length=300), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_failure_at', sa.DateTime(), nullable=False),
        sa.Column('locked_until', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_login_failures')),
    )
    op.create_table(
        'api_keys',
        sa.Column('id', Id, nullable=False),
        sa.Column('creditor_id', Id, nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('prefix', sa.String(length=20), nullable=False),
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=200), nullable=False),
        sa.Column('last_used_at', sa.DateTime(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['creditor_id'], ['creditors.id'],
                                name=op.f('fk_api_keys_creditor_id_creditors')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
        sa.UniqueConstraint('key_hash', name=op.f('uq_api_keys_key_hash')),
        sa.UniqueConstraint('prefix', name=op.f('uq_api_keys_prefix')),
    )
    op.create_index(op.f('ix_api_keys_creditor_id'), 'api_keys', ['creditor_id'])
    op.create_table(
        'account_mail',
        sa.Column('id', Id, nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('recipient', sa.String(length=254), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_account_mail')),
    )
    op.create_index('ix_account_mail_status', 'account_mail', ['status'])
    op.create_table(
        'audit',
        sa.Column('id', Id, nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('actor', sa.String(length=300), nullable=False),
        sa.Column('action', sa.String(length=60), nullable=False),
        sa.Column('creditor_id', Id, nullable=True),
        sa.Column('claim_id', Id, nullable=True),
        sa.Column('request_id', sa.String(length=64), nullable=True),
        sa.Column('details', sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit')),
    )
    op.create_index('ix_audit_claim', 'audit', ['claim_id'])
    op.create_index('ix_audit_creditor', 'audit', ['creditor_id'])
    for statement in trigger_statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table('audit')  # its triggers go with it
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS krav_audit_append_only()')
    op.drop_index('ix_account_mail_status', table_name='account_mail')
    op.drop_table('account_mail')
    op.drop_index(op.f('ix_api_keys_creditor_id'), table_name='api_keys')
    op.drop_table('api_keys')
    op.drop_table('login_failures')
    op.drop_index(op.f('ix_sessions_user_id'), table_name='sessions')
    op.drop_table('sessions')
    op.drop_index(op.f('ix_user_tokens_user_id'), table_name='user_tokens')
    op.drop_table('user_tokens')
    op.drop_table('users')
