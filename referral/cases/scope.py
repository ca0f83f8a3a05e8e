"""Who sees which case: the rule, written once, applied to every query by referral.access.scope.

A user sees a case when
- their agency owns it, or the case is shared with their agency (an accepted referral, a granted
  access request: each source registers itself with ``register_case_sharing``), or
- they are a coordinator of the case's region;
A restricted case is seen only by the users named on it. Administrators see no case.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, and_, event, exists, false, or_, select, true, union_all
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql.elements import ColumnElement, False_

from referral.access.idlist import in_id_list
from referral.access.permissions import Role
from referral.access.scope import (
    NAMED_ON_SEALED,
    Actor,
    acting_as,
    knows_named_on_no_sealed_case,
    register_scope,
)
from referral.accounts.sessions import forget_session_value, register_session_column
from referral.audit.models import AuditEvent
from referral.cases import emergency_scope  # noqa: F401 - registers emergency access's sources
from referral.cases.models import (
    AccessRequest,
    Case,
    CaseMember,
    CaseNote,
    CaseNoteRevision,
    CaseParticipant,
    Incident,
    MeasureBreach,
    Person,
    ProtectiveMeasure,
    RiskAssessment,
    SafeContact,
    TimelineEntry,
)
from referral.cases.sharing import (
    CATEGORY_SOURCES,
    DATA_CATEGORIES,
    READ_ONLY_CATEGORY_SOURCES,
    READ_ONLY_SHARING,
    SHARING,
    register_case_sharing,
    register_category_source,
)
from referral.extensions import db
from referral.web.memo import TransactionMemo

# Any write but an audit row may share a case, end a share or name someone: forget the answers.
_read_only_memo = TransactionMemo("cases_read_only_reach",
                                  lambda obj: not isinstance(obj, AuditEvent))
_cases = Case.__table__


def sealed_case_ids() -> Select[tuple[int]]:
    """Ids of the restricted cases: a bare ``restricted`` (not ``IS true``), so PostgreSQL reads
    them from the partial index ix_cases_sealed alone (a few thousand ids, 16 index pages).
    Every rule and figure that leaves sealed cases out uses this one query."""
    return select(_cases.c.id).where(_cases.c.restricted)


def named_sealed_case_ids(user_id: int | None) -> Select[tuple[int]]:
    """Ids of the restricted cases naming the user: the only sealed cases they read."""
    members = CaseMember.__table__
    return (select(_cases.c.id).join(members, members.c.case_id == _cases.c.id)
            .where(members.c.user_id == user_id, _cases.c.restricted.is_(True)))


def open_or_named(case_id: ColumnElement[Any], actor: Actor, *,
                  restricted: ColumnElement[bool] | None = None) -> ColumnElement[bool]:
    """The case is not restricted, or restricted with the actor named (for records that carry
    a case id: referrals, agenda items, actions).

    ``restricted``: the record's copy of its case's flag, when the database keeps one
    (referrals); else the rule is written against the few restricted ids, because
    "case_id IN (every open case)" makes PostgreSQL hash a million ids, or a region's hundred
    thousand, for a single inbox. The named branch is left out
    when the session said the actor is named on no restricted case (``Actor.named_on_sealed``).
    """
    not_sealed = (restricted.is_(False) if restricted is not None
                  else case_id.not_in(sealed_case_ids()))
    if knows_named_on_no_sealed_case(actor):
        return not_sealed
    return or_(not_sealed, case_id.in_(_named_ids(actor)))


@register_session_column(NAMED_ON_SEALED)
def _named_on_sealed_with_session(user_id: Any) -> ColumnElement[bool]:
    """Read with every session: whether the user is named on any restricted case (most never
    are), so that the request's rules can leave that branch out (``Actor.named_on_sealed``).

    Members are named on restricted cases only (set_restriction clears them when a case opens
    again), and being named on any case answers "yes", the safe side; the cases table is not
    read, as the session is read before there is an actor to scope it."""
    members = CaseMember.__table__
    return exists(select(members.c.case_id).where(members.c.user_id == user_id))


@event.listens_for(Session, "after_flush")
def _members_flushed(session: Session, _context: Any) -> None:
    """Naming users on a case, or restricting one, keeps the named branch for the request."""
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, CaseMember) or (isinstance(obj, Case) and obj.restricted):
            forget_session_value(NAMED_ON_SEALED)
            return


@event.listens_for(Session, "do_orm_execute")
def _members_written(state: ORMExecuteState) -> None:
    """The same for statements that write case members directly (a case's restriction is set
    on the object, see set_restriction, and so flushed)."""
    if state.is_select:
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) == CaseMember.__tablename__:
        forget_session_value(NAMED_ON_SEALED)


def _named_ids(actor: Actor) -> Select[tuple[int]]:
    """Ids of the cases naming the actor (members are named on restricted cases only)."""
    members = CaseMember.__table__
    return select(members.c.case_id).where(members.c.user_id == actor.user_id)


def _case_rule(actor: Actor, c: Any, *, open_: ColumnElement[bool],
               shared: Callable[[list[Select[tuple[int]]]], list[ColumnElement[bool]]],
               sealed_named: Callable[[], ColumnElement[bool]]) -> ColumnElement[bool]:
    """Who sees a case, stated once over the columns ``c``: open cases the actor reaches (their
    agency owns it or a sharing source gives it to them; a coordinator's regions), or restricted
    ones naming them. The branch is left out when the session knows the actor is named on no
    restricted case, so that a coordinator's list is read in index order.

    How the sharing sources, the named users and the restricted flag are tested (``shared``,
    ``sealed_named``, ``open_``) is the caller's: a whole list's condition (``_rule``) and a
    probe of one case (``case_visible_exists``) are planned best in different forms.
    """
    if actor.role == Role.ADMINISTRATOR or actor.user_id is None:
        return false()
    if actor.role in (Role.OFFICER, Role.AGENCY_MANAGER) and actor.agency_id is not None:
        reach = or_(c.owner_agency_id == actor.agency_id,
                    *shared([source(actor) for source in SHARING]))
    elif actor.role == Role.COORDINATOR and actor.region_ids:
        reach = c.region_code.in_(sorted(actor.region_ids))
    else:
        return false()
    rule = and_(open_, reach)
    if knows_named_on_no_sealed_case(actor):
        return rule
    return or_(rule, sealed_named())


def _rule(actor: Actor, c: Any) -> ColumnElement[bool]:
    """The case rule as a condition on a list of cases, over the columns ``c``: the mapped class
    (case_visible) or the plain table's ``.c`` (visible_case_ids, which must not bring the Case
    criteria in again).

    Every branch is an index condition: the owner or the region by its index, the shared and the
    named ids as id lists looked up by primary key (referral.access.idlist). PostgreSQL then
    combines them with the page's own conditions (a high-risk panel takes the partial high-risk
    index) and reads only the rows both allow. Not ``id IN (owned ∪ shared minus sealed)``: that
    builds an agency's whole visible set and reads each case by primary key (3,700 lookups for a
    busy agency's panel of ten); not "owner = x OR id IN (subquery)": an OR with a join reads
    every case matching the page's other filters. The bare ``restricted`` test lets PostgreSQL
    use the partial index of restricted cases.
    """
    return _case_rule(
        actor, c, open_=c.restricted == false(),
        shared=lambda sources: [in_id_list(c.id, union_all(*sources))],
        sealed_named=lambda: and_(in_id_list(c.id, _named_ids(actor)), c.restricted == true()))


@register_scope(Case)
def case_visible(actor: Actor) -> ColumnElement[bool]:
    return _rule(actor, Case)


def _whole_cases(actor: Actor) -> tuple[tuple[str, tuple[Any, ...]], ...] | None:
    """The rule of who reads all of a case, stated once for ``reads_every_category`` and its SQL
    form: None for everyone's cases (a system actor), else (column, values) pairs, any of which
    gives the case whole: the owner agency is the actor's, or its region one they coordinate."""
    if actor.is_system:
        return None
    pairs: list[tuple[str, tuple[Any, ...]]] = []
    if actor.agency_id is not None:
        pairs.append(("owner_agency_id", (actor.agency_id,)))
    if actor.role == Role.COORDINATOR and actor.region_ids:
        pairs.append(("region_code", tuple(sorted(actor.region_ids))))
    return tuple(pairs)


