"""safety plans (versioned) and the risk re-assessment schedule.

- ``safety_plans``: one row per version of a survivor's plan; ``is_current`` marks the newest.
- ``reassessment_schedules``: each case's next risk assessment due time, filled in here for the
  cases assessed before: the latest assessment plus its level's interval
  (referral/data/reassessment.json), or now when an incident happened after it.

Revision ID: 0032
Revises: 0031
"""

import json
from datetime import UTC, datetime, timedelta
from importlib import resources

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

_CURRENT = "is_current"
# Read from the installed package, not beside this file: a wheel puts migrations inside it.
_POLICY = resources.files("referral").joinpath("data", "reassessment.json")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"],
                                   name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        "safety_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        *(sa.Column(name, sa.Text(), nullable=False) for name in (
            "main_concern", "resources")),
        sa.Column("code_signal", sa.String(length=300), nullable=False),
        *(sa.Column(name, sa.Text(), nullable=False) for name in (
            "go_bag", "preparedness", "during_violence", "after_leaving")),
        sa.Column("text_allowed", sa.Boolean(), nullable=False),
        sa.Column("voicemail_allowed", sa.Boolean(), nullable=False),
        sa.Column("partner_knows", sa.String(length=8), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("safety_plans", "case_id", "cases"),
        _fk("safety_plans", "participant_id", "case_participants"),
        _fk("safety_plans", "created_by_id", "users"),
        _fk("safety_plans", "agency_id", "agencies"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_plans")),
        sa.UniqueConstraint("participant_id", "number",
                            name=op.f("uq_safety_plans_participant_id")),
    )
    op.create_index("uq_safety_plans_current", "safety_plans", ["participant_id"], unique=True,
                    postgresql_where=sa.text(_CURRENT), sqlite_where=sa.text(_CURRENT))
    op.create_index("ix_safety_plans_case_current", "safety_plans", ["case_id", "is_current"],
                    unique=False)
    op.create_table(
        "reassessment_schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=True),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("policy_version", sa.String(length=16), nullable=False),
        _fk("reassessment_schedules", "case_id", "cases"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reassessment_schedules")),
        sa.UniqueConstraint("case_id", name=op.f("uq_reassessment_schedules_case_id")),
    )
    op.create_index(op.f("ix_reassessment_schedules_due_at"), "reassessment_schedules",
                    ["due_at"], unique=False)
    _schedule_assessed_cases()


def _aware(value: object) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _schedule_assessed_cases() -> None:
    policy = json.loads(_POLICY.read_text(encoding="utf-8"))
    days = {code: row["interval_days"] for code, row in policy["levels"].items()}
    bind = op.get_bind()
    latest = bind.execute(sa.text(
        "SELECT a.case_id, a.level, a.assessed_at, "
        "(SELECT MAX(i.occurred_at) FROM incidents i WHERE i.case_id = a.case_id) AS incident "
        "FROM risk_assessments a WHERE a.id = (SELECT b.id FROM risk_assessments b "
        "WHERE b.case_id = a.case_id ORDER BY b.assessed_at DESC, b.id DESC LIMIT 1)")).all()
    now = datetime.now(UTC)
    table = sa.table("reassessment_schedules", sa.column("case_id"), sa.column("level"),
                     sa.column("assessed_at", sa.DateTime(timezone=True)), sa.column("basis"),
                     sa.column("due_at", sa.DateTime(timezone=True)),
                     sa.column("policy_version"))
    rows = []
    for case_id, level, assessed, incident in latest:
        assessed_at = _aware(assessed)
        later = incident is not None and _aware(incident) > assessed_at
        rows.append({"case_id": case_id, "level": level, "assessed_at": assessed_at,
                     "basis": "incident" if later else "interval",
                     "due_at": now if later else assessed_at + timedelta(
                         days=days.get(level, days["high"])),
                     "policy_version": str(policy["version"])})
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    op.drop_index(op.f("ix_reassessment_schedules_due_at"), table_name="reassessment_schedules")
    op.drop_table("reassessment_schedules")
    op.drop_index("ix_safety_plans_case_current", table_name="safety_plans")
    op.drop_index("uq_safety_plans_current", table_name="safety_plans")
    op.drop_table("safety_plans")
