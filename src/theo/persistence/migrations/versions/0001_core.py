"""Core tables: instruments, ticks, bars, quarantine, settings, audit log.

On PostgreSQL the time-series extras follow (BRIN on plain PostgreSQL; hypertable, continuous aggregates,
compression and retention with TimescaleDB): see ``theo.persistence.postgres``.

Revision ID: 0001_core
Revises: (none)
Create Date: 2026-11-24 11:07:12.438447
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from theo.persistence import postgres
from theo.persistence.types import UTCDateTime

revision = '0001_core'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('ts', UTCDateTime(), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=100), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_ts', ['ts'], unique=False)

    op.create_table('bars',
    sa.Column('symbol', sa.String(length=32), nullable=False),
    sa.Column('timeframe', sa.String(length=8), nullable=False),
    sa.Column('start', UTCDateTime(), nullable=False),
    sa.Column('end', UTCDateTime(), nullable=False),
    sa.Column('open', sa.Float(), nullable=False),
    sa.Column('high', sa.Float(), nullable=False),
    sa.Column('low', sa.Float(), nullable=False),
    sa.Column('close', sa.Float(), nullable=False),
    sa.Column('volume', sa.Float(), nullable=False),
    sa.Column('tick_count', sa.Integer(), nullable=False),
    sa.Column('session', sa.String(length=8), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('flags', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('symbol', 'timeframe', 'start', name=op.f('pk_bars'))
    )
    with op.batch_alter_table('bars', schema=None) as batch_op:
        batch_op.create_index('ix_bars_timeframe_start', ['timeframe', 'start'], unique=False)

    op.create_table('instruments',
    sa.Column('symbol', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('exchange', sa.String(length=16), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('tick_size', sa.Numeric(precision=18, scale=8), nullable=False),
    sa.Column('multiplier', sa.Numeric(precision=18, scale=8), nullable=False),
    sa.Column('contract_size', sa.Integer(), nullable=False),
    sa.Column('calendar', sa.String(length=16), nullable=False),
    sa.Column('expiry', sa.Date(), nullable=True),
    sa.Column('underlying', sa.String(length=32), nullable=True),
    sa.Column('strike', sa.Numeric(precision=18, scale=8), nullable=True),
    sa.Column('option_right', sa.String(length=4), nullable=True),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('symbol', name=op.f('pk_instruments'))
    )
    op.create_table('quarantine',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=500), nullable=False),
    sa.Column('symbol', sa.String(length=32), nullable=True),
    sa.Column('line', sa.Integer(), nullable=True),
    sa.Column('column', sa.String(length=64), nullable=True),
    sa.Column('value', sa.Text(), nullable=True),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('ts', UTCDateTime(), nullable=True),
    sa.Column('raw', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quarantine'))
    )
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.create_index('ix_quarantine_reason', ['reason'], unique=False)
        batch_op.create_index('ix_quarantine_source', ['source'], unique=False)

    op.create_table('settings',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_settings'))
    )
    op.create_table('ticks',
    sa.Column('symbol', sa.String(length=32), nullable=False),
    sa.Column('ts', UTCDateTime(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('price', sa.Float(), nullable=False),
    sa.Column('size', sa.Float(), nullable=False),
    sa.Column('exchange', sa.String(length=8), nullable=False),
    sa.Column('condition', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('received', UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('symbol', 'ts', 'seq', name=op.f('pk_ticks'))
    )
    with op.batch_alter_table('ticks', schema=None) as batch_op:
        batch_op.create_index('ix_ticks_ts', ['ts'], unique=False)
    postgres.upgrade_core(op)


def downgrade() -> None:
    postgres.downgrade_core(op)
    with op.batch_alter_table('ticks', schema=None) as batch_op:
        batch_op.drop_index('ix_ticks_ts')

    op.drop_table('ticks')
    op.drop_table('settings')
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.drop_index('ix_quarantine_source')
        batch_op.drop_index('ix_quarantine_reason')

    op.drop_table('quarantine')
    op.drop_table('instruments')
    with op.batch_alter_table('bars', schema=None) as batch_op:
        batch_op.drop_index('ix_bars_timeframe_start')

    op.drop_table('bars')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_ts')

    op.drop_table('audit_log')
