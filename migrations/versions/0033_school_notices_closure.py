"""school notices after incidents with children; the safe-closure checklist and sign-off.

- ``school_contacts``: a school's designated safeguarding contact (one per education agency).
- ``child_schools``: which school a child of a case attends.
- ``school_notices``: what a school is told after an incident, its deadline and its answer.
- ``closure_checklists``: a case's closure checklist and its manager's sign-off.

Revision ID: 0033
Revises: 0032
"""

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

_SENT = "status = 'sent'"


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"],
                                   name=op.f(f"fk_{table}_{column}_{target}"))


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "school_contacts",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("chosen_by_id", sa.Integer(), nullable=False),
        _when("chosen_at"),
        _fk("school_contacts", "agency_id", "agencies"),
        _fk("school_contacts", "user_id", "users"),
        _fk("school_contacts", "chosen_by_id", "users"),
        sa.PrimaryKeyConstraint("agency_id", name=op.f("pk_school_contacts")),
    )
    op.create_index(op.f("ix_school_contacts_user_id"), "school_contacts", ["user_id"])
    op.create_table(
        "child_schools",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("school_agency_id", sa.Integer(), nullable=False),
        sa.Column("linked_by_id", sa.Integer(), nullable=False),
        _when("linked_at"),
        _fk("child_schools", "case_id", "cases"),
        _fk("child_schools", "participant_id", "case_participants"),
        _fk("child_schools", "school_agency_id", "agencies"),
        _fk("child_schools", "linked_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_child_schools")),
        sa.UniqueConstraint("participant_id", name=op.f("uq_child_schools_participant_id")),
    )
    op.create_index(op.f("ix_child_schools_case_id"), "child_schools", ["case_id"])
    op.create_index(op.f("ix_child_schools_school_agency_id"), "child_schools",
                    ["school_agency_id"])
    _notices()
    _checklists()


def _notices() -> None:
    op.create_table(
        "school_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("school_agency_id", sa.Integer(), nullable=False),
        sa.Column("sender_agency_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=8), nullable=False),
        sa.Column("child_name", sa.String(length=400), nullable=False),
        sa.Column("child_birth_date", sa.Date(), nullable=True),
        sa.Column("police_reference", sa.String(length=60), nullable=False),
        sa.Column("incident_date", sa.Date(), nullable=False),
        sa.Column("child_present", sa.Boolean(), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=False),
        sa.Column("contact_agency", sa.String(length=200), nullable=False),
        sa.Column("contact_phone", sa.String(length=40), nullable=False),
        sa.Column("legal_ground", sa.String(length=32), nullable=False),
        sa.Column("calendar_version", sa.String(length=16), nullable=False),
        _when("due_at"),
        sa.Column("status", sa.String(length=16), nullable=False),
        _when("received_at", nullable=True),
        sa.Column("received_by_id", sa.Integer(), nullable=True),
        _when("created_at"),
        sa.Column("version", sa.Integer(), nullable=False),
        _fk("school_notices", "case_id", "cases"),
        _fk("school_notices", "incident_id", "incidents"),
        _fk("school_notices", "participant_id", "case_participants"),
        _fk("school_notices", "school_agency_id", "agencies"),
        _fk("school_notices", "sender_agency_id", "agencies"),
        _fk("school_notices", "received_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_notices")),
        sa.UniqueConstraint("incident_id", "participant_id",
                            name="uq_school_notices_incident_child"),
    )
    op.create_index(op.f("ix_school_notices_case_id"), "school_notices", ["case_id"])
    op.create_index("ix_school_notices_school", "school_notices",
                    ["school_agency_id", "status", "due_at"])
    op.create_index("ix_school_notices_region", "school_notices",
                    ["region_code", "status", "due_at"])
    op.create_index("ix_school_notices_sent_due", "school_notices", ["due_at", "id"],
                    postgresql_where=sa.text(_SENT), sqlite_where=sa.text(_SENT))


def _checklists() -> None:
    op.create_table(
        "closure_checklists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("needs_met", sa.Boolean(), nullable=False),
        sa.Column("last_contact_on", sa.Date(), nullable=True),
        sa.Column("safety_plan_reviewed", sa.Boolean(), nullable=False),
        sa.Column("told_can_return", sa.Boolean(), nullable=False),
        sa.Column("checklist_version", sa.String(length=16), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=False),
        _when("updated_at"),
        sa.Column("signed_off_by_id", sa.Integer(), nullable=True),
        _when("signed_off_at", nullable=True),
        _when("spent_at", nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        _fk("closure_checklists", "case_id", "cases"),
        _fk("closure_checklists", "updated_by_id", "users"),
        _fk("closure_checklists", "signed_off_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closure_checklists")),
        sa.UniqueConstraint("case_id", name=op.f("uq_closure_checklists_case_id")),
    )


def downgrade() -> None:
    op.drop_table("closure_checklists")
    op.drop_index("ix_school_notices_sent_due", table_name="school_notices")
    op.drop_index("ix_school_notices_region", table_name="school_notices")
    op.drop_index("ix_school_notices_school", table_name="school_notices")
    op.drop_index(op.f("ix_school_notices_case_id"), table_name="school_notices")
    op.drop_table("school_notices")
    op.drop_index(op.f("ix_child_schools_school_agency_id"), table_name="child_schools")
    op.drop_index(op.f("ix_child_schools_case_id"), table_name="child_schools")
    op.drop_table("child_schools")
    op.drop_index(op.f("ix_school_contacts_user_id"), table_name="school_contacts")
    op.drop_table("school_contacts")
