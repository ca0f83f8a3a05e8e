"""coordination: case conferences (MARAC), their agenda, attendance and actions.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_conferences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=8), nullable=False),
    sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('held_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_case_conferences_created_by_id_users')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_case_conferences_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_conferences'))
    )
    with op.batch_alter_table('case_conferences', schema=None) as batch_op:
        batch_op.create_index('ix_case_conferences_region_time', ['region_code', 'scheduled_at'], unique=False)

    op.create_table('conference_agenda_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conference_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('case_reference', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_conference_agenda_items_added_by_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_conference_agenda_items_case_id_cases')),
    sa.ForeignKeyConstraint(['conference_id'], ['case_conferences.id'], name=op.f('fk_conference_agenda_items_conference_id_case_conferences')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conference_agenda_items')),
    sa.UniqueConstraint('conference_id', 'case_id', name=op.f('uq_conference_agenda_items_conference_id'))
    )
    with op.batch_alter_table('conference_agenda_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conference_agenda_items_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conference_agenda_items_conference_id'), ['conference_id'], unique=False)

    op.create_table('conference_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conference_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('attended', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_conference_attendance_agency_id_agencies')),
    sa.ForeignKeyConstraint(['conference_id'], ['case_conferences.id'], name=op.f('fk_conference_attendance_conference_id_case_conferences')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conference_attendance')),
    sa.UniqueConstraint('conference_id', 'agency_id', name=op.f('uq_conference_attendance_conference_id'))
    )
    with op.batch_alter_table('conference_attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conference_attendance_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conference_attendance_conference_id'), ['conference_id'], unique=False)

    op.create_table('conference_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conference_id', sa.Integer(), nullable=False),
    sa.Column('agenda_item_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('case_reference', sa.String(length=32), nullable=False),
    sa.Column('region_code', sa.String(length=8), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('owner_user_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_by_id', sa.Integer(), nullable=True),
    sa.Column('due_soon_reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('overdue_reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_conference_actions_agency_id_agencies')),
    sa.ForeignKeyConstraint(['agenda_item_id'], ['conference_agenda_items.id'], name=op.f('fk_conference_actions_agenda_item_id_conference_agenda_items')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_conference_actions_case_id_cases')),
    sa.ForeignKeyConstraint(['completed_by_id'], ['users.id'], name=op.f('fk_conference_actions_completed_by_id_users')),
    sa.ForeignKeyConstraint(['conference_id'], ['case_conferences.id'], name=op.f('fk_conference_actions_conference_id_case_conferences')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_conference_actions_created_by_id_users')),
    sa.ForeignKeyConstraint(['owner_user_id'], ['users.id'], name=op.f('fk_conference_actions_owner_user_id_users')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_conference_actions_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conference_actions'))
    )
    with op.batch_alter_table('conference_actions', schema=None) as batch_op:
        batch_op.create_index('ix_conference_actions_agency_status', ['agency_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_conference_actions_agenda_item_id'), ['agenda_item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conference_actions_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conference_actions_conference_id'), ['conference_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conference_actions_region_code'), ['region_code'], unique=False)
        batch_op.create_index('ix_conference_actions_status_due', ['status', 'due_on'], unique=False)



def downgrade():
    with op.batch_alter_table('conference_actions', schema=None) as batch_op:
        batch_op.drop_index('ix_conference_actions_status_due')
        batch_op.drop_index(batch_op.f('ix_conference_actions_region_code'))
        batch_op.drop_index(batch_op.f('ix_conference_actions_conference_id'))
        batch_op.drop_index(batch_op.f('ix_conference_actions_case_id'))
        batch_op.drop_index(batch_op.f('ix_conference_actions_agenda_item_id'))
        batch_op.drop_index('ix_conference_actions_agency_status')

    op.drop_table('conference_actions')
    with op.batch_alter_table('conference_attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conference_attendance_conference_id'))
        batch_op.drop_index(batch_op.f('ix_conference_attendance_agency_id'))

    op.drop_table('conference_attendance')
    with op.batch_alter_table('conference_agenda_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conference_agenda_items_conference_id'))
        batch_op.drop_index(batch_op.f('ix_conference_agenda_items_case_id'))

    op.drop_table('conference_agenda_items')
    with op.batch_alter_table('case_conferences', schema=None) as batch_op:
        batch_op.drop_index('ix_case_conferences_region_time')

    op.drop_table('case_conferences')
