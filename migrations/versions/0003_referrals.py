"""referrals: referrals, their consent records and history, and agencies' shelter places in use.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('agency_capacity',
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('places_in_use', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_agency_capacity_agency_id_agencies')),
    sa.PrimaryKeyConstraint('agency_id', name=op.f('pk_agency_capacity'))
    )
    op.create_table('referrals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=24), nullable=True),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('sender_agency_id', sa.Integer(), nullable=False),
    sa.Column('sender_user_id', sa.Integer(), nullable=False),
    sa.Column('receiver_agency_id', sa.Integer(), nullable=False),
    sa.Column('assignee_user_id', sa.Integer(), nullable=True),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.Column('service_code', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=16), nullable=False),
    sa.Column('subject_participant_id', sa.Integer(), nullable=True),
    sa.Column('urgency', sa.String(length=16), nullable=False),
    sa.Column('risk_level', sa.String(length=16), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('need_to_know', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_progress_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('review_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decline_reason', sa.String(length=32), nullable=True),
    sa.Column('decline_text', sa.Text(), nullable=False),
    sa.Column('status_reason', sa.String(length=32), nullable=True),
    sa.Column('status_text', sa.Text(), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=True),
    sa.Column('outcome_text', sa.Text(), nullable=False),
    sa.Column('holds_place', sa.Boolean(), nullable=False),
    sa.Column('overflow_reason', sa.Text(), nullable=False),
    sa.Column('programme_enrolled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sessions_attended', sa.Integer(), nullable=False),
    sa.Column('sessions_missed', sa.Integer(), nullable=False),
    sa.Column('previous_referral_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['users.id'], name=op.f('fk_referrals_accepted_by_id_users')),
    sa.ForeignKeyConstraint(['assignee_user_id'], ['users.id'], name=op.f('fk_referrals_assignee_user_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_referrals_case_id_cases')),
    sa.ForeignKeyConstraint(['previous_referral_id'], ['referrals.id'], name=op.f('fk_referrals_previous_referral_id_referrals')),
    sa.ForeignKeyConstraint(['receiver_agency_id'], ['agencies.id'], name=op.f('fk_referrals_receiver_agency_id_agencies')),
    sa.ForeignKeyConstraint(['sender_agency_id'], ['agencies.id'], name=op.f('fk_referrals_sender_agency_id_agencies')),
    sa.ForeignKeyConstraint(['sender_user_id'], ['users.id'], name=op.f('fk_referrals_sender_user_id_users')),
    sa.ForeignKeyConstraint(['subject_participant_id'], ['case_participants.id'], name=op.f('fk_referrals_subject_participant_id_case_participants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals')),
    sa.UniqueConstraint('reference', name=op.f('uq_referrals_reference')),
    sa.UniqueConstraint('sender_user_id', 'idempotency_key', name='uq_referrals_idempotency')
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referrals_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_referrals_inbox', ['receiver_agency_id', 'status', 'deadline_at'], unique=False)
        batch_op.create_index('ix_referrals_outbox', ['sender_agency_id', 'status'], unique=False)
        batch_op.create_index('ix_referrals_status_deadline', ['status', 'deadline_at'], unique=False)

    op.create_table('referral_consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('consented', sa.Boolean(), nullable=False),
    sa.Column('shared_with_agency_id', sa.Integer(), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('legal_ground', sa.String(length=32), nullable=True),
    sa.Column('legal_ground_text', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_referral_consents_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_consents_referral_id_referrals')),
    sa.ForeignKeyConstraint(['shared_with_agency_id'], ['agencies.id'], name=op.f('fk_referral_consents_shared_with_agency_id_agencies')),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['users.id'], name=op.f('fk_referral_consents_withdrawn_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_consents')),
    sa.UniqueConstraint('referral_id', name=op.f('uq_referral_consents_referral_id'))
    )
    op.create_table('referral_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=True),
    sa.Column('reason_code', sa.String(length=32), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('actor_agency_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_agency_id'], ['agencies.id'], name=op.f('fk_referral_history_actor_agency_id_agencies')),
    sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_referral_history_actor_user_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_referral_history_case_id_cases')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_history_referral_id_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_history'))
    )
    with op.batch_alter_table('referral_history', schema=None) as batch_op:
        batch_op.create_index('ix_referral_history_case', ['case_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_history_referral_id'), ['referral_id'], unique=False)



def downgrade():
    with op.batch_alter_table('referral_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_history_referral_id'))
        batch_op.drop_index('ix_referral_history_case')

    op.drop_table('referral_history')
    op.drop_table('referral_consents')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_referrals_status_deadline')
        batch_op.drop_index('ix_referrals_outbox')
        batch_op.drop_index('ix_referrals_inbox')
        batch_op.drop_index(batch_op.f('ix_referrals_case_id'))

    op.drop_table('referrals')
    op.drop_table('agency_capacity')
