"""a unit's open tasks by deadline, for the scan's unit proposals

Revision ID: f6a7b8c9d0e1
Revises: e5f6a7b8c9d0
Create Date: 2026-12-02 06:00:00

tracker/escalation/unit_check.py lists each proposed unit's 200 most overdue open tasks; at 10^6 tasks
numbering every overdue task of the units read 266,000 rows, this partial index lets it stop at 200.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f6a7b8c9d0e1'
down_revision = 'e5f6a7b8c9d0'
branch_labels = None
depends_on = None


def upgrade():
    from tracker.models.task import OPEN_STATUS_SQL

    op.create_index('ix_task_unit_open_deadline', 'task', ['unit_id', 'deadline', 'id'], unique=False,
                    postgresql_where=sa.text(OPEN_STATUS_SQL), sqlite_where=sa.text(OPEN_STATUS_SQL))


def downgrade():
    op.drop_index('ix_task_unit_open_deadline', table_name='task')
