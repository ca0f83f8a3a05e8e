"""Case rules: open, read, change, find cases; the timeline. Callers commit.

Every function takes the actor first and runs its queries under ``acting_as(actor)``, so the one
scope rule of referral.cases.scope applies; reads of a case are audited as "case.view".
Participants, incidents, risk, measures and notes have their own modules beside this one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import wraps
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, case, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from referral.access.permissions import Permission, role_can
from referral.access.scope import Actor, acting_as
from referral.accounts.models import User
from referral.agencies.models import District, Region
from referral.audit import service as audit
from referral.audit.models import AuditEvent
from referral.cases import hooks
from referral.cases.models import (
    Case,
    CaseMember,
    CaseParticipant,
    CaseSequence,
    CaseStatus,
    ParticipantRole,
    TimelineEntry,
)
from referral.cases.scope import (
    DATA_CATEGORIES,
    read_only_reach,
    reads_every_category,
    reads_every_category_sql,
    visible_categories,
)
from referral.errors import DomainError, IllegalTransition, NotVisible, ReadOnlyAccess, StaleEdit
from referral.events.service import emit
from referral.extensions import db
from referral.models_base import utcnow
from referral.web.memo import TransactionMemo

CLOSED_REASONS = {
    "safe_no_further_risk": _l("Safe: no further risk identified"),
    "moved_away": _l("Family moved out of the area"),
    "transferred": _l("Transferred to another agency"),
    "survivor_declined": _l("Survivor declined further support"),
    "duplicate": _l("Duplicate of another case"),
    "death": _l("Death"),
    "other": _l("Other reason"),
}
LANGUAGES = {"kk": _l("Kazakh"), "ru": _l("Russian"), "en": _l("English"), "uz": _l("Uzbek"),
             "ug": _l("Uyghur"), "other": _l("Other")}
PAGE_SIZE = 25


# --- access helpers ------------------------------------------------------------------------------

F = TypeVar("F", bound=Callable[..., object])


def scoped(fn: F) -> F:
    """Run a service with its actor as the scope of every query it makes (and flushes)."""

    @wraps(fn)
    def wrapper(actor: Actor | None, *args: object, **kwargs: object) -> object:
        if actor is None:
            return fn(actor, *args, **kwargs)
        with acting_as(actor):
            return fn(actor, *args, **kwargs)

    return wrapper  # type: ignore[return-value]



# An audit row changes nothing anyone may see; any other write may (a restriction, a share).
_loaded_cases = TransactionMemo("cases_loaded", lambda obj: not isinstance(obj, AuditEvent))


def load_case(actor: Actor, case_id: int) -> Case:
    """The case, read fresh through the actor's scope, else NotVisible.

    A page asks for its case from several services (participants, safe contact, notes…); within
    one transaction and until its next write, the same actor gets the row already checked
    instead of the same scoped query again (referral/web/memo.py).
    """
    if db.session().in_transaction():
        found = _loaded_cases.entries().get((actor, case_id))
        if found is not None:
            return found
    with acting_as(actor):
        case = db.session.execute(_case_query(case_id)).scalar_one_or_none()
    return _checked(actor, case_id, case)


def _case_query(case_id: int) -> Select[Any]:
    return (select(Case).where(Case.id == case_id)
            .options(joinedload(Case.region), joinedload(Case.district),
                     joinedload(Case.owner_agency))
            .execution_options(populate_existing=True))


def _checked(actor: Actor, case_id: int, case: Case | None) -> Case:
    """NotVisible unless the scoped read found the case and the role reads cases; remembered
    for the rest of the transaction (``load_case``)."""
    if case is None or not role_can(actor.role, Permission.CASE_READ):
        raise NotVisible("case", case_id)
    if read_only_reach(actor, case):  # every read through emergency access is audited as such
        from referral.cases.emergency import record_emergency_read

        record_emergency_read(actor, case)
    _loaded_cases.entries()[(actor, case_id)] = case
    return case


@scoped
def get_case_for(actor: Actor, case_id: int) -> Case:
    """The case if the actor may see it (audited "case.view"), else NotVisible."""
    case = load_case(actor, case_id)
    audit.record("case.view", object_type="case", object_id=case.id)
    return case


@scoped
def open_case_page(actor: Actor, case_id: int) -> tuple[Case, list[CaseParticipant]]:
    """The case page's case (audited "case.view", else NotVisible) and the people it shows.

    An owner or coordinator of the region reads every category, so the people come with the case
    in one statement: the join on them carries that condition (``reads_every_category_sql``)
    beside the scope, so a person's details are never read for someone who may not see them.
    Anyone else (an agency the case is shared with) gets them from ``list_participants`` once
    their categories include identity and contact details; without them, no one.
    """
    with acting_as(actor):
        rows = db.session.execute(
            _case_query(case_id)
            .add_columns(CaseParticipant)
            .outerjoin(CaseParticipant, and_(CaseParticipant.case_id == Case.id,
                                             reads_every_category_sql(actor)))
            .options(joinedload(CaseParticipant.safe_contact))
            .order_by(CaseParticipant.id)
        ).all()
    case = _checked(actor, case_id, rows[0][0] if rows else None)
    audit.record("case.view", object_type="case", object_id=case.id)
    if reads_every_category(actor, case):
        return case, _in_page_order([p for _c, p in rows if p is not None])
    if "identity_contact" not in visible_categories(actor, case):
        return case, []
    return case, list_participants(actor, case_id)


@scoped
def is_owner(actor: Actor, case: Case) -> bool:
    return actor.agency_id is not None and case.owner_agency_id == actor.agency_id


@scoped
def can_contribute(actor: Actor, case: Case, category: str | None = None) -> bool:
    """Owner-agency staff may change everything; agencies the case is shared with may add what
    falls in a category they read (``category``), and notes (category "notes")."""
    if not role_can(actor.role, Permission.CASE_WRITE):
        return False
    if is_owner(actor, case):
        return True
    if read_only_reach(actor, case):
        return False
    if category == "notes":
        return True
    return category is not None and category in visible_categories(actor, case, writing=True)


def refuse_read_only(actor: Actor, case: Case) -> None:
    """ReadOnlyAccess when the actor reads ``case`` through emergency access only (for services
    of other domains that change something from a case, e.g. sending a referral)."""
    if read_only_reach(actor, case):
        raise ReadOnlyAccess(_("You opened this case with emergency access: you may read it, "
                               "not change it. Ask the agency that leads the case."),
                             case_id=case.id)


@scoped
def writable_case(actor: Actor, case_id: int, category: str | None = None) -> Case:
    """The case for a change by ``actor``; NotVisible when they may not make it, ReadOnlyAccess
    (a clear message) when they read it through emergency access."""
    case = load_case(actor, case_id)
    if not can_contribute(actor, case, category):
        refuse_read_only(actor, case)
        raise NotVisible("case", case_id)
    return case


def check_version(obj: object, expected: int | None, *, what: str) -> None:
    if expected is not None and getattr(obj, "version") != expected:  # noqa: B009
        raise StaleEdit(_(
            "Someone else saved this %(what)s while you were editing it. Their version is shown "
            "below; your changes are still in the form. Check both and save again.", what=what))


# --- timeline ------------------------------------------------------------------------------------


@scoped
def add_timeline_entry(actor: Actor | None, case_id: int, kind: str, *,
                       category: str | None = None, object_type: str | None = None,
                       object_id: int | None = None, **data: int | str | None) -> TimelineEntry:
    """Add one line to a case's timeline (other domains may call this too). Ids and codes only."""
    entry = TimelineEntry(**timeline_values(actor, case_id, kind, category=category,
                                            object_type=object_type, object_id=object_id, **data))
    db.session.add(entry)
    db.session.flush()
    return entry


