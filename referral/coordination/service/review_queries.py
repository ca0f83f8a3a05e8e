"""The overdue review's statements: one builder per section, and the UNION of a kind's sections.

Each statement is built once per shape of filters (which are set, not their values) and run
again with new parameters; the scope's criteria are added when it runs, as for any statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, literal, null, or_, select, union_all
from sqlalchemy.orm import aliased

from referral.agencies.models import Agency
from referral.cases.models import Case, CaseStatus, ProtectiveMeasure, RiskLevel
from referral.coordination.stats.sql import referral_not_sealed
from referral.referrals.lifecycle import Status
from referral.referrals.models import Referral

OVERDUE = "overdue"
DUE_SOON = "due_soon"
HIGH_RISK = "high_risk_unaccepted"
ON_HOLD = "on_hold_past_review"
NO_PROGRESS = "no_progress"
MEASURE_ENDING = "measure_ending"
SECTIONS = (OVERDUE, DUE_SOON, HIGH_RISK, ON_HOLD, NO_PROGRESS, MEASURE_ENDING)
REFERRAL_SECTIONS = frozenset({OVERDUE, DUE_SOON, ON_HOLD, NO_PROGRESS})


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
class Shape(Filters):
    """Which filters are set (their values are parameters), and whether the reader's scope
    may hold restricted cases (named on one): the statements are built once per shape."""

    sealed_in_scope: bool = True


_receiver = aliased(Agency, name="receiver")
_sender = aliased(Agency, name="sender")
_owner = aliased(Agency, name="owner")
# A table, not an entity: the rows joined are the scoped ones already, by id.
_shown = Referral.__table__.alias("shown")


def _param(name: str, column: Any = None, **kw: Any) -> Any:
    return bindparam(name, type_=getattr(column, "type", None), **kw)


def _referral_query(shape: Shape) -> Any:
    """The referral sections' own columns, from referrals alone: their case's reference and
    the agencies' names are joined to the few rows shown, after the limit (``_named``).
    ``shape`` says which filters are set; their values, like the regions and times, are
    parameters (see section_statement). Restricted cases are left out here, not only by the scope:
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
        # again would hash the nation's restricted ids twice in each section.
        query = query.where(referral_not_sealed())
    if shape.agency_id:
        query = query.where(Referral.receiver_agency_id == _param("agency_id"))
    if shape.district_id:  # the case's district, copied and kept in step (referrals/models.py)
        query = query.where(Referral.district_id == _param("district_id"))
    if shape.service:
        query = query.where(Referral.service_code == _param("service"))
    if shape.urgency:
        query = query.where(Referral.urgency == _param("urgency"))
    return query


def _named(ordered: Any) -> Any:
    """The referral rows shown, with their case's reference, district and risk and the two
    agencies' names. Joined after each section's limit: a large region has a thousand overdue
    referrals to count, and joining each to its case and agencies before keeping the first few
    would be half of the statement."""
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
    overdue first and says how many there are, in one round trip for all sections of a kind.
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
def section_statement(names: tuple[str, ...], shape: Shape, limit: int) -> Any:
    """One kind's sections as one statement, built once per shape of filters and reused with
    new parameters: building and keying a six-branch UNION costs more Python time than the
    database spends answering it. The scope's criteria are added when it runs, as for any
    statement."""
    decorate = _named if names[0] in REFERRAL_SECTIONS else None
    return _union([(name, *BUILDERS[name](shape)) for name in names], limit, decorate)


@lru_cache(maxsize=64)
def count_statement(names: tuple[str, ...], shape: Shape) -> Any:
    """Every wanted section's count and no row, referral and case sections in one statement:
    the home page's panel shows only the counts, so no row is ranked, limited or named only to
    be thrown away."""
    branches = [select(literal(name).label("section"), func.count().label("section_total"))
                .select_from(BUILDERS[name](shape)[0].subquery()) for name in names]
    return branches[0] if len(branches) == 1 else union_all(*branches)


def _overdue(shape: Shape) -> tuple[Any, list[Any]]:
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


def _due_soon(shape: Shape) -> tuple[Any, list[Any]]:
    query = _referral_query(shape).where(
        Referral.status == Status.SENT, Referral.deadline_at >= _param("now"),
        Referral.deadline_at < _param("due_soon_until"),
    )
    return query, [Referral.deadline_at, Referral.id]


def _on_hold(shape: Shape) -> tuple[Any, list[Any]]:
    query = _referral_query(shape).where(
        Referral.status == Status.ON_HOLD, Referral.review_at < _param("now"),
    )
    return query, [Referral.review_at, Referral.id]


def _no_progress(shape: Shape) -> tuple[Any, list[Any]]:
    last = func.coalesce(Referral.last_progress_at, Referral.accepted_at)
    query = _referral_query(shape).where(
        Referral.status.in_([Status.ACCEPTED, Status.IN_PROGRESS]),
        last < _param("no_progress_before", Referral.accepted_at),
    )
    return query, [last, Referral.id]


def _case_query(shape: Shape) -> Any:
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


def _high_risk(shape: Shape) -> tuple[Any, list[Any]]:
    # No referral taken up: the case's own flag, kept by triggers on referrals (migration
    # 0015), instead of probing the referrals of each of the region's open high-risk cases.
    query = _case_query(shape).add_columns(
        Case.high_risk_flagged_at.label("since"),
        null().cast(ProtectiveMeasure.ends_on.type).label("ends_on"),
        null().cast(ProtectiveMeasure.measure_type.type).label("measure_type"),
    ).where(Case.risk_level == RiskLevel.HIGH, ~Case.referral_accepted)
    return query, [Case.high_risk_flagged_at.is_(None), Case.high_risk_flagged_at, Case.id]


def _measures_ending(shape: Shape) -> tuple[Any, list[Any]]:
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


BUILDERS = {OVERDUE: _overdue, DUE_SOON: _due_soon, HIGH_RISK: _high_risk, ON_HOLD: _on_hold,
             NO_PROGRESS: _no_progress, MEASURE_ENDING: _measures_ending}
