"""proposals per person: owner, 已整改 date, one link per task and cycle

Revision ID: c3d4e5f6a7b8
Revises: 7c1e5a9b2d40
Create Date: 2026-12-01 20:40:00

"""
from alembic import op
import sqlalchemy as sa
import tracker.models.types


# revision identifiers, used by Alembic.
revision = 'c3d4e5f6a7b8'
down_revision = '7c1e5a9b2d40'
branch_labels = None
depends_on = None


def upgrade():
    # Issue 11.5: one 约谈/通报 proposal per secretary per month, tasks added while it waits.
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('resolved_on', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_proposal_owner_id'), ['owner_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_proposal_owner_id_user_account'), 'user_account',
                                    ['owner_id'], ['id'])

    with op.batch_alter_table('proposal_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_key', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('added_at', tracker.models.types.UTCDateTime(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_proposal_task_link_key'), ['link_key'])


def downgrade():
    with op.batch_alter_table('proposal_task', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_proposal_task_link_key'), type_='unique')
        batch_op.drop_column('added_at')
        batch_op.drop_column('link_key')

    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_proposal_owner_id_user_account'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_proposal_owner_id'))
        batch_op.drop_column('resolved_on')
        batch_op.drop_column('owner_id')