def timeline_values(actor: Actor | None, case_id: int, kind: str, *,
                    category: str | None = None, object_type: str | None = None,
                    object_id: int | None = None, **data: int | str | None) -> dict[str, Any]:
    """A timeline line's column values: for callers that insert many lines in one statement."""
    return {"case_id": case_id, "kind": kind, "category": category, "object_type": object_type,
            "object_id": object_id, "data": dict(data),
            "actor_user_id": actor.user_id if actor else None,
            "actor_agency_id": actor.agency_id if actor else None}


@scoped
def list_timeline(actor: Actor, case: Case, *, limit: int = 200) -> list[TimelineEntry]:
    """Newest first; only entries of the data categories the actor reads."""
    categories = visible_categories(actor, case)
    allowed: list[str | None] = [*categories, "notes"] if categories == frozenset(
        DATA_CATEGORIES) else list(categories)
    with acting_as(actor):
        query = select(TimelineEntry).where(
            TimelineEntry.case_id == case.id,
            or_(TimelineEntry.category.is_(None), TimelineEntry.category.in_(allowed)),
        ).order_by(TimelineEntry.at.desc(), TimelineEntry.id.desc()).limit(limit)
        return list(db.session.execute(query).scalars())


# --- opening and changing a case -----------------------------------------------------------------


