"""one person per IIN (unique index on the normalised IIN).

The IIN is stored normalised (digits only: the service strips what people type between groups of
digits), so the unique index is on the column itself, partial (``WHERE iin IS NOT NULL``: most
people have no IIN recorded). Existing rows are normalised the same way first. People who already
share an IIN stop the upgrade before anything is written, with the groups of person ids (never
the IIN or a name: this text lands in deployment logs) and how to resolve them.

Revision ID: 0024
Revises: 0023
"""

from itertools import groupby

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

_people = sa.table("people", sa.column("id", sa.Integer), sa.column("iin", sa.String))
# referral.cases.iin.normalise_iin in SQL (the same on SQLite and PostgreSQL).
_NORMALISED = sa.func.replace(sa.func.replace(sa.func.replace(
    _people.c.iin, " ", ""), "-", ""), ".", "")

_HOW_TO_RESOLVE = """\
For each group, find out whether the records are one person.
- One person: keep one id (say K) and merge the others (say D) into it, in one transaction:
    UPDATE case_participants SET person_id = K WHERE person_id = D
      (if a case then lists K twice, keep one of its two rows and move what the other
       carries -- incidents, risk assessments, measures, safe contact -- to it first);
    UPDATE incidents SET survivor_person_id = K WHERE survivor_person_id = D;
    UPDATE incidents SET offender_person_id = K WHERE offender_person_id = D;
    DELETE FROM people WHERE id = D;
- Different people: one IIN was entered wrongly; correct it from the person's document
  (or clear it) in the application, on the person's page.
Then run the upgrade again."""


def _duplicate_groups(conn: sa.Connection) -> list[list[int]]:
    has_iin = _people.c.iin.is_not(None)
    shared = (sa.select(_NORMALISED).where(has_iin).group_by(_NORMALISED)
              .having(sa.func.count() > 1))
    key = _NORMALISED.label("k")
    rows = conn.execute(sa.select(key, _people.c.id)
                        .where(has_iin, _NORMALISED != "", _NORMALISED.in_(shared))
                        .order_by(key, _people.c.id)).all()
    return [[row.id for row in group] for _key, group in groupby(rows, key=lambda r: r.k)]


def upgrade() -> None:
    conn = op.get_bind()
    groups = _duplicate_groups(conn)
    if groups:
        listed = "\n".join(f"  people {', '.join(str(i) for i in ids)}" for ids in groups)
        raise RuntimeError(
            f"Migration 0024 cannot make the IIN unique: {len(groups)} group(s) of people "
            f"share an IIN (person ids, one group a line):\n{listed}\n{_HOW_TO_RESOLVE}")
    has_iin = _people.c.iin.is_not(None)
    conn.execute(sa.update(_people).where(has_iin, _NORMALISED == "").values(iin=None))
    conn.execute(sa.update(_people).where(has_iin, _people.c.iin != _NORMALISED)
                 .values(iin=_NORMALISED))
    op.drop_index("ix_people_iin", table_name="people")
    op.create_index("uq_people_iin", "people", ["iin"], unique=True,
                    postgresql_where=sa.text("iin IS NOT NULL"),
                    sqlite_where=sa.text("iin IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("uq_people_iin", table_name="people")
    op.create_index("ix_people_iin", "people", ["iin"], unique=False)
