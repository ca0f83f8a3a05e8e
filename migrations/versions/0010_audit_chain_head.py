"""audit chain head: the newest link of the audit chain in one row.

An audit record took three statements on PostgreSQL (the chain's advisory lock, a read of the
newest row's hash, the insert). With the head in a row of its own, one statement updates the
head (its row lock orders the writers, as the advisory lock did) and inserts the row from it
(referral.audit.service). The row is seeded from the newest audit row, so existing chains go on.

Deploy with the old code stopped: it extends the chain without updating the head, and a row it
writes after this migration would leave the head behind (the next record would fork the chain).
The seed waits for the old code's advisory lock, so a writer in flight while this runs is safe.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
_OLD_CHAIN_LOCK = 72_617_001  # the advisory lock key the code before this revision took

SEED = f"""
    INSERT INTO audit_chain_head (id, prev_hash, row_hash)
    SELECT 1, COALESCE(MAX(prev_hash), '{GENESIS}'), COALESCE(MAX(row_hash), '{GENESIS}')
    FROM (SELECT prev_hash, row_hash FROM audit_events ORDER BY id DESC LIMIT 1) newest"""


def upgrade():
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_chain_head_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"SELECT pg_advisory_xact_lock({_OLD_CHAIN_LOCK})")
    op.execute(SEED)


def downgrade():
    op.drop_table("audit_chain_head")
