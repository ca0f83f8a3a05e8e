"""progress notes on referrals; every lifecycle action's note kept.

- ``referral_progress_notes``: dated, signed notes of the work on a live referral (accepted,
  in progress, on hold), written by the receiving or the sending agency. Append-only: a
  correction is a new row naming the one it corrects (``corrects_id``). Read a referral at a
  time, oldest first: the index on (referral_id, created_at).
- The notes typed into the lifecycle forms were already stored in ``referral_history.note``
  (the "start work" note was dropped by the application): no schema change for them.

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "referral_progress_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("corrects_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["referral_id"], ["referrals.id"],
                                name=op.f("fk_referral_progress_notes_referral_id_referrals")),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"],
                                name=op.f("fk_referral_progress_notes_agency_id_agencies")),
        sa.ForeignKeyConstraint(["author_user_id"], ["users.id"],
                                name=op.f("fk_referral_progress_notes_author_user_id_users")),
        sa.ForeignKeyConstraint(
            ["corrects_id"], ["referral_progress_notes.id"],
            name=op.f("fk_referral_progress_notes_corrects_id_referral_progress_notes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_progress_notes")),
    )
    op.create_index("ix_referral_progress_notes_referral", "referral_progress_notes",
                    ["referral_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_referral_progress_notes_referral", table_name="referral_progress_notes")
    op.drop_table("referral_progress_notes")