def reads_every_category(actor: Actor, case: Case) -> bool:
    """Owners, the region's coordinators and system actors read all of a case, with no query."""
    pairs = _whole_cases(actor)
    return pairs is None or any(getattr(case, column) in values for column, values in pairs)


def reads_every_category_sql(actor: Actor) -> ColumnElement[bool]:
    """``reads_every_category`` as SQL over ``cases``, for a statement that reads a case's
    people with the case only when the actor may read them (cases.service.open_case_page)."""
    pairs = _whole_cases(actor)
    if pairs is None:
        return true()
    branches = [getattr(Case, column).in_(values) for column, values in pairs]
    return or_(*branches) if branches else false()


def visible_categories(actor: Actor, case: Case, *, writing: bool = False) -> frozenset[str]:
    """The data categories of a (visible) case that ``actor`` may read (``writing``: those
    given by sources that allow changes, for deciding what the actor may add)."""
    full = frozenset(DATA_CATEGORIES)
    if reads_every_category(actor, case):
        return full
    found: set[str] = set()
    with acting_as(actor):
        for source in CATEGORY_SOURCES:
            if writing and source in READ_ONLY_CATEGORY_SOURCES:
                continue
            found |= source(actor, case.id)
    return frozenset(found) & full


def read_only_reach(actor: Actor, case: Case) -> bool:
    """True when the actor sees ``case`` only through a read-only source (emergency access):
    not its owner, coordinator or a named user, and no writable source shares it. Asked once
    per transaction and case (the case page asks for each of its buttons)."""
    if (not READ_ONLY_SHARING or actor.user_id is None or actor.is_system
            or reads_every_category(actor, case)):
        return False
    return bool(_read_only_memo.get_or_compute((actor, case.id),
                                               lambda: _only_read_only(actor, case.id)))


