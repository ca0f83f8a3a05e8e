"""lighter writes: indexes the minute sweep paid for on every row and no reader needs.

Found by the national benchmark (docs/performance.md): the sweep that expires a thousand
referrals writes a thousand audit rows and five thousand in-app notifications, and each row paid
for every index of its table.

- uq_audit_events_row_hash: a unique index on a random hash puts each new audit row on a random
  page of a 900 MB index. Nothing reads by hash, and it guards nothing the chain does not: a
  copied or forged row breaks the chain at that row (``flask audit verify``), and the chain head
  (migration 0010) holds the newest row's hash.
- ix_referrals_stalled covers the two columns it is built on (PostgreSQL): the sweep, every
  minute, looks for the few active referrals newly without progress among thousands already
  reminded, and read each one's row to do so (13,000 rows, 76 ms; now 23 ms from the index).
- ix_notifications_event_id and ix_deliveries_event_id: the unique (event_id, …) constraints of
  both tables lead with event_id and answer the same questions.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# SQLite can only drop a table constraint by copying the table, which drops its triggers: the
# append-only triggers of migration 0001 are put back afterwards.
_ACTIVE = "status IN ('accepted', 'in_progress')"
_SQLITE_AUDIT_TRIGGERS = (
    """CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
       BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
    """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
       BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
)


def _audit_row_hash_constraint(add: bool) -> None:
    if op.get_bind().dialect.name == "postgresql":
        if add:
            op.create_unique_constraint("uq_audit_events_row_hash", "audit_events", ["row_hash"])
        else:
            op.drop_constraint("uq_audit_events_row_hash", "audit_events", type_="unique")
        return
    op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
    op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    with op.batch_alter_table("audit_events", recreate="always") as batch:
        if add:
            batch.create_unique_constraint("uq_audit_events_row_hash", ["row_hash"])
        else:
            batch.drop_constraint("uq_audit_events_row_hash", type_="unique")
    for statement in _SQLITE_AUDIT_TRIGGERS:
        op.execute(statement)


def _stalled_index(include: list[str]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_referrals_stalled", table_name="referrals")
    op.create_index("ix_referrals_stalled", "referrals",
                    [sa.text("coalesce(last_progress_at, accepted_at)"), "id"],
                    postgresql_include=include, postgresql_where=sa.text(_ACTIVE))


def upgrade():
    _audit_row_hash_constraint(add=False)
    _stalled_index(["last_progress_at", "accepted_at"])
    op.drop_index("ix_notifications_event_id", table_name="notifications")
    op.drop_index("ix_deliveries_event_id", table_name="deliveries")


def downgrade():
    op.create_index("ix_deliveries_event_id", "deliveries", ["event_id"])
    op.create_index("ix_notifications_event_id", "notifications", ["event_id"])
    _stalled_index([])
    _audit_row_hash_constraint(add=True)
