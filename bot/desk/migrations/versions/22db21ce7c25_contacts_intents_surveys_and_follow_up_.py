"""contacts, intents, surveys and follow-up e-mails

Revision ID: 22db21ce7c25
Revises: 1be22cd1a52b
Create Date: 2026-11-30 05:15:25.673253
"""
from alembic import op
import sqlalchemy as sa


revision = '22db21ce7c25'
down_revision = '1be22cd1a52b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('email_optouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email')
    )
    op.create_table('email_sends',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('order_no', sa.String(length=16), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('order_score', sa.Integer(), nullable=True),
    sa.Column('service_score', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'order_no', name='uq_email_sends_kind_order')
    )
    op.create_table('contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('last_message_at', sa.DateTime(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.String(length=80), nullable=True),
    sa.Column('answered', sa.Boolean(), nullable=False),
    sa.Column('order_no', sa.String(length=16), nullable=True),
    sa.Column('csat_asked_at', sa.DateTime(), nullable=True),
    sa.Column('nps_asked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index('ix_contacts_conversation', ['conversation_id'], unique=False)
        batch_op.create_index('ix_contacts_started', ['started_at'], unique=False)

    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_id', sa.Integer(), nullable=True))

    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_handoffs_contact', 'contacts', ['contact_id'], ['id'])

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('intent', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('understood', sa.Boolean(), nullable=True))
        batch_op.create_index('ix_messages_contact', ['contact_id'], unique=False)
        batch_op.create_foreign_key('fk_messages_contact', 'contacts', ['contact_id'], ['id'])

    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('customer_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))
        batch_op.create_index('ix_ratings_created', ['created_at'], unique=False)
        batch_op.create_index('ix_ratings_customer', ['customer_id', 'kind'], unique=False)
        batch_op.create_foreign_key('fk_ratings_contact', 'contacts', ['contact_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.drop_constraint('fk_ratings_contact', type_='foreignkey')
        batch_op.drop_index('ix_ratings_customer')
        batch_op.drop_index('ix_ratings_created')
        batch_op.drop_column('language')
        batch_op.drop_column('customer_id')
        batch_op.drop_column('contact_id')

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint('fk_messages_contact', type_='foreignkey')
        batch_op.drop_index('ix_messages_contact')
        batch_op.drop_column('understood')
        batch_op.drop_column('intent')
        batch_op.drop_column('contact_id')

    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.drop_constraint('fk_handoffs_contact', type_='foreignkey')
        batch_op.drop_column('contact_id')

    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_column('contact_id')

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_contacts_started')
        batch_op.drop_index('ix_contacts_conversation')

    op.drop_table('contacts')
    op.drop_table('email_sends')
    op.drop_table('email_optouts')
