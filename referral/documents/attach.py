"""What a document may be attached to besides its case: one of the case's incidents, protective
measures, referrals or conference actions. Stored as a type and an id, checked to belong to the
case through the actor's scope."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from referral.access import scoped
from referral.access.scope import Actor
from referral.cases.models import Incident, ProtectiveMeasure
from referral.errors import DomainError
from referral.extensions import db
from referral.referrals.models import Referral

# Conference actions belong to coordination, a domain after this one (DOMAINS): its mapped
# class is found by its table's name when first needed, so that documents does not import it,
# and reads of it stay scoped like any ORM query.
_LATER_DOMAIN_TABLES = {"action": "conference_actions"}
_MODELS: dict[str, Any] = {"incident": Incident, "measure": ProtectiveMeasure,
                           "referral": Referral}


def models() -> dict[str, Any]:
    if len(_MODELS) < 4:
        for kind, table in _LATER_DOMAIN_TABLES.items():
            _MODELS[kind] = next(m.class_ for m in db.Model.registry.mappers
                                 if m.local_table.name == table)
    return _MODELS


def _label(kind: str, row: Any) -> str:
    if kind == "incident":
        return _("Incident of %(day)s", day=row.occurred_at.date().isoformat())
    if kind == "measure":
        return _("Protective measure from %(day)s", day=row.starts_on.isoformat())
    if kind == "referral":
        return _("Referral %(ref)s", ref=row.reference or row.id)
    return _("Conference action due %(day)s", day=row.due_on.isoformat())


@scoped
def choices(actor: Actor, case_id: int) -> list[tuple[str, str]]:
    """(value, label) of what the actor may attach a document to on this case."""
    found: list[tuple[str, str]] = [("", _("The case only"))]
    for kind, model in models().items():
        rows = db.session.execute(select(model).where(model.case_id == case_id)
                                  .order_by(model.id.desc()).limit(50)).scalars()
        found.extend((f"{kind}:{row.id}", _label(kind, row)) for row in rows)
    return found


@scoped
def resolve(actor: Actor, case_id: int, value: str | None) -> tuple[str, int] | None:
    """("incident", 12) for "incident:12" when that record belongs to the case and the actor
    sees it; None for the case only; DomainError for anything else."""
    if not value:
        return None
    kind, _sep, raw = value.partition(":")
    model = models().get(kind)
    if model is None or not raw.isdigit() or len(raw) > 9:
        raise DomainError(_("Choose what the document belongs to from the list."),
                          field="attach")
    found = db.session.execute(select(model.id).where(model.id == int(raw),
                                                      model.case_id == case_id)).scalar()
    if found is None:
        raise DomainError(_("Choose what the document belongs to from the list."),
                          field="attach")
    return kind, int(raw)
