"""offences per article part, incident classification.

Offences: the kind of each part where an article's parts differ (table offence_parts; the
incident records the part when known), the GBVIMS type an offence implies, and the official
source of each row; the rows are then brought in line with referral/data/offences.json
(corrected titles and kinds, start dates of the historic articles, 99 and 105 added).
Incidents: the GBVIMS case context, and the type recomputed from the stored flags and the
offence, never lowered (a penetration cleared by the old form without "sexual" cannot be
recovered: it was never stored). Only columns are added to offences, so SQLite never rebuilds
a table that incidents refer to.

Revision ID: 0021
Revises: 0020
"""

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

CONTEXTS = ("intimate_partner", "child_sexual_abuse", "early_marriage", "harmful_practice")
# GBVIMS's ordered types as of this revision (referral/cases/classification.py then).
GBV_ORDER = ("rape", "sexual_assault", "physical_assault", "forced_marriage",
             "denial_of_resources", "psychological_abuse")
INTIMATE_PARTNERS = {"spouse", "former_spouse", "partner", "former_partner",
                     "common_child_parent"}
ARTICLE_FIELDS = ("code", "article", "title_en", "title_ru", "title_kk", "kind",
                  "violence_types", "gbv_type", "source")
BATCH = 2000


def upgrade() -> None:
    op.add_column("offences", sa.Column("gbv_type", sa.String(length=32), server_default="",
                                        nullable=False))
    op.add_column("offences", sa.Column("source", sa.String(length=300), server_default="",
                                        nullable=False))
    op.create_table(
        "offence_parts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offence_id", sa.Integer(), nullable=False),
        sa.Column("part", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["offence_id"], ["offences.id"],
                                name=op.f("fk_offence_parts_offence_id_offences")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offence_parts")),
        sa.UniqueConstraint("offence_id", "part", name=op.f("uq_offence_parts_offence_id")),
    )
    op.add_column("incidents", sa.Column("offence_part", sa.String(length=8), server_default="",
                                         nullable=False))
    for code in CONTEXTS:
        op.add_column("incidents", sa.Column(f"context_{code}", sa.Boolean(),
                                             server_default=sa.text("false"), nullable=False))
    _sync_offences(op.get_bind())
    _reclassify_incidents(op.get_bind())


def downgrade() -> None:
    # Columns dropped in place (SQLite 3.35+): no table is rebuilt, so SQLite's foreign-key
    # checks never see a table of offences vanish under the incidents that refer to it.
    with op.batch_alter_table("incidents", schema=None, recreate="never") as batch_op:
        for code in reversed(CONTEXTS):
            batch_op.drop_column(f"context_{code}")
        batch_op.drop_column("offence_part")
    op.drop_table("offence_parts")
    with op.batch_alter_table("offences", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("source")
        batch_op.drop_column("gbv_type")


def _sync_offences(bind: sa.engine.Connection) -> None:
    """Correct the articles that differ from the file and add the missing ones (matched by code
    and article; the validity dates are among what gets corrected), then set their parts."""
    offences = sa.table("offences", sa.column("id", sa.Integer),
                        *(sa.column(k) for k in ARTICLE_FIELDS),
                        sa.column("valid_from", sa.Date), sa.column("valid_until", sa.Date))
    parts = sa.table("offence_parts", sa.column("offence_id", sa.Integer), sa.column("part"),
                     sa.column("kind"))
    from referral.paths import PACKAGE_DIR  # the package's data, in the repo or a wheel

    path = PACKAGE_DIR / "data" / "offences.json"
    existing = {(r.code, r.article): r for r in bind.execute(sa.select(offences)).all()}
    for article in json.loads(path.read_text(encoding="utf-8"))["offences"]:
        row = {k: article.get(k) or "" for k in ARTICLE_FIELDS}
        for key in ("valid_from", "valid_until"):
            row[key] = date.fromisoformat(article[key]) if article.get(key) else None
        found = existing.get((row["code"], row["article"]))
        if found is None:
            offence_id = bind.execute(offences.insert().values(**row)
                                      .returning(offences.c.id)).scalar_one()
        else:
            offence_id = found.id
            if any(getattr(found, k) != v for k, v in row.items()):
                bind.execute(offences.update().where(offences.c.id == offence_id).values(**row))
        bind.execute(parts.delete().where(parts.c.offence_id == offence_id))
        if article.get("parts"):
            bind.execute(parts.insert(), [{"offence_id": offence_id, "part": p["part"],
                                           "kind": p["kind"]} for p in article["parts"]])


def _age(birth: date | None, estimate: int | None, day: date) -> int | None:
    if birth is not None:
        return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
    return day.year - estimate if estimate else None


def _classify(row: sa.Row, zone: ZoneInfo) -> dict:
    """The incident's type (never lower than stored) and its context, as of this revision."""
    found = {row.gbv_type, row.offence_gbv_type}
    flags = (("rape", row.penetration), ("sexual_assault", row.sexual or row.penetration),
             ("physical_assault", row.physical), ("forced_marriage", row.forced_marriage),
             ("denial_of_resources", row.economic), ("psychological_abuse", row.psychological))
    found |= {code for code, holds in flags if holds}
    gbv = next((code for code in GBV_ORDER if code in found), row.gbv_type)
    when = row.occurred_at if isinstance(row.occurred_at, datetime) else (
        datetime.fromisoformat(str(row.occurred_at)))
    day = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(zone).date()
    birth = row.birth_date if not isinstance(row.birth_date, str) else (
        date.fromisoformat(row.birth_date))
    age = _age(birth, row.birth_year_estimate, day)
    minor = age is not None and age < 18
    return {"gbv_type": gbv,
            "context_intimate_partner": row.relationship_to_offender in INTIMATE_PARTNERS,
            "context_child_sexual_abuse": minor and gbv in ("rape", "sexual_assault"),
            "context_early_marriage": minor and (gbv == "forced_marriage"
                                                 or bool(row.forced_marriage))}


def _reclassify_incidents(bind: sa.engine.Connection) -> None:
    """Recompute every incident's type and context in batches by id (only changed rows are
    written)."""
    zone = ZoneInfo("Asia/Almaty")
    query = sa.text(
        "SELECT i.id, i.physical, i.sexual, i.psychological, i.economic, i.penetration, "
        "i.forced_marriage, i.gbv_type, i.occurred_at, COALESCE(o.gbv_type, '') AS "
        "offence_gbv_type, cp.relationship_to_offender, p.birth_date, p.birth_year_estimate "
        "FROM incidents i LEFT JOIN offences o ON o.id = i.offence_id "
        "LEFT JOIN case_participants cp ON cp.case_id = i.case_id "
        "AND cp.person_id = i.survivor_person_id "
        "LEFT JOIN people p ON p.id = i.survivor_person_id "
        "WHERE i.id > :after ORDER BY i.id LIMIT :batch")
    update = sa.text(
        "UPDATE incidents SET gbv_type = :gbv_type, sexual = :sexual, "
        "context_intimate_partner = :context_intimate_partner, "
        "context_child_sexual_abuse = :context_child_sexual_abuse, "
        "context_early_marriage = :context_early_marriage WHERE id = :id")
    after = 0
    while rows := bind.execute(query, {"after": after, "batch": BATCH}).all():
        changes = []
        for row in rows:
            values = _classify(row, zone)
            if (values["gbv_type"] != row.gbv_type or any(values[k] for k in values
                                                          if k.startswith("context_"))):
                changes.append({**values, "id": row.id,
                                "sexual": bool(row.sexual or row.penetration)})
        if changes:
            bind.execute(update, changes)
        after = rows[-1].id
