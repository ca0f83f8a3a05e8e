"""risk instrument: each assessment records the instrument version and why it got its level.

The level used to come from a count of "yes" answers alone (25 questions; medium from 10, high
from 14), which rated strangulation + a threat to kill + a gun + separation + fear "standard".
The new instrument (red flags, danger signs, yes / no / not known) is data with a version id.
Assessments made before keep their stored level untouched: they are marked with the first
instrument's version, "2024-count", whose questions the data file still holds, so the page shows
what was asked. Their explanation is empty: the count and thresholds they were given are already
in their columns.

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

FIRST_VERSION = "2024-count"


def upgrade() -> None:
    with op.batch_alter_table("risk_assessments") as batch:
        batch.add_column(sa.Column("instrument_version", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("explanation", sa.JSON(), nullable=True))
    op.execute(sa.text("UPDATE risk_assessments SET instrument_version = :v, explanation = '{}'")
               .bindparams(v=FIRST_VERSION))
    # Not null only once every row has its version: a row must always say which questions it
    # answered (no server default that could silently mislabel a new row).
    with op.batch_alter_table("risk_assessments") as batch:
        batch.alter_column("instrument_version", existing_type=sa.String(length=16),
                           nullable=False)
        batch.alter_column("explanation", existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("risk_assessments") as batch:
        batch.drop_column("explanation")
        batch.drop_column("instrument_version")