@dataclass(frozen=True)
class CaseInput:
    region_code: str
    district_id: int | None = None
    address: str = ""
    languages: tuple[str, ...] = ()


def new_creation_token() -> str:
    return str(uuid.uuid4())


def local_today() -> date:
    zone = ZoneInfo(current_app.config.get("DISPLAY_TIMEZONE", "Asia/Almaty"))
    return datetime.now(UTC).astimezone(zone).date()


def local_date(moment: datetime) -> date:
    zone = ZoneInfo(current_app.config.get("DISPLAY_TIMEZONE", "Asia/Almaty"))
    return moment.astimezone(zone).date()


def local_day_start(day: date) -> datetime:
    zone = ZoneInfo(current_app.config.get("DISPLAY_TIMEZONE", "Asia/Almaty"))
    return datetime.combine(day, time(), zone).astimezone(UTC)


def next_reference(region_code: str, year: int) -> str:
    """KZ-<region number>-<year>-<6 digits>, from a per region and year counter.

    The counter moves by one atomic UPDATE … RETURNING in the action's own transaction: on
    PostgreSQL the row lock orders concurrent requests; on SQLite the single writer does
    (``referral.web.transaction.run_action`` waits for it or runs the action again). Creating the
    counter row races too: the loser's savepoint rolls back and it bumps the winner's row.
    """
    table = CaseSequence.__table__
    bump = (update(table).where(table.c.region_code == region_code, table.c.year == year)
            .values(last_value=table.c.last_value + 1).returning(table.c.last_value))
    for _attempt in range(3):
        value = db.session.execute(bump).scalar_one_or_none()
        if value is not None:
            return f"{region_code}-{year}-{value:06d}"
        try:
            with db.session.begin_nested():
                db.session.execute(insert(table).values(region_code=region_code, year=year,
                                                        last_value=0))
        except IntegrityError:
            pass
    raise RuntimeError("could not allocate a case reference")


def _check_place(data: CaseInput) -> None:
    if db.session.get(Region, data.region_code) is None:
        raise DomainError(_("Choose the region of the case."), field="region_code")
    if data.district_id is not None:
        district = db.session.get(District, data.district_id)
        if district is None or district.region_code != data.region_code:
            raise DomainError(_("The district chosen is not in the region chosen. Choose a "
                                "district of that region, or none."), field="district_id")
    unknown = set(data.languages) - set(LANGUAGES)
    if unknown:
        raise DomainError(_("Choose languages from the list."), field="languages")


@scoped
def find_case_by_token(actor: Actor, token: str) -> Case | None:
    with acting_as(actor):
        return db.session.execute(
            select(Case).where(Case.creation_token == token)
        ).scalar_one_or_none()


