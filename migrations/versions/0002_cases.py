"""cases: people, incidents, risk assessments, protective measures, notes, timeline, access requests.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('offences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('article', sa.String(length=16), nullable=False),
    sa.Column('title_en', sa.String(length=300), nullable=False),
    sa.Column('title_ru', sa.String(length=300), nullable=False),
    sa.Column('title_kk', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('violence_types', sa.String(length=80), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offences')),
    sa.UniqueConstraint('code', 'article', 'valid_from', name=op.f('uq_offences_code'))
    )
    op.create_table('people',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('surname', sa.String(length=120), nullable=False),
    sa.Column('given_name', sa.String(length=120), nullable=False),
    sa.Column('patronymic', sa.String(length=120), nullable=False),
    sa.Column('name_key', sa.String(length=400), nullable=False),
    sa.Column('sex', sa.String(length=8), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('birth_year_estimate', sa.Integer(), nullable=True),
    sa.Column('iin', sa.String(length=12), nullable=True),
    sa.Column('created_by_agency_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_agency_id'], ['agencies.id'], name=op.f('fk_people_created_by_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_people'))
    )
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_people_birth_date'), ['birth_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_people_iin'), ['iin'], unique=False)
        batch_op.create_index(batch_op.f('ix_people_name_key'), ['name_key'], unique=False)
    op.create_table('case_access_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('from_case_id', sa.Integer(), nullable=True),
    sa.Column('owner_agency_id', sa.Integer(), nullable=False),
    sa.Column('requester_agency_id', sa.Integer(), nullable=False),
    sa.Column('requester_user_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('categories', sa.String(length=120), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_access_requests_case_id_cases')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_case_access_requests_decided_by_id_users')),
    sa.ForeignKeyConstraint(['from_case_id'], ['cases.id'], name=op.f('fk_case_access_requests_from_case_id_cases')),
    sa.ForeignKeyConstraint(['owner_agency_id'], ['agencies.id'], name=op.f('fk_case_access_requests_owner_agency_id_agencies')),
    sa.ForeignKeyConstraint(['requester_agency_id'], ['agencies.id'], name=op.f('fk_case_access_requests_requester_agency_id_agencies')),
    sa.ForeignKeyConstraint(['requester_user_id'], ['users.id'], name=op.f('fk_case_access_requests_requester_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_access_requests'))
    )
    with op.batch_alter_table('case_access_requests', schema=None) as batch_op:
        batch_op.create_index('ix_access_requests_owner_status', ['owner_agency_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_access_requests_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_access_requests_requester_agency_id'), ['requester_agency_id'], unique=False)
    op.create_table('case_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_case_notes_agency_id_agencies')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_case_notes_author_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_notes_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_notes'))
    )
    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_notes_case_id'), ['case_id'], unique=False)
    op.create_table('case_participants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('relationship_to_offender', sa.String(length=24), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('has_disability', sa.Boolean(), nullable=False),
    sa.Column('disability_note', sa.String(length=300), nullable=False),
    sa.Column('is_pregnant', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_case_participants_added_by_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_participants_case_id_cases')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_case_participants_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_participants')),
    sa.UniqueConstraint('case_id', 'person_id', name=op.f('uq_case_participants_case_id'))
    )
    with op.batch_alter_table('case_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_participants_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_participants_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_participants_role'), ['role'], unique=False)
    op.create_table('case_timeline',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('category', sa.String(length=24), nullable=True),
    sa.Column('object_type', sa.String(length=40), nullable=True),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('actor_agency_id', sa.Integer(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_agency_id'], ['agencies.id'], name=op.f('fk_case_timeline_actor_agency_id_agencies')),
    sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_case_timeline_actor_user_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_timeline_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_timeline'))
    )
    with op.batch_alter_table('case_timeline', schema=None) as batch_op:
        batch_op.create_index('ix_case_timeline_case_at', ['case_id', 'at'], unique=False)
    op.create_table('incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('place', sa.String(length=300), nullable=False),
    sa.Column('reported_by', sa.String(length=20), nullable=False),
    sa.Column('survivor_person_id', sa.Integer(), nullable=True),
    sa.Column('offender_person_id', sa.Integer(), nullable=True),
    sa.Column('physical', sa.Boolean(), nullable=False),
    sa.Column('sexual', sa.Boolean(), nullable=False),
    sa.Column('psychological', sa.Boolean(), nullable=False),
    sa.Column('economic', sa.Boolean(), nullable=False),
    sa.Column('penetration', sa.Boolean(), nullable=False),
    sa.Column('forced_marriage', sa.Boolean(), nullable=False),
    sa.Column('gbv_type', sa.String(length=32), nullable=False),
    sa.Column('offence_id', sa.Integer(), nullable=True),
    sa.Column('injuries', sa.Text(), nullable=False),
    sa.Column('weapon', sa.String(length=20), nullable=False),
    sa.Column('children_present', sa.Boolean(), nullable=False),
    sa.Column('children_witnessed', sa.Boolean(), nullable=False),
    sa.Column('police_record_number', sa.String(length=60), nullable=False),
    sa.Column('female_investigator_requested', sa.Boolean(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('is_repeat', sa.Boolean(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_by_agency_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_incidents_case_id_cases')),
    sa.ForeignKeyConstraint(['offence_id'], ['offences.id'], name=op.f('fk_incidents_offence_id_offences')),
    sa.ForeignKeyConstraint(['offender_person_id'], ['people.id'], name=op.f('fk_incidents_offender_person_id_people')),
    sa.ForeignKeyConstraint(['recorded_by_agency_id'], ['agencies.id'], name=op.f('fk_incidents_recorded_by_agency_id_agencies')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_incidents_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['survivor_person_id'], ['people.id'], name=op.f('fk_incidents_survivor_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents'))
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incidents_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_occurred_at'), ['occurred_at'], unique=False)
        batch_op.create_index('ix_incidents_offender_when', ['offender_person_id', 'occurred_at'], unique=False)
        batch_op.create_index('ix_incidents_survivor_when', ['survivor_person_id', 'occurred_at'], unique=False)
    op.create_table('case_note_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('replaced_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_note_revisions_case_id_cases')),
    sa.ForeignKeyConstraint(['note_id'], ['case_notes.id'], name=op.f('fk_case_note_revisions_note_id_case_notes')),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['users.id'], name=op.f('fk_case_note_revisions_replaced_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_note_revisions'))
    )
    with op.batch_alter_table('case_note_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_note_revisions_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_note_revisions_note_id'), ['note_id'], unique=False)
    op.create_table('protective_measures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('measure_type', sa.String(length=40), nullable=False),
    sa.Column('legal_basis', sa.String(length=300), nullable=False),
    sa.Column('against_participant_id', sa.Integer(), nullable=True),
    sa.Column('issuing_agency_id', sa.Integer(), nullable=True),
    sa.Column('issuing_body', sa.String(length=200), nullable=False),
    sa.Column('document_number', sa.String(length=60), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('conditions', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('revoked_reason', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['against_participant_id'], ['case_participants.id'], name=op.f('fk_protective_measures_against_participant_id_case_participants')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_protective_measures_case_id_cases')),
    sa.ForeignKeyConstraint(['issuing_agency_id'], ['agencies.id'], name=op.f('fk_protective_measures_issuing_agency_id_agencies')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_protective_measures_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_protective_measures'))
    )
    with op.batch_alter_table('protective_measures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_protective_measures_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_protective_measures_ends_on'), ['ends_on'], unique=False)
    op.create_table('risk_assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('survivor_participant_id', sa.Integer(), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('unknown_count', sa.Integer(), nullable=False),
    sa.Column('computed_level', sa.String(length=16), nullable=False),
    sa.Column('override_level', sa.String(length=16), nullable=True),
    sa.Column('override_reason', sa.Text(), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('medium_from', sa.Integer(), nullable=False),
    sa.Column('high_from', sa.Integer(), nullable=False),
    sa.Column('assessed_by_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('assessed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_risk_assessments_agency_id_agencies')),
    sa.ForeignKeyConstraint(['assessed_by_id'], ['users.id'], name=op.f('fk_risk_assessments_assessed_by_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_risk_assessments_case_id_cases')),
    sa.ForeignKeyConstraint(['survivor_participant_id'], ['case_participants.id'], name=op.f('fk_risk_assessments_survivor_participant_id_case_participants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_assessments'))
    )
    with op.batch_alter_table('risk_assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_assessments_assessed_at'), ['assessed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_assessments_case_id'), ['case_id'], unique=False)
    op.create_table('safe_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('safe_phone', sa.String(length=40), nullable=False),
    sa.Column('safe_times', sa.String(length=200), nullable=False),
    sa.Column('do_not_contact', sa.Boolean(), nullable=False),
    sa.Column('code_word', sa.String(length=80), nullable=False),
    sa.Column('instructions', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_safe_contacts_case_id_cases')),
    sa.ForeignKeyConstraint(['participant_id'], ['case_participants.id'], name=op.f('fk_safe_contacts_participant_id_case_participants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safe_contacts')),
    sa.UniqueConstraint('participant_id', name=op.f('uq_safe_contacts_participant_id'))
    )
    with op.batch_alter_table('safe_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_safe_contacts_case_id'), ['case_id'], unique=False)
    op.create_table('measure_breaches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('measure_id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_measure_breaches_case_id_cases')),
    sa.ForeignKeyConstraint(['measure_id'], ['protective_measures.id'], name=op.f('fk_measure_breaches_measure_id_protective_measures')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_measure_breaches_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measure_breaches'))
    )
    with op.batch_alter_table('measure_breaches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measure_breaches_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_measure_breaches_measure_id'), ['measure_id'], unique=False)
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('creation_token', sa.String(length=36), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_cases_creation_token'), ['creation_token'])
    _seed_offences()


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_cases_creation_token'), type_='unique')
        batch_op.drop_column('creation_token')
    with op.batch_alter_table('measure_breaches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measure_breaches_measure_id'))
        batch_op.drop_index(batch_op.f('ix_measure_breaches_case_id'))
    op.drop_table('measure_breaches')
    with op.batch_alter_table('safe_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_safe_contacts_case_id'))
    op.drop_table('safe_contacts')
    with op.batch_alter_table('risk_assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_assessments_case_id'))
        batch_op.drop_index(batch_op.f('ix_risk_assessments_assessed_at'))
    op.drop_table('risk_assessments')
    with op.batch_alter_table('protective_measures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_protective_measures_ends_on'))
        batch_op.drop_index(batch_op.f('ix_protective_measures_case_id'))
    op.drop_table('protective_measures')
    with op.batch_alter_table('case_note_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_note_revisions_note_id'))
        batch_op.drop_index(batch_op.f('ix_case_note_revisions_case_id'))
    op.drop_table('case_note_revisions')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_incidents_survivor_when')
        batch_op.drop_index('ix_incidents_offender_when')
        batch_op.drop_index(batch_op.f('ix_incidents_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_incidents_case_id'))
    op.drop_table('incidents')
    with op.batch_alter_table('case_timeline', schema=None) as batch_op:
        batch_op.drop_index('ix_case_timeline_case_at')
    op.drop_table('case_timeline')
    with op.batch_alter_table('case_participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_participants_role'))
        batch_op.drop_index(batch_op.f('ix_case_participants_person_id'))
        batch_op.drop_index(batch_op.f('ix_case_participants_case_id'))
    op.drop_table('case_participants')
    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_notes_case_id'))
    op.drop_table('case_notes')
    with op.batch_alter_table('case_access_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_access_requests_requester_agency_id'))
        batch_op.drop_index(batch_op.f('ix_case_access_requests_case_id'))
        batch_op.drop_index('ix_access_requests_owner_status')
    op.drop_table('case_access_requests')
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_people_name_key'))
        batch_op.drop_index(batch_op.f('ix_people_iin'))
        batch_op.drop_index(batch_op.f('ix_people_birth_date'))
    op.drop_table('people')
    op.drop_table('offences')


def _seed_offences():
    """The reference table of offences ships with the schema (data: referral/data/offences.json)."""
    import json
    from datetime import date

    from referral.paths import PACKAGE_DIR  # the package's data, in the repo or a wheel

    path = PACKAGE_DIR / "data" / "offences.json"
    rows = json.loads(path.read_text(encoding="utf-8"))["offences"]
    table = sa.table(
        "offences", sa.column("code"), sa.column("article"), sa.column("title_en"),
        sa.column("title_ru"), sa.column("title_kk"), sa.column("kind"),
        sa.column("violence_types"), sa.column("valid_from", sa.Date),
        sa.column("valid_until", sa.Date),
    )
    op.bulk_insert(table, [
        {**{k: r[k] for k in ("code", "article", "title_en", "title_ru", "title_kk", "kind",
                              "violence_types")},
         "valid_from": date.fromisoformat(r["valid_from"]) if r["valid_from"] else None,
         "valid_until": date.fromisoformat(r["valid_until"]) if r["valid_until"] else None}
        for r in rows
    ])