def _only_read_only(actor: Actor, case_id: int) -> bool:
    others = [_named_ids(actor)] + [source(actor) for source in SHARING
                                     if source not in READ_ONLY_SHARING]
    probes = [ids.where(ids.selected_columns[0] == case_id).exists() for ids in others]
    with acting_as(actor):
        return not db.session.execute(select(or_(*probes))).scalar()


def visible_case_ids(actor: Actor) -> Select[tuple[int]]:
    """The ids of the cases ``actor`` sees, over the plain table: the same rule as case_visible,
    without the Case criteria being applied again inside it (else each child scope nests the
    whole rule once more, and a search query would carry it eight times)."""
    return select(_cases.c.id).where(_rule(actor, _cases.c))


def case_visible_exists(case_id: ColumnElement[int], actor: Actor) -> ColumnElement[bool]:
    """The case rule for one case id at a time, as a correlated EXISTS (for child records).

    Child records are read a case at a time (the case page, a search hit). ``case_id IN (every
    visible id)`` would make PostgreSQL build the actor's whole visible set, some thousands of
    ids for a busy agency, for each of the ten queries of a case page; this checks the one case
    by index. Same rule as case_visible.
    """
    c = _cases.alias("scope_case")
    members = CaseMember.__table__

    def shared(sources: list[Select[tuple[int]]]) -> list[ColumnElement[bool]]:
        return [ids.where(ids.selected_columns[0] == c.c.id).correlate(c).exists()
                for ids in sources]

    def sealed_named() -> ColumnElement[bool]:
        named = select(members.c.case_id).where(
            members.c.case_id == c.c.id, members.c.user_id == actor.user_id).correlate(c)
        return and_(c.c.restricted.is_(True), named.exists())

    rule = _case_rule(actor, c.c, open_=c.c.restricted.is_(False), shared=shared,
                      sealed_named=sealed_named)
    if isinstance(rule, False_):  # no case at all: no probe to make
        return rule
    probe = select(c.c.id).where(c.c.id == case_id, rule).correlate_except(c)
    if actor.role == Role.COORDINATOR:
        # OFFSET 0 keeps the probe a per-row lookup by primary key: as a join, PostgreSQL
        # hashes the region's 60,000 cases to check 600 ending measures.
        probe = probe.offset(0)
    return probe.exists()


