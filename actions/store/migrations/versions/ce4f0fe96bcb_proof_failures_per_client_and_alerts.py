"""proof failures per conversation and client, proof alerts

Revision ID: ce4f0fe96bcb
Revises: 31837c9fd9a8
Create Date: 2026-12-02 14:15:12.086432
"""
from alembic import op
import sqlalchemy as sa


revision = 'ce4f0fe96bcb'
down_revision = '31837c9fd9a8'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Failures from before this revision have no conversation or client: they only count for alerts.
    op.create_table('proof_alerts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('order_no', sa.String(length=16), nullable=False),
    sa.Column('window_no', sa.Integer(), nullable=False),
    sa.Column('raised_at', sa.DateTime(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('clients', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('order_no', 'window_no')
    )
    with op.batch_alter_table('failed_proofs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('conversation_id', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('client', sa.String(length=128), nullable=True))
        batch_op.create_index(batch_op.f('ix_failed_proofs_conversation_id'), ['conversation_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('failed_proofs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_failed_proofs_conversation_id'))
        batch_op.drop_column('client')
        batch_op.drop_column('conversation_id')

    op.drop_table('proof_alerts')