@scoped
def open_case(actor: Actor, data: CaseInput, *, creation_token: str) -> Case:
    """Open a case owned by the actor's agency. The same token twice gives the same case."""
    if not role_can(actor.role, Permission.CASE_CREATE) or actor.agency_id is None:
        raise NotVisible("case", None)
    existing = find_case_by_token(actor, creation_token)
    if existing is not None:
        return existing
    _check_place(data)
    reference = next_reference(data.region_code, local_today().year)
    case = Case(
        reference=reference, region_code=data.region_code, district_id=data.district_id,
        owner_agency_id=actor.agency_id, created_by_id=actor.user_id,
        status=CaseStatus.OPEN, address=data.address.strip(),
        languages=",".join(data.languages), creation_token=creation_token,
    )
    db.session.add(case)
    db.session.flush()
    audit.record("case.create", object_type="case", object_id=case.id)
    add_timeline_entry(actor, case.id, "case.opened", object_type="case", object_id=case.id)
    emit("case.opened", subject_type="case", subject_id=case.id,
         agency_id=actor.agency_id, region=case.region_code)
    return case


@scoped
def update_case(actor: Actor, case_id: int, data: CaseInput, *, expected_version: int) -> Case:
    case = writable_case(actor, case_id)
    check_version(case, expected_version, what=_("case"))
    _check_place(data)
    case.region_code = data.region_code
    case.district_id = data.district_id
    case.address = data.address.strip()
    case.languages = ",".join(data.languages)
    db.session.flush()
    audit.record("case.update", object_type="case", object_id=case.id)
    add_timeline_entry(actor, case.id, "case.updated", object_type="case", object_id=case.id)
    return case


STATUS_TRANSITIONS = {
    CaseStatus.OPEN: {CaseStatus.MONITORING, CaseStatus.CLOSED},
    CaseStatus.MONITORING: {CaseStatus.OPEN, CaseStatus.CLOSED},
    CaseStatus.CLOSED: {CaseStatus.OPEN},
}


@scoped
def change_status(actor: Actor, case_id: int, *, status: str, reason: str | None = None,
                  expected_version: int | None = None) -> Case:
    """Open / monitoring / closed (with a coded reason); a closed case can be reopened."""
    case = writable_case(actor, case_id)
    check_version(case, expected_version, what=_("case"))
    try:
        target = CaseStatus(status)
    except ValueError:
        raise DomainError(_("Choose a status from the list."), field="status") from None
    if target not in STATUS_TRANSITIONS[CaseStatus(case.status)]:
        raise IllegalTransition(_("A case cannot go from this status to the one chosen."),
                                field="status")
    if target == CaseStatus.CLOSED and reason not in CLOSED_REASONS:
        raise DomainError(_("Choose the reason for closing the case."), field="reason")
    if target == CaseStatus.CLOSED:
        hooks.check_close(actor, case)
    before = case.status
    done = db.session.execute(
        update(Case.__table__).where(Case.__table__.c.id == case.id,
                                     Case.__table__.c.status == before)
        .values(status=target.value, version=Case.__table__.c.version + 1,
                closed_reason=reason if target == CaseStatus.CLOSED else None,
                closed_at=utcnow() if target == CaseStatus.CLOSED else None,
                updated_at=utcnow())
    ).rowcount
    if done != 1:
        raise StaleEdit(_("Someone else changed the status of this case first. Reload the page."))
    db.session.refresh(case)
    audit.record("case.status", object_type="case", object_id=case.id,
                 details={"from": before, "to": target.value, "reason": reason})
    add_timeline_entry(actor, case.id, "case.status", object_type="case", object_id=case.id,
                       status_from=before, status_to=target.value, reason=reason)
    return case


@scoped
def set_restriction(actor: Actor, case_id: int, *, restricted: bool, member_ids: list[int],
                    expected_version: int | None = None) -> Case:
    """Mark a case restricted and name who may see it; the actor is always named."""
    case = writable_case(actor, case_id)
    check_version(case, expected_version, what=_("case"))
    members = set(member_ids) | {actor.user_id}
    users = db.session.execute(select(User).where(User.id.in_(members))).scalars().all()
    if len(users) != len(members):
        raise DomainError(_("Choose people from the list."), field="members")
    db.session.execute(CaseMember.__table__.delete().where(CaseMember.case_id == case.id))
    if restricted:
        for user in users:
            db.session.add(CaseMember(case_id=case.id, user_id=user.id))
    case.restricted = restricted
    db.session.flush()
    audit.record("case.restrict", object_type="case", object_id=case.id,
                 details={"restricted": restricted, "members": sorted(members) if restricted
                          else []})
    add_timeline_entry(actor, case.id, "case.restricted" if restricted else "case.unrestricted",
                       object_type="case", object_id=case.id)
    return case


