"""maintained per-unit task counts, read by the 工作台

Revision ID: e5f6a7b8c9d0
Revises: d4e5f6a7b8c9
Create Date: 2026-12-02 01:00:00

The counts are filled from the tasks in place, then the triggers keep them (tracker/models/aggregates.py
explains why triggers). `tracker check-aggregates` compares them with the tasks at any time.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5f6a7b8c9d0'
down_revision = 'd4e5f6a7b8c9'
branch_labels = None
depends_on = None


def upgrade():
    from tracker.models.aggregates import CLOSURE_KEY, COUNT_KEY, trigger_ddl
    from tracker.services.aggregates import closure_rows_sql, count_rows_sql

    op.create_table(
        'unit_task_count',
        sa.Column('grain', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('unit_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('review_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('level', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('stage', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('deadline', sa.Date(), nullable=False),
        sa.Column('ongoing', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('grain', 'unit_id', 'review_id', 'status', 'level', 'stage', 'deadline',
                                'ongoing'),
    )
    op.create_index('ix_unit_task_count_zero', 'unit_task_count', ['n'], unique=False,
                    postgresql_where=sa.text('n = 0'), sqlite_where=sa.text('n = 0'))
    op.create_table(
        'unit_closure_count',
        sa.Column('unit_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('review_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('closed_on', sa.Date(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('unit_id', 'review_id', 'closed_on'),
    )
    op.create_index('ix_unit_closure_count_zero', 'unit_closure_count', ['n'], unique=False,
                    postgresql_where=sa.text('n = 0'), sqlite_where=sa.text('n = 0'))
    op.create_index('ix_task_ledger_order', 'task', [sa.text('review_id DESC'), 'ledger_position', 'id'],
                    unique=False)
    bind = op.get_bind()
    dialect = bind.dialect.name
    # Raw driver SQL: the keys' string literals hold ':' that text() would read as bind parameters.
    bind.exec_driver_sql(f"INSERT INTO unit_task_count ({', '.join(COUNT_KEY)}, n) {count_rows_sql(dialect)}")
    bind.exec_driver_sql(f"INSERT INTO unit_closure_count ({', '.join(CLOSURE_KEY)}, n) {closure_rows_sql(dialect)}")
    for statement in trigger_ddl(dialect):
        bind.exec_driver_sql(statement)


def downgrade():
    from tracker.models.aggregates import drop_trigger_ddl

    bind = op.get_bind()
    for statement in drop_trigger_ddl(bind.dialect.name):
        bind.exec_driver_sql(statement)
    op.drop_index('ix_task_ledger_order', table_name='task')
    op.drop_index('ix_unit_closure_count_zero', table_name='unit_closure_count')
    op.drop_table('unit_closure_count')
    op.drop_index('ix_unit_task_count_zero', table_name='unit_task_count')
    op.drop_table('unit_task_count')
