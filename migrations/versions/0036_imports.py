"""bulk import: external ids on the directory (a re-import updates, never duplicates) and the
HSDS organization fields.

Revision ID: 0036
Revises: 0035
"""

import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agencies") as batch:
        batch.add_column(sa.Column("external_id", sa.String(100), nullable=True))
        batch.add_column(sa.Column("description", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("website", sa.String(300), nullable=False, server_default=""))
        batch.create_unique_constraint("uq_agencies_external_id", ["external_id"])
    with op.batch_alter_table("districts") as batch:
        batch.add_column(sa.Column("external_id", sa.String(100), nullable=True))
        batch.create_unique_constraint("uq_districts_external_id", ["external_id"])
    with op.batch_alter_table("agency_services") as batch:
        batch.add_column(sa.Column("external_id", sa.String(100), nullable=True))
        batch.create_unique_constraint("uq_agency_services_external_id", ["external_id"])


def downgrade() -> None:
    with op.batch_alter_table("agency_services") as batch:
        batch.drop_constraint("uq_agency_services_external_id", type_="unique")
        batch.drop_column("external_id")
    with op.batch_alter_table("districts") as batch:
        batch.drop_constraint("uq_districts_external_id", type_="unique")
        batch.drop_column("external_id")
    with op.batch_alter_table("agencies") as batch:
        batch.drop_constraint("uq_agencies_external_id", type_="unique")
        batch.drop_column("website")
        batch.drop_column("description")
        batch.drop_column("external_id")
