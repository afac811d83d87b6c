"""explanation requests; what a decision tells the person concerned

Revision ID: b7e1c2d3a4f5
Revises: 41a64038e59e
Create Date: 2026-12-01 20:45:00

"""
from alembic import op
import sqlalchemy as sa
import tracker.models.types


# revision identifiers, used by Alembic.
revision = 'b7e1c2d3a4f5'
down_revision = '41a64038e59e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('explanation_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', tracker.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_explanation_request_proposal_id_proposal')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'], name=op.f('fk_explanation_request_requested_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_explanation_request'))
    )
    with op.batch_alter_table('explanation_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_explanation_request_proposal_id'), ['proposal_id'], unique=False)
    with op.batch_alter_table('proposal_decision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_notice', sa.Text(), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('proposal_decision', schema=None) as batch_op:
        batch_op.drop_column('owner_notice')
    with op.batch_alter_table('explanation_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_explanation_request_proposal_id'))
    op.drop_table('explanation_request')
