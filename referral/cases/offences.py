"""The offences reference table: Kazakh articles (and their parts) that qualify an incident.

The data file (referral/data/offences.json) is the source; ``load_offences`` brings the table in
line with it. Each row carries the official source it was checked against.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from referral.audit import service as audit
from referral.cases.classification import GBV_TYPES, OFFENCE_KINDS
from referral.cases.models import Offence, OffencePart
from referral.errors import DomainError
from referral.extensions import db
from referral.paths import PROJECT_ROOT

OFFENCES_FILE = PROJECT_ROOT / "referral" / "data" / "offences.json"
ARTICLE_FIELDS = ("code", "article", "title_en", "title_ru", "title_kk", "kind",
                  "violence_types", "gbv_type", "source", "valid_from", "valid_until")


def offence_label(offence: Offence, part: str = "") -> str:
    """"Criminal Code 108-1 part 1 · title": the article, the part when known, the title."""
    code = _("Criminal Code") if offence.code == "criminal" else _("Administrative Code")
    shown = " " + _("part %(part)s", part=part) if part else ""
    return f"{code} {offence.article}{shown} · {offence.title}"


def _article_key(offence: Offence) -> tuple[str, tuple[int, ...]]:
    """Criminal before administrative, then by article number (99 before 105, 108-1 after 108)."""
    return ("0" if offence.code == "criminal" else "1",
            tuple(int(n) for n in offence.article.split("-") if n.isdigit()))


def list_offences(on: date | None = None) -> list[Offence]:
    """The table in article order (parts loaded with it), or only the articles in force on a
    day, so that an incident is qualified by the law of its date."""
    rows = db.session.execute(select(Offence)).scalars()
    return sorted((o for o in rows if on is None or o.valid_on(on)), key=_article_key)


def load_offences(path: str | None = None) -> int:
    """Bring the table in line with the data file: add the articles that are missing and
    correct those that differ, parts included (matched by code and article). Returns how many
    articles changed."""
    source = Path(path) if path else OFFENCES_FILE
    table = {(o.code, o.article): o for o in db.session.execute(select(Offence)).scalars()}
    changed = 0
    for row in json.loads(source.read_text(encoding="utf-8"))["offences"]:
        values = {k: row.get(k) or "" for k in ARTICLE_FIELDS}
        existing = table.get((row["code"], row["article"]))
        if existing is None:
            add_offence(**values, parts=row.get("parts", []))
            changed += 1
        elif _correct(existing, values, row.get("parts", [])):
            changed += 1
    return changed


def _correct(offence: Offence, values: dict[str, Any], parts: list[dict]) -> bool:
    """Set the offence's fields and parts from a data-file row; True (and audited) if any
    changed."""
    values = {**values, "valid_from": _as_date(values["valid_from"]),
              "valid_until": _as_date(values["valid_until"])}
    changed = sorted(k for k, v in values.items() if getattr(offence, k) != v)
    for key in changed:
        setattr(offence, key, values[key])
    wanted = {p["part"]: p["kind"] for p in parts}
    if {p.part: p.kind for p in offence.parts} != wanted:
        offence.parts = [OffencePart(part=part, kind=kind) for part, kind in wanted.items()]
        changed.append("parts")
    if changed:
        db.session.flush()
        audit.record("offence.update", object_type="offence", object_id=offence.id,
                     details={"fields": changed})
    return bool(changed)


def _as_date(value: str | date | None) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else (
        value if isinstance(value, date) else None)


def add_offence(*, code: str, article: str, title_en: str, kind: str, title_ru: str = "",
                title_kk: str = "", violence_types: str = "", valid_from: str | date | None = None,
                valid_until: str | date | None = None, gbv_type: str = "", source: str = "",
                parts: list[dict] | tuple = ()) -> Offence:
    """Extend the reference table (administrators, CLI). Dates as ISO strings or dates; parts
    as ``{"part": "1", "kind": "crime"}`` where the article's parts differ in kind."""
    if code not in ("criminal", "administrative"):
        raise DomainError(_("The code must be criminal or administrative."), field="code")
    part_kinds = {p.get("kind") for p in parts}
    if kind not in OFFENCE_KINDS or (kind == "") != bool(parts) or "" in part_kinds or (
            not part_kinds <= OFFENCE_KINDS.keys()):
        raise DomainError(_("Choose the kind of offence."), field="kind")
    if source and not source.strip().startswith(("https://", "http://")):
        raise DomainError(_("Enter the address of the official text, starting with https://."),
                          field="source")
    if gbv_type and gbv_type not in GBV_TYPES:
        raise DomainError(_("Choose a GBVIMS type from the list."), field="gbv_type")
    if not article.strip() or not title_en.strip():
        raise DomainError(_("Enter the article and its English title."), field="article")
    offence = Offence(code=code, article=article.strip(), title_en=title_en.strip(),
                      title_ru=title_ru.strip(), title_kk=title_kk.strip(), kind=kind,
                      violence_types=violence_types, gbv_type=gbv_type,
                      valid_from=_as_date(valid_from), valid_until=_as_date(valid_until),
                      source=source.strip(),
                      parts=[OffencePart(part=p["part"], kind=p["kind"]) for p in parts])
    if offence.valid_from and offence.valid_until and offence.valid_until < offence.valid_from:
        raise DomainError(_("The end of validity cannot be before its start."),
                          field="valid_until")
    db.session.add(offence)
    db.session.flush()
    audit.record("offence.add", object_type="offence", object_id=offence.id)
    return offence
