"""The overdue review: what is falling between agencies in the coordinator's region(s).

One query per section, whatever the number of rows (no per-row loading), all run as the
coordinator so the referral and case scopes apply; restricted cases are left out explicitly too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app, has_app_context

from referral.access import scoped
from referral.access.scope import Actor, knows_named_on_no_sealed_case
from referral.audit import service as audit
from referral.coordination.coordinators import regions_for
from referral.coordination.local_time import local_today
from referral.coordination.service import review_queries
from referral.coordination.service.review_queries import (
    DUE_SOON,
    HIGH_RISK,
    MEASURE_ENDING,
    NO_PROGRESS,
    ON_HOLD,
    OVERDUE,
    REFERRAL_SECTIONS,
    SECTIONS,
    Filters,
)
from referral.extensions import db
from referral.models_base import utcnow
from referral.referrals.lifecycle import Status

__all__ = ["DEFAULTS", "DUE_SOON", "HIGH_RISK", "MEASURE_ENDING", "NO_PROGRESS", "ON_HOLD",
           "OVERDUE", "REFERRAL_SECTIONS", "SECTIONS", "Filters", "Review", "Row",
           "overdue_review", "setting"]

DEFAULTS = {
    "COORDINATION_DUE_SOON_HOURS": 24,       # "about to expire": deadline within this many hours
    "COORDINATION_NO_PROGRESS_DAYS": 7,      # accepted, no progress recorded for this many days
    "COORDINATION_MEASURE_ENDING_DAYS": 7,   # protective measure ends within this many days
    "COORDINATION_FOLLOW_UP_DAYS": 14,       # a referral sent this close to the end is follow-up
    # Rows per section on the overview (the count is the full one): the most overdue, to triage;
    # a section opened on its own shows up to COORDINATION_REVIEW_SECTION_ROWS to work through.
    # 10: the page stays small for a coordinator on a slow rural connection (six sections of 25
    # rows would be twice the HTML and half of the page's time).
    "COORDINATION_REVIEW_ROWS": 10,
    "COORDINATION_REVIEW_SECTION_ROWS": 200,  # rows when one section is opened on its own
}


def setting(name: str) -> int:
    if has_app_context():
        return int(current_app.config.get(name, DEFAULTS[name]))
    return DEFAULTS[name]


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


def _case_row(section: str, r: Any) -> Row:
    return Row(section=section, case_id=r.id, case_reference=r.reference,
               district_id=r.district_id, risk_level=r.risk_level, owner_name=r.owner_name,
               since=r.since, ends_on=r.ends_on, measure_type=r.measure_type or "")




@scoped
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
    shape = review_queries.Shape(region_code=filters.region_code and "set",
                   sealed_in_scope=not knows_named_on_no_sealed_case(actor),
                   **{name: bool(getattr(filters, name)) or None
                      for name in ("agency_id", "district_id", "service", "urgency")})
    parameters = _parameters(regions, filters, now)
    found: dict[str, list[Any]] = {name: [] for name in wanted}
    counted: dict[str, int] = {}
    if limit == 0:  # counts only, in one statement
        counted = dict(db.session.execute(review_queries.count_statement(tuple(wanted), shape),
                                          parameters).tuples().all())
    else:
        for kind in (REFERRAL_SECTIONS, frozenset(SECTIONS) - REFERRAL_SECTIONS):
            names = tuple(name for name in wanted if name in kind)
            if names:
                statement = review_queries.section_statement(names, shape, max(1, limit))
                for row in db.session.execute(statement, parameters):
                    found[row.section].append(row)
    for name in (section,) if section else SECTIONS:
        rows = found.get(name, [])  # case rows carry no service or urgency: left empty then
        make = _referral_row if name in REFERRAL_SECTIONS else _case_row
        review.sections[name] = [make(name, r) for r in rows]
        review.totals[name] = counted.get(name, 0) if limit == 0 else _total(rows)
    audit.record("coordination.overdue_review", object_type="region",
                 object_id=",".join(regions), details={"counts": review.counts})
    return review
