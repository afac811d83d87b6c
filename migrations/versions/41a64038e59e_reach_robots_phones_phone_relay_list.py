"""reach: robots, phones, phone relay list

Revision ID: 41a64038e59e
Revises: f0b2504fa27b
Create Date: 2026-12-01 20:26:25.154267

"""
from alembic import op
import sqlalchemy as sa
import tracker.models.types


# revision identifiers, used by Alembic.
revision = '41a64038e59e'
down_revision = 'f0b2504fa27b'
branch_labels = None
depends_on = None


def upgrade():
    # Issue 9: every notice reaches a person (robots, phones, last login, the 待电话转达 list).
    op.create_table('phone_relay',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('reason', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', tracker.models.types.UTCDateTime(), nullable=False),
    sa.Column('called_at', tracker.models.types.UTCDateTime(), nullable=True),
    sa.Column('called_by_id', sa.Integer(), nullable=True),
    sa.Column('call_note', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['called_by_id'], ['user_account.id'], name=op.f('fk_phone_relay_called_by_id_user_account')),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_phone_relay_task_id_task')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_phone_relay_unit_id_unit')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_phone_relay_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_relay')),
    sa.UniqueConstraint('user_id', 'key', name='uq_phone_relay_user_key')
    )
    with op.batch_alter_table('phone_relay', schema=None) as batch_op:
        batch_op.create_index('ix_phone_relay_called_created', ['called_at', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_phone_relay_task_id'), ['task_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_phone_relay_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reach', sa.String(length=100), nullable=True))

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=10), server_default='email', nullable=False))

    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('robot_kind', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('robot_url', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('robot_secret', sa.String(length=200), nullable=True))

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('last_login_at', tracker.models.types.UTCDateTime(), nullable=True))

    # ### end Alembic commands ###


def downgrade():
    # Issue 9: every notice reaches a person (robots, phones, last login, the 待电话转达 list).
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('last_login_at')
        batch_op.drop_column('phone')

    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_column('robot_secret')
        batch_op.drop_column('robot_url')
        batch_op.drop_column('robot_kind')

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('channel')

    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_column('reach')

    with op.batch_alter_table('phone_relay', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_phone_relay_user_id'))
        batch_op.drop_index(batch_op.f('ix_phone_relay_task_id'))
        batch_op.drop_index('ix_phone_relay_called_created')

    op.drop_table('phone_relay')
    # ### end Alembic commands ###