def scope_via_case(model: type) -> None:
    """Register a child model (with ``case_id``) as visible exactly when its case is."""

    @register_scope(model)
    def _rule(actor: Actor) -> ColumnElement[bool]:
        return case_visible_exists(model.case_id, actor)  # type: ignore[attr-defined]


# --- rules for the case's own child records (people, incidents, risk, measures, notes, …) --------


for _model in (CaseParticipant, SafeContact, RiskAssessment, ProtectiveMeasure,
               MeasureBreach, CaseNote, CaseNoteRevision, TimelineEntry):
    scope_via_case(_model)


@register_scope(Incident)
def incident_visible(actor: Actor) -> ColumnElement[bool]:
    """Visible exactly when its case is (as the other child records).

    For coordinators the same rule over the incident's copy of its case's region (kept in step by a
    listener in referral/referrals/models.py): open incidents of their regions, and those of
    restricted cases they are named on. The statistics export counts a region-year of incidents;
    checking each one's case by id would be 7,000 to 19,000 index probes a region.
    """
    if actor.role == Role.COORDINATOR and actor.region_ids and actor.user_id is not None:
        region_open = and_(Incident.region_code.in_(sorted(actor.region_ids)),
                           Incident.case_id.not_in(sealed_case_ids()))
        if knows_named_on_no_sealed_case(actor):
            return region_open
        return or_(region_open, Incident.case_id.in_(named_sealed_case_ids(actor.user_id)))
    return case_visible_exists(Incident.case_id, actor)


_participants = CaseParticipant.__table__
_requests = AccessRequest.__table__


@register_scope(Person)
def person_visible(actor: Actor) -> ColumnElement[bool]:
    """A person is visible when they take part in a case the actor sees."""
    part = _participants.alias("scope_participant")
    return (select(part.c.person_id).where(
        part.c.person_id == Person.id, case_visible_exists(part.c.case_id, actor),
    ).correlate_except(part).exists())


@register_scope(AccessRequest)
def access_request_visible(actor: Actor) -> ColumnElement[bool]:
    """The requesting agency sees its requests; the owning agency sees requests to it."""
    if actor.role not in (Role.OFFICER, Role.AGENCY_MANAGER) or actor.agency_id is None:
        return false()
    return or_(AccessRequest.requester_agency_id == actor.agency_id,
               AccessRequest.owner_agency_id == actor.agency_id)


@register_case_sharing
def _granted_access(actor: Actor) -> Select[tuple[int]]:
    """Cases whose owner granted the actor's agency access after a duplicate match."""
    return select(_requests.c.case_id).where(
        _requests.c.requester_agency_id == actor.agency_id, _requests.c.status == "granted"
    )


@register_category_source
def _granted_categories(actor: Actor, case_id: int) -> set[str]:
    rows = db.session.execute(
        select(_requests.c.categories).where(
            _requests.c.requester_agency_id == actor.agency_id,
            _requests.c.case_id == case_id, _requests.c.status == "granted")
    ).scalars()
    return {c for row in rows for c in row.split(",") if c}

