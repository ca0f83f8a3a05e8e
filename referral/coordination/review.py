"""The overdue review: what is falling between agencies in the coordinator's region(s).

One query per section, whatever the number of rows (no per-row loading), all run as the
coordinator so the referral and case scopes apply; restricted cases are left out explicitly too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import and_, bindparam, exists, func, literal, null, or_, select, union_all
from sqlalchemy.orm import aliased

from referral.access.scope import Actor, knows_named_on_no_sealed_case
from referral.agencies.models import Agency
from referral.audit import service as audit
from referral.cases.models import Case, CaseStatus, ProtectiveMeasure, RiskLevel
from referral.coordination.common import as_actor, local_today, regions_for
from referral.coordination.sqlstats import referral_not_sealed
from referral.extensions import db
from referral.models_base import utcnow
from referral.referrals.lifecycle import Status
from referral.referrals.models import Referral

DEFAULTS = {
    "COORDINATION_DUE_SOON_HOURS": 24,       # "about to expire": deadline within this many hours
    "COORDINATION_NO_PROGRESS_DAYS": 7,      # accepted, no progress recorded for this many days
    "COORDINATION_MEASURE_ENDING_DAYS": 7,   # protective measure ends within this many days
    "COORDINATION_FOLLOW_UP_DAYS": 14,       # a referral sent this close to the end is follow-up
    # Rows per section on the overview (the count is the full one): the most overdue, to triage;
    # a section opened on its own shows up to COORDINATION_REVIEW_SECTION_ROWS to work through.
    # 10, not 25: six sections of 25 rows were 150 KB of HTML (73 KB now, for a coordinator on
    # a slow rural connection) and half of the page's time (docs/performance.md, fix 55).
    "COORDINATION_REVIEW_ROWS": 10,
    "COORDINATION_REVIEW_SECTION_ROWS": 200,  # rows when one section is opened on its own
}

OVERDUE = "overdue"
DUE_SOON = "due_soon"
HIGH_RISK = "high_risk_unaccepted"
ON_HOLD = "on_hold_past_review"
NO_PROGRESS = "no_progress"
MEASURE_ENDING = "measure_ending"
SECTIONS = (OVERDUE, DUE_SOON, HIGH_RISK, ON_HOLD, NO_PROGRESS, MEASURE_ENDING)
REFERRAL_SECTIONS = frozenset({OVERDUE, DUE_SOON, ON_HOLD, NO_PROGRESS})


def setting(name: str) -> int:
    if has_app_context():
        return int(current_app.config.get(name, DEFAULTS[name]))
    return DEFAULTS[name]


@dataclass(frozen=True)
class Filters:
    region_code: str | None = None
    agency_id: int | None = None
    district_id: int | None = None
    service: str | None = None
    urgency: str | None = None

    @property
    def narrows_referrals_only(self) -> bool:
        return bool(self.service or self.urgency)


@dataclass(frozen=True)
class _Shape(Filters):
    """Which filters are set (their values are parameters), and whether the reader's scope
    may hold restricted cases (named on one): the statements are built once per shape."""

    sealed_in_scope: bool = True


@dataclass(frozen=True)
class Row:
    section: str
    case_id: int
    case_reference: str
    district_id: int | None
    risk_level: str | None
    referral_id: int | None = None
    referral_reference: str | None = None
    receiver_agency_id: int | None = None
    receiver_name: str = ""
    sender_name: str = ""
    service_code: str = ""
    urgency: str = ""
    status: str = ""
    since: datetime | None = None  # deadline, review date, last progress or flagged time
    ends_on: date | None = None
    measure_type: str = ""
    owner_name: str = ""
    # When the receiving agency first opened the referral: an unanswered one is "unopened"
    # without it, "under review" with it.
    opened_at: datetime | None = None
    escalated_at: datetime | None = None  # read after the limit, like the names (_named)

    @property
    def unopened(self) -> bool:
        return self.status == Status.SENT and self.opened_at is None

    @property
    def under_review(self) -> bool:
        return self.status == Status.SENT and self.opened_at is not None


@dataclass
class Review:
    filters: Filters
    now: datetime
    sections: dict[str, list[Row]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)  # a section may show fewer rows

    @property
    def counts(self) -> dict[str, int]:
        return {name: self.totals.get(name, len(rows)) for name, rows in self.sections.items()}

    def truncated(self, name: str) -> bool:
        return self.counts.get(name, 0) > len(self.sections.get(name, ()))

    @property
    def total(self) -> int:
        return sum(self.counts.values())


_receiver = aliased(Agency, name="receiver")
_sender = aliased(Agency, name="sender")
_owner = aliased(Agency, name="owner")
# A table, not an entity: the rows joined are the scoped ones already, by id.
_shown = Referral.__table__.alias("shown")


def _param(name: str, column: Any = None, **kw: Any) -> Any:
    return bindparam(name, type_=getattr(column, "type", None), **kw)


def _referral_query(shape: _Shape) -> Any:
    """The referral sections' own columns, from referrals alone: their case's reference and
    the agencies' names are joined to the few rows shown, after the limit (``_named``).
    ``shape`` says which filters are set; their values, like the regions and times, are
    parameters (see _statement). Restricted cases are left out here, not only by the scope:
    a coordinator named on one does not review it."""
    query = (
        select(Referral.id, Referral.reference, Referral.case_id, Referral.receiver_agency_id,
               Referral.sender_agency_id, Referral.service_code, Referral.urgency,
               Referral.status, Referral.deadline_at, Referral.review_at,
               Referral.accepted_at, Referral.last_progress_at, Referral.received_at)
        .where(Referral.region_code.in_(_param("regions", expanding=True)))
    )
    if shape.sealed_in_scope:
        # Else the referral scope already leaves every restricted case out, and saying it
        # again hashed the nation's restricted ids twice in each section (docs/performance.md).
        query = query.where(referral_not_sealed())
    if shape.agency_id:
        query = query.where(Referral.receiver_agency_id == _param("agency_id"))
    if shape.district_id:  # the case's district, copied and kept in step (region_copy.py)
        query = query.where(Referral.district_id == _param("district_id"))
    if shape.service:
        query = query.where(Referral.service_code == _param("service"))
    if shape.urgency:
        query = query.where(Referral.urgency == _param("urgency"))
    return query


def _named(ordered: Any) -> Any:
    """The referral rows shown, with their case's reference, district and risk and the two
    agencies' names. Joined after each section's limit: a large region has a thousand overdue
    referrals to count, and joining each to its case and agencies before keeping the first 25
    was half of the statement (docs/performance.md)."""
    return (select(ordered, Case.reference.label("case_reference"), Case.district_id,
                   Case.risk_level, _receiver.name.label("receiver_name"),
                   _sender.name.label("sender_name"), _shown.c.escalated_at)
            .join(_shown, _shown.c.id == ordered.c.id)  # the covering indexes lack it (0018)
            .join(Case, Case.id == ordered.c.case_id)
            .join(_receiver, _receiver.id == ordered.c.receiver_agency_id)
            .join(_sender, _sender.id == ordered.c.sender_agency_id))


def _union(parts: list[tuple[str, Any, list[Any]]], limit: int,
           decorate: Any = None) -> Any:
    """Several sections in one statement: each branch keeps its own order, its first rows and,
    in each row, the section's full count (``count(*) OVER ()``, counted before the limit);
    ``decorate`` adds what is shown of the rows kept (joins), if anything.

    A decade of data leaves thousands of stale rows in a large region; the page shows the most
    overdue first and says how many there are, in one round trip for all sections of a kind
    (docs/performance.md).
    """
    branches = []
    for name, query, order in parts:
        ranked = query.add_columns(
            literal(name).label("section"),
            func.count().over().label("section_total"),
            func.row_number().over(order_by=order).label("position"),
        ).order_by(*order).limit(limit).subquery()
        branches.append(select(ranked))
    combined = branches[0] if len(branches) == 1 else union_all(*branches)
    ordered = combined.subquery()
    shown = decorate(ordered) if decorate else select(ordered)
    return shown.order_by(ordered.c.section, ordered.c.position)


@lru_cache(maxsize=128)
def _statement(names: tuple[str, ...], shape: _Shape, limit: int) -> Any:
    """One kind's sections as one statement, built once per shape of filters and reused with
    new parameters: building and keying a six-branch UNION cost more Python time than the
    database spent answering it (docs/performance.md). The scope's criteria are added when it
    runs, as for any statement."""
    decorate = _named if names[0] in REFERRAL_SECTIONS else None
    return _union([(name, *_BUILDERS[name](shape)) for name in names], limit, decorate)


@lru_cache(maxsize=64)
def _count_statement(names: tuple[str, ...], shape: _Shape) -> Any:
    """Every wanted section's count and no row, referral and case sections in one statement:
    the home page's panel shows only the counts, and ranking, limiting and naming rows to
    throw them away was most of its two statements (docs/performance.md)."""
    branches = [select(literal(name).label("section"), func.count().label("section_total"))
                .select_from(_BUILDERS[name](shape)[0].subquery()) for name in names]
    return branches[0] if len(branches) == 1 else union_all(*branches)


def _parameters(regions: list[str], filters: Filters, now: datetime) -> dict[str, Any]:
    today = local_today(now)
    return {
        "regions": regions, "now": now,
        "due_soon_until": now + timedelta(hours=setting("COORDINATION_DUE_SOON_HOURS")),
        "no_progress_before": now - timedelta(days=setting("COORDINATION_NO_PROGRESS_DAYS")),
        "measures_from": today,
        "measures_until": today + timedelta(days=setting("COORDINATION_MEASURE_ENDING_DAYS")),
        "follow_up_from": now - timedelta(days=setting("COORDINATION_FOLLOW_UP_DAYS")),
        "agency_id": filters.agency_id, "district_id": filters.district_id,
        "service": filters.service, "urgency": filters.urgency,
    }


def _total(rows: list[Any]) -> int:
    return rows[0].section_total if rows else 0


def _referral_row(section: str, r: Any) -> Row:
    since = {OVERDUE: r.deadline_at, DUE_SOON: r.deadline_at, ON_HOLD: r.review_at,
             NO_PROGRESS: r.last_progress_at or r.accepted_at}[section]
    return Row(section=section, case_id=r.case_id, case_reference=r.case_reference,
               district_id=r.district_id, risk_level=r.risk_level, referral_id=r.id,
               referral_reference=r.reference, receiver_agency_id=r.receiver_agency_id,
               receiver_name=r.receiver_name, sender_name=r.sender_name,
               service_code=r.service_code, urgency=r.urgency, status=r.status, since=since,
               opened_at=r.received_at, escalated_at=r.escalated_at)


def _overdue(shape: _Shape) -> tuple[Any, list[Any]]:
    """Expired, or past the deadline and not yet swept; not since referred elsewhere."""
    later = aliased(Referral)
    # The case's closing as copied on the referral (``NOT case_closed``, migration 0011): the
    # expired referrals of open cases are then one partial index of the region, not a decade.
    query = _referral_query(shape).where(
        ~Referral.case_closed,
        or_(Referral.status == Status.EXPIRED,
            and_(Referral.status == Status.SENT, Referral.deadline_at < _param("now"))),
        ~exists().where(later.previous_referral_id == Referral.id),
    )
    return query, [Referral.deadline_at, Referral.id]


def _due_soon(shape: _Shape) -> tuple[Any, list[Any]]:
    query = _referral_query(shape).where(
        Referral.status == Status.SENT, Referral.deadline_at >= _param("now"),
        Referral.deadline_at < _param("due_soon_until"),
    )
    return query, [Referral.deadline_at, Referral.id]


def _on_hold(shape: _Shape) -> tuple[Any, list[Any]]:
    query = _referral_query(shape).where(
        Referral.status == Status.ON_HOLD, Referral.review_at < _param("now"),
    )
    return query, [Referral.review_at, Referral.id]


def _no_progress(shape: _Shape) -> tuple[Any, list[Any]]:
    last = func.coalesce(Referral.last_progress_at, Referral.accepted_at)
    query = _referral_query(shape).where(
        Referral.status.in_([Status.ACCEPTED, Status.IN_PROGRESS]),
        last < _param("no_progress_before", Referral.accepted_at),
    )
    return query, [last, Referral.id]


def _case_query(shape: _Shape) -> Any:
    """The case sections' columns: each section fills the ones it has, NULL the others, so
    both go out in one UNION."""
    query = (select(Case.id, Case.reference, Case.district_id, Case.risk_level,
                    _owner.name.label("owner_name"))
             .join(_owner, _owner.id == Case.owner_agency_id)
             .where(Case.restricted.is_(False), Case.status != CaseStatus.CLOSED))
    if shape.region_code:
        # Only when narrowed: the coordinator's case scope already holds the region, and saying
        # it twice made PostgreSQL square its estimate and drive the measures section from the
        # region's 5,000 open cases instead of the week's few hundred ending measures.
        query = query.where(Case.region_code.in_(_param("regions", expanding=True)))
    if shape.agency_id:
        query = query.where(Case.owner_agency_id == _param("agency_id"))
    if shape.district_id:
        query = query.where(Case.district_id == _param("district_id"))
    return query


_referrals = Referral.__table__


def _high_risk(shape: _Shape) -> tuple[Any, list[Any]]:
    # No referral taken up: the case's own flag, kept by triggers on referrals (migration
    # 0015), instead of probing the referrals of each of the region's open high-risk cases.
    query = _case_query(shape).add_columns(
        Case.high_risk_flagged_at.label("since"),
        null().cast(ProtectiveMeasure.ends_on.type).label("ends_on"),
        null().cast(ProtectiveMeasure.measure_type.type).label("measure_type"),
    ).where(Case.risk_level == RiskLevel.HIGH, ~Case.referral_accepted)
    return query, [Case.high_risk_flagged_at.is_(None), Case.high_risk_flagged_at, Case.id]


def _measures_ending(shape: _Shape) -> tuple[Any, list[Any]]:
    """Active measures ending soon with no follow-up: no later measure on the case, and no
    referral sent in the last days before the end."""
    renewal = aliased(ProtectiveMeasure)
    query = _case_query(shape).add_columns(
        null().cast(Case.high_risk_flagged_at.type).label("since"),
        ProtectiveMeasure.ends_on, ProtectiveMeasure.measure_type,
    ).join(
        ProtectiveMeasure, ProtectiveMeasure.case_id == Case.id
    ).where(
        ProtectiveMeasure.status == "active",
        ProtectiveMeasure.ends_on >= _param("measures_from", ProtectiveMeasure.ends_on),
        ProtectiveMeasure.ends_on <= _param("measures_until", ProtectiveMeasure.ends_on),
        ~exists().where(renewal.case_id == ProtectiveMeasure.case_id,
                        renewal.status == "active", renewal.ends_on > ProtectiveMeasure.ends_on),
        ~exists().where(Referral.case_id == Case.id,
                        Referral.sent_at >= _param("follow_up_from", Referral.sent_at)),
    )
    return query, [ProtectiveMeasure.ends_on, Case.id]


def _case_row(section: str, r: Any) -> Row:
    return Row(section=section, case_id=r.id, case_reference=r.reference,
               district_id=r.district_id, risk_level=r.risk_level, owner_name=r.owner_name,
               since=r.since, ends_on=r.ends_on, measure_type=r.measure_type or "")


_BUILDERS = {OVERDUE: _overdue, DUE_SOON: _due_soon, HIGH_RISK: _high_risk, ON_HOLD: _on_hold,
             NO_PROGRESS: _no_progress, MEASURE_ENDING: _measures_ending}


@as_actor
def overdue_review(actor: Actor, *, filters: Filters | None = None,
                   now: datetime | None = None, rows: int | None = None,
                   section: str | None = None) -> Review:
    """Every section of the review for the coordinator's region(s), filtered, or one
    ``section`` alone with more of its rows.

    Two statements: one for the referral sections, one for the case sections. ``rows``: how
    many rows per section (the counts are always whole); ``rows=0`` gives the counts alone,
    in one statement (the home panel). The overview shows each section's most overdue rows; a
    coordinator working through one section opens it on its own (up to
    COORDINATION_REVIEW_SECTION_ROWS).
    """
    if section is not None and section not in SECTIONS:
        section = None
    limit = rows if rows is not None else setting(
        "COORDINATION_REVIEW_SECTION_ROWS" if section else "COORDINATION_REVIEW_ROWS")
    filters = filters or Filters()
    regions = regions_for(actor, filters.region_code)
    now = now or utcnow()
    review = Review(filters=filters, now=now)
    wanted = [name for name in SECTIONS
              if (name in REFERRAL_SECTIONS or not filters.narrows_referrals_only)
              and section in (None, name)]
    shape = _Shape(region_code=filters.region_code and "set",
                   sealed_in_scope=not knows_named_on_no_sealed_case(actor),
                   **{name: bool(getattr(filters, name)) or None
                      for name in ("agency_id", "district_id", "service", "urgency")})
    parameters = _parameters(regions, filters, now)
    found: dict[str, list[Any]] = {name: [] for name in wanted}
    counted: dict[str, int] = {}
    if limit == 0:  # counts only, in one statement
        counted = dict(db.session.execute(_count_statement(tuple(wanted), shape),
                                          parameters).tuples().all())
    else:
        for kind in (REFERRAL_SECTIONS, frozenset(SECTIONS) - REFERRAL_SECTIONS):
            names = tuple(name for name in wanted if name in kind)
            if names:
                for row in db.session.execute(_statement(names, shape, max(1, limit)),
                                              parameters):
                    found[row.section].append(row)
    for name in (section,) if section else SECTIONS:
        rows = found.get(name, [])  # case rows carry no service or urgency: left empty then
        make = _referral_row if name in REFERRAL_SECTIONS else _case_row
        review.sections[name] = [make(name, r) for r in rows]
        review.totals[name] = counted.get(name, 0) if limit == 0 else _total(rows)
    audit.record("coordination.overdue_review", object_type="region",
                 object_id=",".join(regions), details={"counts": review.counts})
    return review
