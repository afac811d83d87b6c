"""counties as tenants: the organization tree (省/市/县 组织部), units, reviews and accounts under a county

Revision ID: d4e5f6a7b8c9
Revises: c3d4e5f6a7b8
Create Date: 2026-12-02 01:00:00

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
import tracker.models.types


# revision identifiers, used by Alembic.
revision = 'd4e5f6a7b8c9'
down_revision = 'c3d4e5f6a7b8'
branch_labels = None
depends_on = None

DEFAULT_COUNTY_NAME = "本县"  # tracker.models.tenants.DEFAULT_COUNTY_NAME at the time of writing


def upgrade():
    organization = op.create_table(
        'organization',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('level', sa.String(length=4), nullable=False),
        sa.Column('parent_id', sa.Integer(), nullable=True),
        sa.Column('is_default', sa.Boolean(), nullable=False),
        sa.Column('created_at', tracker.models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['parent_id'], ['organization.id'],
                                name=op.f('fk_organization_parent_id_organization')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organization')),
    )
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organization_parent_id'), ['parent_id'], unique=False)

    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table, column in (('unit', 'county_id'), ('review', 'county_id'), ('task', 'county_id'),
                          ('user_account', 'organization_id')):
        fk = f'fk_{table}_{column}_organization'
        if sqlite:
            # A batch (copy and drop) of unit or task fails on a database with rows once foreign keys are on:
            # SQLite adds a nullable column with its named REFERENCES in place instead.
            op.execute(f'ALTER TABLE {table} ADD COLUMN {column} INTEGER CONSTRAINT {fk} '
                       f'REFERENCES organization (id)')
        else:
            op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
            op.create_foreign_key(op.f(fk), table, 'organization', [column], ['id'])
        if table != 'task':
            op.create_index(op.f(f'ix_{table}_{column}'), table, [column], unique=False)
        else:
            op.create_index('ix_task_county_status', 'task', ['county_id', 'status'], unique=False)

    # A county install stays one county: every existing row, and every 组织部/纪委 account, belongs to it.
    op.bulk_insert(organization, [{'id': 1, 'name': DEFAULT_COUNTY_NAME, 'level': '县', 'parent_id': None,
                                   'is_default': True, 'created_at': datetime.now(timezone.utc)}])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("SELECT setval(pg_get_serial_sequence('organization', 'id'), 1)")
    op.execute("UPDATE unit SET county_id = 1")
    op.execute("UPDATE review SET county_id = 1")
    op.execute("UPDATE task SET county_id = 1")
    op.execute("UPDATE user_account SET organization_id = 1 WHERE role IN ('org_dept', 'discipline')")


def downgrade():
    for table, column in (('user_account', 'organization_id'), ('task', 'county_id'), ('review', 'county_id'),
                          ('unit', 'county_id')):
        with op.batch_alter_table(table, schema=None) as batch_op:
            if op.get_bind().dialect.name != 'sqlite':  # SQLite: the inline REFERENCES goes with the column
                batch_op.drop_constraint(batch_op.f(f'fk_{table}_{column}_organization'), type_='foreignkey')
            if table != 'task':
                batch_op.drop_index(batch_op.f(f'ix_{table}_{column}'))
            else:
                batch_op.drop_index('ix_task_county_status')
            batch_op.drop_column(column)

    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organization_parent_id'))
    op.drop_table('organization')