@scoped
def restriction_candidates(actor: Actor, case: Case) -> list[User]:
    """Who can be named on a restricted case: staff of the owner agency and region coordinators."""
    from referral.access.permissions import Role

    agency_staff = select(User).where(User.agency_id == case.owner_agency_id,
                                      User.is_active_account.is_(True))
    users = list(db.session.execute(agency_staff.order_by(User.full_name)).scalars())
    coords = db.session.execute(
        select(User).where(User.role == Role.COORDINATOR, User.is_active_account.is_(True))
        .order_by(User.full_name)
    ).scalars()
    users += [u for u in coords if case.region_code in u.region_codes]
    return users


def case_member_ids(case_id: int) -> list[int]:
    return list(db.session.execute(
        select(CaseMember.user_id).where(CaseMember.case_id == case_id)).scalars())


# --- participants (read API used by other domains) ----------------------------------------------


@scoped
def list_participants(actor: Actor, case_id: int, *, roles: tuple[str, ...] = ()) -> list[
        CaseParticipant]:
    """People of a visible case (NotVisible otherwise), survivors first. Not audited on its own:
    callers show them on a page whose view is audited."""
    case = load_case(actor, case_id)
    with acting_as(actor):
        # The safe contact is joined in: pages show it for each survivor (one lazy query each).
        query = (select(CaseParticipant).where(CaseParticipant.case_id == case.id)
                 .options(joinedload(CaseParticipant.safe_contact)))
        if roles:
            query = query.where(CaseParticipant.role.in_(roles))
        rows = list(db.session.execute(query.order_by(CaseParticipant.id)).unique().scalars())
    categories = visible_categories(actor, case)
    if "children" not in categories:
        rows = [p for p in rows if p.role != ParticipantRole.CHILD]
    return _in_page_order(rows)


def _in_page_order(rows: list[CaseParticipant]) -> list[CaseParticipant]:
    """Survivors first, then by role; in a role, in the order they were added."""
    order = {r.value: i for i, r in enumerate(ParticipantRole)}
    return sorted(rows, key=lambda p: order.get(p.role, 99))


@scoped
def get_participant(actor: Actor, participant_id: int) -> CaseParticipant:
    """One participant of a case the actor sees (audited), else NotVisible."""
    with acting_as(actor):
        participant = db.session.execute(
            select(CaseParticipant).where(CaseParticipant.id == participant_id)
        ).unique().scalar_one_or_none()
    if participant is None or not role_can(actor.role, Permission.CASE_READ):
        raise NotVisible("participant", participant_id)
    audit.record("participant.view", object_type="participant", object_id=participant.id,
                 details={"case_id": participant.case_id})
    return participant


# --- finding cases -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFilters:
    status: str = ""
    risk: str = ""
    region: str = ""
    district_id: int | None = None
    agency_id: int | None = None
    repeat: bool = False
    opened_from: date | None = None
    opened_to: date | None = None
    sort: str = "newest"


SORTS = ("newest", "oldest", "risk", "reference")


def _ordering(sort: str) -> tuple[Any, ...]:
    """The list's order for ``sort`` (newest first when unknown); ids break ties."""
    if sort == "oldest":
        return Case.created_at.asc(), Case.id.asc()
    if sort == "risk":
        return Case.high_risk_flagged_at.desc().nulls_last(), Case.created_at.desc(), Case.id.desc()
    if sort == "reference":
        return (Case.reference.asc(),)
    return Case.created_at.desc(), Case.id.desc()


