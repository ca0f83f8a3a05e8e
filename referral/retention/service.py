"""Retention: which closed cases are due, the dry-run report, the purge; and legal holds.

The report and the purge read the same query (``purge.Target.counts``), so the dry run lists
exactly what a run would clear: per case, its reference and the number of records of each kind
still holding personal data or free text, never the data. Each case is purged in its own
transaction (a backlog of years never becomes one long lock), re-checked under its row lock so a
hold placed meanwhile wins, and audited with its counts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.sql.elements import ColumnElement

from referral.access import scoped
from referral.access.permissions import Role
from referral.access.scope import Actor, acting_as, system_actor
from referral.audit import service as audit
from referral.cases import page_reads
from referral.cases.hooks import register_case_page_read
from referral.cases.models import Case
from referral.cases.scope import reads_every_category
from referral.cases.service import load_case
from referral.errors import DomainError, NotVisible
from referral.extensions import db
from referral.models_base import utcnow
from referral.retention import documents as retained_documents
from referral.retention import policy, purge
from referral.retention.models import LegalHold

MAX_REASON = 1000
PAGE_PART = "legal_hold"
HOLD_ROLES = (Role.COORDINATOR, Role.AGENCY_MANAGER)
REPORT_ROLES = (Role.COORDINATOR, Role.ADMINISTRATOR)


@dataclass
class DueCase:
    case_id: int
    reference: str
    region_code: str
    closed_at: datetime | None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


# --- what is due ---------------------------------------------------------------------------------


def _due_counts(now: datetime, only_case: int | None = None) -> dict[int, dict[str, int]]:
    """{case id: {kind: records with content}} for every due case (or the one asked)."""
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for kind in policy.kinds():
        due = purge.due_case_ids(policy.cutoff(kind, now))
        if only_case is not None:
            due = due.where(Case.__table__.c.id == only_case)
        queries = [target.counts(due) for target in purge.TARGETS.get(kind.code, [])]
        if kind.code == "people":
            queries.append(purge.people_counts(due))
        if kind.code == "documents":
            queries.append(retained_documents.counts(due))
        for query in queries:
            for case_id, count in db.session.execute(query):
                found[case_id][kind.code] = found[case_id].get(kind.code, 0) + count
    return {case_id: counts for case_id, counts in found.items() if any(counts.values())}


def due_cases(*, now: datetime | None = None,
              regions: Iterable[str] | None = None) -> list[DueCase]:
    """The dry run: cases a purge at ``now`` would clear, with counts per kind (no content).

    Read as the system (a report across scopes of references and counts only); ``regions``
    narrows it to a coordinator's regions."""
    now = now or utcnow()
    with acting_as(system_actor("retention report")):
        counts = _due_counts(now)
        if not counts:
            return []
        cases = Case.__table__
        query = select(cases.c.id, cases.c.reference, cases.c.region_code,
                       cases.c.closed_at).where(cases.c.id.in_(sorted(counts)))
        if regions is not None:
            query = query.where(cases.c.region_code.in_(sorted(regions)))
        rows = db.session.execute(query.order_by(cases.c.closed_at, cases.c.id)).all()
    return [DueCase(r.id, r.reference, r.region_code, r.closed_at, counts[r.id]) for r in rows]


def report_for(actor: Actor, *, now: datetime | None = None) -> list[DueCase]:
    """The dry run as an administrator (every region) or a coordinator (their regions) sees it."""
    if actor.role not in REPORT_ROLES:
        raise NotVisible("retention", None)
    regions = None if actor.role == Role.ADMINISTRATOR else sorted(actor.region_ids)
    rows = due_cases(now=now, regions=regions)
    audit.record("retention.report", details={"cases": len(rows)})
    return rows


# --- the purge -----------------------------------------------------------------------------------


def purge_case(case_id: int, *, now: datetime) -> dict[str, int]:
    """Clear what is due of one case in the current transaction; audited with the counts.

    The case's row is locked first (PostgreSQL; SQLite's writer holds the database), then due
    and hold are checked again: a hold placed since the report wins."""
    with acting_as(system_actor("retention purge")):
        cases = Case.__table__
        locked = db.session.execute(select(cases.c.id).where(cases.c.id == case_id)
                                    .with_for_update()).scalar_one_or_none()
        if locked is None:
            return {}
        counts: dict[str, int] = {}
        for kind in policy.kinds():
            due = purge.due_case_ids(policy.cutoff(kind, now)).where(cases.c.id == case_id)
            cleared = sum(target.clear(due) for target in purge.TARGETS.get(kind.code, []))
            if kind.code == "people":
                cleared += purge.clear_people(due, purge.due_case_ids(policy.cutoff(kind, now)))
            if kind.code == "documents":
                cleared += retained_documents.purge(due)
            if cleared:
                counts[kind.code] = cleared
        if counts:
            audit.record("retention.purge", object_type="case", object_id=case_id,
                         details={"counts": counts, "policy": policy.basis().version})
    return counts


@dataclass
class RunResult:
    dry_run: bool
    cases: list[DueCase]
    purged: dict[int, dict[str, int]] = field(default_factory=dict)


