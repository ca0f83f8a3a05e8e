"""bulk import: external ids on the directory (a re-import updates, never duplicates), the
HSDS organization fields, and the uploads kept between a dry run and its commit.

Revision ID: 0036
Revises: 0035
"""

import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None

_WITH_EXTERNAL_IDS = ("agencies", "districts", "agency_services")


def upgrade() -> None:
    # Plain ADD COLUMN and unique indexes: a batch copy would rebuild these tables, and on
    # SQLite dropping the old agencies table fails while users and cases point at its rows.
    op.add_column("agencies", sa.Column("external_id", sa.String(100), nullable=True))
    op.add_column("agencies", sa.Column("description", sa.Text(), nullable=False,
                                        server_default=""))
    op.add_column("agencies", sa.Column("website", sa.String(300), nullable=False,
                                        server_default=""))
    for table in _WITH_EXTERNAL_IDS[1:]:
        op.add_column(table, sa.Column("external_id", sa.String(100), nullable=True))
    for table in _WITH_EXTERNAL_IDS:
        op.create_index(op.f(f"ix_{table}_external_id"), table, ["external_id"], unique=True)
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("table", sa.String(32), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_import_batches_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
        sa.UniqueConstraint("key", name=op.f("uq_import_batches_key")),
    )
    op.create_index(op.f("ix_import_batches_user_id"), "import_batches", ["user_id"])
    op.create_index(op.f("ix_import_batches_expires_at"), "import_batches", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_import_batches_expires_at"), table_name="import_batches")
    op.drop_index(op.f("ix_import_batches_user_id"), table_name="import_batches")
    op.drop_table("import_batches")
    for table in _WITH_EXTERNAL_IDS:
        op.drop_index(op.f(f"ix_{table}_external_id"), table_name=table)
        op.drop_column(table, "external_id")
    op.drop_column("agencies", "website")
    op.drop_column("agencies", "description")
