"""documents on cases and referrals: encrypted files, versions, withdrawals.

- ``document_objects``: one encrypted stored object (a file or its thumbnail): its generated
  storage name, its wrapped data key and the master key's id, whether it left the pending area.
- ``documents``: a file attached to a case (optionally to an incident, measure, referral or
  conference action): category, title, note, the user's file name as a label, type by content,
  what metadata was removed, versions (``supersedes_id``) and withdrawal.
- ``document_shares``: the documents the sender chose to send with a referral.

Revision ID: 0031
Revises: 0030
"""

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "document_objects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=64), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_objects")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_document_objects_storage_key")),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("data_category", sa.String(length=24), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("mime", sa.String(length=100), nullable=False),
        sa.Column("extension", sa.String(length=8), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("removed", sa.JSON(), nullable=False),
        sa.Column("attached_type", sa.String(length=16), nullable=True),
        sa.Column("attached_id", sa.Integer(), nullable=True),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("thumb_object_id", sa.Integer(), nullable=True),
        sa.Column("added_by_id", sa.Integer(), nullable=False),
        sa.Column("added_at", _TS, nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("superseded_at", _TS, nullable=True),
        sa.Column("withdrawn_at", _TS, nullable=True),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.Column("withdraw_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_documents_case_id_cases")),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"],
                                name=op.f("fk_documents_agency_id_agencies")),
        sa.ForeignKeyConstraint(["object_id"], ["document_objects.id"],
                                name=op.f("fk_documents_object_id_document_objects")),
        sa.ForeignKeyConstraint(["thumb_object_id"], ["document_objects.id"],
                                name=op.f("fk_documents_thumb_object_id_document_objects")),
        sa.ForeignKeyConstraint(["added_by_id"], ["users.id"],
                                name=op.f("fk_documents_added_by_id_users")),
        sa.ForeignKeyConstraint(["supersedes_id"], ["documents.id"],
                                name=op.f("fk_documents_supersedes_id_documents")),
        sa.ForeignKeyConstraint(["withdrawn_by_id"], ["users.id"],
                                name=op.f("fk_documents_withdrawn_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
    )
    op.create_index("ix_documents_case", "documents", ["case_id", "added_at"])
    op.create_index("ix_documents_supersedes", "documents", ["supersedes_id"])
    op.create_table(
        "document_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=False),
        sa.Column("added_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"],
                                name=op.f("fk_document_shares_document_id_documents")),
        sa.ForeignKeyConstraint(["referral_id"], ["referrals.id"],
                                name=op.f("fk_document_shares_referral_id_referrals")),
        sa.ForeignKeyConstraint(["added_by_id"], ["users.id"],
                                name=op.f("fk_document_shares_added_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_shares")),
        sa.UniqueConstraint("document_id", "referral_id", name="uq_document_shares_pair"),
    )
    op.create_index("ix_document_shares_referral", "document_shares", ["referral_id"])


def downgrade() -> None:
    op.drop_index("ix_document_shares_referral", table_name="document_shares")
    op.drop_table("document_shares")
    op.drop_index("ix_documents_supersedes", table_name="documents")
    op.drop_index("ix_documents_case", table_name="documents")
    op.drop_table("documents")
    op.drop_table("document_objects")
