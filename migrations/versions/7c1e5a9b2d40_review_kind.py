"""review.kind: 述职评议, or 巡察/审计/其他 for a 问题清单 imported from a workbook

Revision ID: 7c1e5a9b2d40
Revises: b7e1c2d3a4f5
Create Date: 2026-12-01 20:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '7c1e5a9b2d40'
down_revision = 'b7e1c2d3a4f5'
branch_labels = None
depends_on = None


def upgrade():
    # Issue 8: reviews already imported are all 述职评议 transcripts.
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=10), server_default='述职评议', nullable=False))


def downgrade():
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.drop_column('kind')