def run(*, now: datetime | None = None, dry_run: bool = False,
        commit: Callable[[Callable[[], object]], object] | None = None) -> RunResult:
    """Find the due cases and (unless ``dry_run``) purge each in its own transaction.

    ``commit(action)`` runs one case's action and commits it (the CLI's and the task's
    ``run_action``); without it the caller commits."""
    now = now or utcnow()
    found = due_cases(now=now)
    db.session.commit()  # end the reading transaction before the writes
    result = RunResult(dry_run, found)
    if dry_run:
        return result
    for row in found:
        def action(case_id: int = row.case_id) -> dict[str, int]:
            return purge_case(case_id, now=now)
        counts = commit(action) if commit else action()
        if counts:
            result.purged[row.case_id] = counts  # type: ignore[assignment]
    return result


# --- legal holds ---------------------------------------------------------------------------------


def may_hold(actor: Actor, case: Case) -> bool:
    """Coordinators of the case's region and managers of the agency that leads it (not those
    who see it through a referral or emergency access)."""
    return (actor.role in HOLD_ROLES and not actor.is_system
            and reads_every_category(actor, case))


def _reason(text: str, field_name: str) -> str:
    reason = (text or "").strip()
    if not reason:
        raise DomainError(_("Give the reason."), field=field_name)
    if len(reason) > MAX_REASON:
        raise DomainError(_("A reason holds at most %(num)d characters.", num=MAX_REASON),
                          field=field_name)
    return reason


def _holdable_case(actor: Actor, case_id: int) -> Case:
    case = load_case(actor, case_id)
    if not may_hold(actor, case):
        raise NotVisible("case", case_id)
    # Orders this hold with a purge of the same case (purge_case locks the row too).
    db.session.execute(select(Case.__table__.c.id).where(Case.__table__.c.id == case_id)
                       .with_for_update())
    return case


@scoped
def place_hold(actor: Actor, case_id: int, *, reason: str) -> LegalHold:
    case = _holdable_case(actor, case_id)
    text = _reason(reason, "reason")
    if active_hold(case.id) is not None:
        raise DomainError(_("A legal hold is already in force on this case."))
    hold = LegalHold(case_id=case.id, placed_by_id=actor.user_id, reason=text)
    db.session.add(hold)
    db.session.flush()
    audit.record("legal_hold.place", object_type="case", object_id=case.id,
                 details={"hold": hold.id})
    return hold


@scoped
def release_hold(actor: Actor, hold_id: int, *, reason: str) -> LegalHold:
    hold = db.session.execute(select(LegalHold).where(LegalHold.id == hold_id)
                              ).scalar_one_or_none()
    if hold is None:
        raise NotVisible("legal_hold", hold_id)
    _holdable_case(actor, hold.case_id)
    text = _reason(reason, "release_reason")
    if hold.released_at is not None:
        raise DomainError(_("This legal hold was already released."))
    hold.released_at = utcnow()
    hold.released_by_id = actor.user_id
    hold.release_reason = text
    db.session.flush()
    audit.record("legal_hold.release", object_type="case", object_id=hold.case_id,
                 details={"hold": hold.id})
    return hold


def active_hold(case_id: int) -> LegalHold | None:
    """The hold in force on a case (scoped to the current actor)."""
    return db.session.execute(select(LegalHold).where(
        LegalHold.case_id == case_id, LegalHold.released_at.is_(None))
        .order_by(LegalHold.id.desc())).scalars().first()


@scoped
def case_hold(actor: Actor, case_id: int) -> LegalHold | None:
    joined = page_reads.held(actor, case_id, PAGE_PART)
    return active_hold(case_id) if joined is page_reads.MISSING else joined


@register_case_page_read(PAGE_PART)
def _hold_on_case_page(actor: Actor, statement: Select[Any], whole: ColumnElement[bool]
                       ) -> tuple[Select[Any], Callable[[Sequence[Any]], Any]] | None:
    """The hold in force joined into the case page's statement, for those who may place or
    release one (``may_hold``): the newest, so the page's rows stay one per person."""
    if actor.role not in HOLD_ROLES or actor.is_system:
        return None
    other = aliased(LegalHold)
    newest = (select(func.max(other.id))
              .where(other.case_id == Case.id, other.released_at.is_(None)).scalar_subquery())
    joined = (statement.add_columns(LegalHold)
              .outerjoin(LegalHold, and_(LegalHold.id == newest, whole))
              .options(joinedload(LegalHold.placed_by)))
    return joined, lambda rows: rows[0]._mapping[LegalHold]


@scoped
def list_holds(actor: Actor, *, in_force_only: bool = True, limit: int = 200) -> list[LegalHold]:
    """The holds on cases the actor sees, newest first (the "Legal holds" page)."""
    if actor.role not in HOLD_ROLES:
        return []
    query = (select(LegalHold).options(joinedload(LegalHold.case), joinedload(LegalHold.placed_by),
                                       joinedload(LegalHold.released_by))
             .order_by(LegalHold.placed_at.desc(), LegalHold.id.desc()).limit(limit))
    if in_force_only:
        query = query.where(LegalHold.released_at.is_(None))
    holds = list(db.session.execute(query).unique().scalars())
    audit.record("legal_hold.list", details={"holds": [h.id for h in holds]})
    return holds