def _filtered(filters: CaseFilters) -> Select:
    query = select(Case)
    if filters.status:
        query = query.where(Case.status == filters.status)
    if filters.risk:
        query = query.where(Case.risk_level == filters.risk)
    if filters.region:
        query = query.where(Case.region_code == filters.region)
    if filters.district_id:
        query = query.where(Case.district_id == filters.district_id)
    if filters.agency_id:
        query = query.where(Case.owner_agency_id == filters.agency_id)
    if filters.repeat:
        query = query.where(Case.is_repeat.is_(True))
    if filters.opened_from:
        query = query.where(Case.created_at >= local_day_start(filters.opened_from))
    if filters.opened_to:
        query = query.where(
            Case.created_at < local_day_start(filters.opened_to + timedelta(days=1)))
    return query


@dataclass
class CasePage:
    cases: list[Case]
    total: int  # exact, or the cap when ``more`` (there are more than that)
    page: int
    pages: int  # known only when the total is exact; otherwise the pages up to ``page``
    more: bool = False
    has_next: bool = False


def count_cap() -> int:
    return int(current_app.config.get("CASE_LIST_COUNT_CAP", 1000))


def _page_statement(query: Select, sort: str, *, offset: int, page_size: int,
                    window: int) -> Select:
    """One statement for a page of the list and its capped count.

    ``capped``: the first ``window`` cases in the list's order, numbered; ``kept``: how many
    that is (the count, up to the window). The page is the rows of ``capped`` from ``offset``
    (moved back to the last page when it is past the end) plus one, to know whether a next page
    follows; their agencies, districts and regions are joined to those rows only. One row
    with no case comes back when nothing matches, so the count is always read.

    One statement where there were two (a count, then the page) that each read the officer's
    whole scope, and the names joined to 26 rows instead of to every row before the sort
    (docs/performance.md, fix 59).
    """
    order = _ordering(sort)
    capped = (query.with_only_columns(Case.id, func.row_number().over(order_by=order)
                                      .label("position"))
              .order_by(*order).limit(window).cte("capped"))
    kept = select(func.count().label("total")).select_from(capped).cte("kept")
    # The last page's first row: 0 when nothing matches (-1 // 25 is 0 in SQL's integer division).
    last = (kept.c.total - 1) // page_size * page_size
    start = case((last < offset, last), else_=offset)
    return (
        select(kept.c.total, start.label("start"), Case)
        .select_from(kept)
        .outerjoin(capped, and_(capped.c.position > start,
                                capped.c.position <= start + page_size + 1))
        .outerjoin(Case, Case.id == capped.c.id)
        .options(joinedload(Case.owner_agency), joinedload(Case.district),
                 joinedload(Case.region))
        .order_by(capped.c.position)
    )


@scoped
def list_cases_for(actor: Actor, filters: CaseFilters, *, page: int = 1,
                   page_size: int = PAGE_SIZE) -> CasePage:
    """One page of the cases the actor sees, and how many there are: one statement whatever
    the page size (``_page_statement``).

    The count stops at ``CASE_LIST_COUNT_CAP`` (1,000): a coordinator's region holds up to
    110,000 cases, and counting them all took longer than the page itself (docs/performance.md).
    Past the cap the list says "more than 1,000" and pages on by "next" as long as rows follow.
    A page past the end shows the last one.
    """
    if not role_can(actor.role, Permission.CASE_READ):
        return CasePage([], 0, 1, 1)
    cap = count_cap()
    page = max(1, page)
    offset = (page - 1) * page_size
    statement = _page_statement(_filtered(filters), filters.sort, offset=offset,
                                page_size=page_size, window=max(cap + 1, offset + page_size + 1))
    with acting_as(actor):
        found = db.session.execute(statement).unique().all()
    counted, start = found[0].total, found[0].start
    rows = [row[2] for row in found if row[2] is not None]
    page = start // page_size + 1
    more = counted > cap
    has_next, rows = len(rows) > page_size, rows[:page_size]
    pages = page + has_next if more else max(1, -(-counted // page_size))
    audit.record("case.list", object_type="case", details={"count": len(rows), "page": page})
    return CasePage(rows, min(counted, cap), page, pages, more=more, has_next=has_next)
