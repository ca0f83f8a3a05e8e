"""emergency (break-the-glass) access; the audit table refuses TRUNCATE.

- ``emergency_access``: an officer's read-only, time-limited opening of a case of another
  agency, with its reason, until a coordinator marks it reviewed.
- PostgreSQL: statement-level ``BEFORE TRUNCATE`` triggers on ``audit_events`` and
  ``audit_chain_head`` raise, for every role (UPDATE/DELETE were refused since 0001; TRUNCATE
  fires no row trigger). SQLite has no TRUNCATE.

Revision ID: 0028
Revises: 0027
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

GUARDED = ("audit_events", "audit_chain_head")


def upgrade() -> None:
    op.create_table(
        "emergency_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"],
                                name=op.f("fk_emergency_access_agency_id_agencies")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"],
                                name=op.f("fk_emergency_access_case_id_cases")),
        sa.ForeignKeyConstraint(["reviewed_by_id"], ["users.id"],
                                name=op.f("fk_emergency_access_reviewed_by_id_users")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_emergency_access_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_access")),
    )
    with op.batch_alter_table("emergency_access", schema=None) as batch_op:
        batch_op.create_index("ix_emergency_access_user_ends", ["user_id", "ends_at"],
                              unique=False)
        batch_op.create_index("ix_emergency_access_case", ["case_id"], unique=False)
        batch_op.create_index("ix_emergency_access_unreviewed", ["reviewed_at", "started_at"],
                              unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""CREATE FUNCTION audit_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
                      BEGIN RAISE EXCEPTION '% is append-only: TRUNCATE refused', TG_TABLE_NAME;
                      END $$""")
        for table in GUARDED:
            op.execute(f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
                           FOR EACH STATEMENT EXECUTE FUNCTION audit_no_truncate()""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in GUARDED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS audit_no_truncate()")
    with op.batch_alter_table("emergency_access", schema=None) as batch_op:
        batch_op.drop_index("ix_emergency_access_unreviewed")
        batch_op.drop_index("ix_emergency_access_case")
        batch_op.drop_index("ix_emergency_access_user_ends")
    op.drop_table("emergency_access")
