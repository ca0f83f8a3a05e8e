"""retention periods and legal holds.

- ``cases.closed_at``: when the case was last closed (retention periods count from it), filled
  in for closed cases from their last status change on the timeline (the closing, as a case
  leaves "closed" only by reopening), else their last change.
- ``legal_holds``: a case whose data the retention purge must leave alone while in force.

Revision ID: 0029
Revises: 0028
"""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

_IN_FORCE = "released_at IS NULL"


def upgrade() -> None:
    op.add_column("cases", sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f("ix_cases_closed_at"), "cases", ["closed_at"], unique=False)
    op.execute("UPDATE cases SET closed_at = COALESCE((SELECT MAX(t.at) FROM case_timeline t "
               "WHERE t.case_id = cases.id AND t.kind = 'case.status'), updated_at) "
               "WHERE status = 'closed'")
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("placed_by_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by_id", sa.Integer(), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"],
                                name=op.f("fk_legal_holds_case_id_cases")),
        sa.ForeignKeyConstraint(["placed_by_id"], ["users.id"],
                                name=op.f("fk_legal_holds_placed_by_id_users")),
        sa.ForeignKeyConstraint(["released_by_id"], ["users.id"],
                                name=op.f("fk_legal_holds_released_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_holds")),
    )
    op.create_index("ix_legal_holds_case_in_force", "legal_holds", ["case_id"], unique=False,
                    postgresql_where=sa.text(_IN_FORCE), sqlite_where=sa.text(_IN_FORCE))
    op.create_index("ix_legal_holds_case", "legal_holds", ["case_id", "placed_at"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_legal_holds_case", table_name="legal_holds")
    op.drop_index("ix_legal_holds_case_in_force", table_name="legal_holds")
    op.drop_table("legal_holds")
    op.drop_index(op.f("ix_cases_closed_at"), table_name="cases")
    op.drop_column("cases", "closed_at")
