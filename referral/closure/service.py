"""Closing a case safely: the checklist (referral/data/closure_checklist.json), the lead agency
manager's sign-off, and the guard every close passes (referral.cases.hooks).

A protective measure in force or an open high-risk referral refuses a close whatever was signed;
else the checklist must be met and signed off since its last change, and a close spends the
sign-off, so a case reopened and closed again is signed off again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from referral.access.acting import scoped
from referral.access.permissions import Role
from referral.access.scope import Actor, acting_as, system_actor
from referral.audit import service as audit
from referral.cases import hooks
from referral.cases import service as cases
from referral.cases.models import Case, ProtectiveMeasure
from referral.closure.models import ClosureChecklist
from referral.errors import DomainError, NotVisible
from referral.extensions import db
from referral.models_base import utcnow
from referral.paths import PROJECT_ROOT
from referral.referrals.models import Referral

CHECKLIST_FILE = PROJECT_ROOT / "referral" / "data" / "closure_checklist.json"
# Referrals not yet ended: waiting for an answer, or taken up and not finished.
OPEN_REFERRAL_STATUSES = ("sent", "accepted", "in_progress", "on_hold")


@dataclass(frozen=True)
class Policy:
    version: str
    no_contact_days: int
    titles: dict[str, dict[str, str]]

    def title(self, code: str) -> str:
        try:
            lang = str(get_locale() or "en")[:2]
        except (RuntimeError, AttributeError):
            lang = "en"
        return self.titles[code].get(lang) or self.titles[code]["en"]


@lru_cache(maxsize=1)
def policy() -> Policy:
    raw = json.loads(CHECKLIST_FILE.read_text(encoding="utf-8"))
    return Policy(raw["version"], int(raw["no_contact_days"]),
                  {i["code"]: {lang: i[f"title_{lang}"] for lang in ("en", "ru", "kk")}
                   for i in raw["items"]})


@dataclass(frozen=True)
class Item:
    code: str
    title: str
    met: bool
    reason: str  # why it is not met ("" when met)


@dataclass(frozen=True)
class Blockers:
    """What refuses a close regardless of the checklist, counted as the system (a referral sent
    by an agency the case is shared with counts though the lead agency does not see it)."""

    measures_in_force: int
    open_referrals: int
    open_high_risk_referrals: int


def blockers(case_id: int, today: date) -> Blockers:
    with acting_as(system_actor("closure check")):
        measures = db.session.execute(select(func.count()).where(
            ProtectiveMeasure.case_id == case_id, ProtectiveMeasure.status == "active",
            ProtectiveMeasure.starts_on <= today, ProtectiveMeasure.ends_on >= today)).scalar()
        rows = db.session.execute(select(Referral.risk_level, func.count()).where(
            Referral.case_id == case_id, Referral.status.in_(OPEN_REFERRAL_STATUSES))
            .group_by(Referral.risk_level)).all()
    return Blockers(int(measures or 0), sum(n for _, n in rows),
                    sum(n for level, n in rows if level == "high"))


def evaluate(row: ClosureChecklist | None, found: Blockers, today: date) -> list[Item]:
    """Each checklist item, met or not, with the reason a close is refused for it."""
    rules = policy()
    quiet_since = today - timedelta(days=rules.no_contact_days)
    quiet = row is not None and row.last_contact_on is not None and (
        row.last_contact_on <= quiet_since)
    settled = found.open_referrals == 0 and found.measures_in_force == 0
    checks = {
        "needs_met": (row is not None and (row.needs_met or quiet), _(
            "The survivor's needs are not marked as met, and the last contact was less than "
            "%(days)d days ago.", days=rules.no_contact_days)),
        "safety_plan_reviewed": (row is not None and row.safety_plan_reviewed,
                                 _("The safety plan has not been reviewed with the survivor.")),
        "told_can_return": (row is not None and row.told_can_return,
                            _("The survivor has not been told she can come back.")),
        "settled": (settled, _("Open referrals: %(referrals)d; protective measures in force: "
                               "%(measures)d. Settle them first.",
                               referrals=found.open_referrals,
                               measures=found.measures_in_force)),
    }
    return [Item(code, rules.title(code), bool(met), "" if met else reason)
            for code, (met, reason) in checks.items()]


def _row(case_id: int) -> ClosureChecklist | None:
    return db.session.execute(select(ClosureChecklist).where(
        ClosureChecklist.case_id == case_id)).scalar_one_or_none()


@scoped
def checklist_for(actor: Actor, case_id: int) -> tuple[Case, ClosureChecklist | None, list[Item]]:
    """The case's checklist as its lead agency's staff see it (audited), else NotVisible."""
    case = cases.writable_case(actor, case_id)
    if not cases.is_owner(actor, case):
        raise NotVisible("case", case_id)
    row = _row(case.id)
    today = cases.local_today()
    audit.record("closure.view", object_type="case", object_id=case.id)
    return case, row, evaluate(row, blockers(case.id, today), today)


@dataclass(frozen=True)
class ChecklistInput:
    needs_met: bool = False
    last_contact_on: date | None = None
    safety_plan_reviewed: bool = False
    told_can_return: bool = False


@scoped
def save_checklist(actor: Actor, case_id: int, data: ChecklistInput, *,
                   expected_version: int | None = None) -> ClosureChecklist:
    """Record what was done; any change clears an earlier sign-off."""
    case, row, _items = checklist_for(actor, case_id)
    if data.last_contact_on is not None and data.last_contact_on > cases.local_today():
        raise DomainError(_("The last contact cannot be in the future."),
                          field="last_contact_on")
    if row is None:
        row = ClosureChecklist(case_id=case.id, updated_by_id=actor.user_id)
        db.session.add(row)
    else:
        cases.check_version(row, expected_version, what=_("closure checklist"))
    row.needs_met, row.last_contact_on = data.needs_met, data.last_contact_on
    row.safety_plan_reviewed, row.told_can_return = data.safety_plan_reviewed, data.told_can_return
    row.checklist_version, row.updated_by_id, row.updated_at = (
        policy().version, actor.user_id, utcnow())
    row.signed_off_by_id = row.signed_off_at = row.spent_at = None
    db.session.flush()
    audit.record("closure.update", object_type="case", object_id=case.id,
                 details={"checklist_version": row.checklist_version})
    return row


@scoped
def sign_off(actor: Actor, case_id: int, *, expected_version: int | None = None
             ) -> ClosureChecklist:
    """The lead agency's manager signs the checklist off, once every item is met."""
    case, row, items = checklist_for(actor, case_id)
    if actor.role != Role.AGENCY_MANAGER:
        raise DomainError(_("Only a manager of the lead agency may sign off the checklist."))
    if row is None:
        raise DomainError(_("Fill in the closure checklist first."))
    cases.check_version(row, expected_version, what=_("closure checklist"))
    unmet = [item.reason for item in items if not item.met]
    if unmet:
        raise DomainError(unmet[0])
    row.signed_off_by_id, row.signed_off_at, row.spent_at = actor.user_id, utcnow(), None
    db.session.flush()
    audit.record("closure.sign_off", object_type="case", object_id=case.id,
                 details={"checklist_version": row.checklist_version})
    return row


def _refusal(message: str) -> DomainError:
    return DomainError(message + " " + _("Open «Closure checklist» on the case page."),
                       field="status")


@hooks.register_close_guard
def guard_close(actor: Any, case: Case) -> None:
    """Refuse a close with the first reason a user can act on; else spend the sign-off."""
    today = cases.local_today()
    found = blockers(case.id, today)
    if found.measures_in_force:
        raise DomainError(_("A protective measure is still in force: the case cannot be closed "
                            "until it ends or is ended early."), field="status")
    if found.open_high_risk_referrals:
        raise DomainError(_("A high-risk referral of this case is still open: the case cannot "
                            "be closed until it is completed or cancelled."), field="status")
    with acting_as(system_actor("closure check")):
        row = _row(case.id)
    if row is None:
        raise _refusal(_("The closure checklist has not been filled in."))
    for item in evaluate(row, found, today):
        if not item.met:
            raise _refusal(item.reason)
    if not row.signed_off:
        raise _refusal(_("A manager of the lead agency has not signed off the closure "
                         "checklist."))
    row.spent_at = utcnow()
    db.session.flush()
    audit.record("closure.sign_off_spent", object_type="case", object_id=case.id)
