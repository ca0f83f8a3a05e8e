"""Who hears about an event: staff users and agency duty mailboxes, never the people in a case.

Restricted ("sealed") cases: only users named on the case are told, and no shared mailbox.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select

from referral.access.permissions import Role
from referral.access.scope import acting_as, system_actor
from referral.accounts.models import User, coordinator_regions
from referral.agencies.models import Agency
from referral.events.models import OutboxEvent
from referral.extensions import db
from referral.notifications.kinds import Kind
from referral.web.memo import TransactionMemo

STAFF_ROLES = (Role.OFFICER.value, Role.AGENCY_MANAGER.value)


@dataclass
class Subject:
    """What the sweep and the mailer need to know about an event's subject: ids and a reference."""

    reference: str = ""
    case_id: int | None = None
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class Recipients:
    user_ids: set[int] = field(default_factory=set)
    mailbox_agency_ids: set[int] = field(default_factory=set)


SubjectLoader = Callable[[int], Subject | None]
SubjectBatchLoader = Callable[[list[int]], dict[int, Subject]]
_LOADERS: dict[str, SubjectLoader] = {}
_BATCH_LOADERS: dict[str, SubjectBatchLoader] = {}


def register_subject_loader(subject_type: str) -> Callable[[SubjectLoader], SubjectLoader]:
    """How a domain tells the sweep what an event's subject is (its reference, case and ids)."""

    def decorator(fn: SubjectLoader) -> SubjectLoader:
        _LOADERS[subject_type] = fn
        return fn

    return decorator


def register_subject_batch_loader(
        subject_type: str) -> Callable[[SubjectBatchLoader], SubjectBatchLoader]:
    """The same for many subjects at once (id → subject), for a batch of events."""

    def decorator(fn: SubjectBatchLoader) -> SubjectBatchLoader:
        _BATCH_LOADERS[subject_type] = fn
        return fn

    return decorator


def load_subject(event: OutboxEvent, loaded: Subject | None = None) -> Subject:
    """The subject of ``event`` (as the system: this runs for every kind of recipient);
    ``loaded`` is one a batch loader read already."""
    if loaded is not None:
        subject = replace(loaded)
    else:
        with acting_as(system_actor("notification recipients")):
            loader = _LOADERS.get(event.subject_type)
            subject = loader(event.subject_id) if loader else None
    if subject is None:
        subject = Subject(reference=str(event.data.get("reference") or f"#{event.subject_id}"))
    if subject.case_id is None and isinstance(event.data.get("case_id"), int):
        subject.case_id = event.data["case_id"]
    return subject


def load_batch_subjects(events: Iterable[OutboxEvent]) -> dict[tuple[str, int], Subject]:
    """The subjects of ``events`` whose domain reads them in bulk, keyed (type, id); run as
    the system by the caller."""
    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.subject_type in _BATCH_LOADERS:
            wanted.setdefault(event.subject_type, set()).add(event.subject_id)
    found: dict[tuple[str, int], Subject] = {}
    for subject_type, ids in wanted.items():
        for subject_id, subject in _BATCH_LOADERS[subject_type](sorted(ids)).items():
            found[(subject_type, subject_id)] = subject
    return found


def _value(name: str, event: OutboxEvent, subject: Subject) -> Any:
    value = subject.fields.get(name)
    return value if value is not None else event.data.get(name)


# --- lookups remembered within one transaction --------------------------------------------------
# A sweep that expires a thousand referrals tells the same agencies' staff and the same region's
# coordinators again and again; each answer is read once per transaction. A write to users,
# agencies or to what the case source reads (its ``forget_on`` models) forgets them all, as does
# a rollback; a new transaction starts afresh (the memo is keyed by its root transaction).


@dataclass(frozen=True)
class CaseFacts:
    """What the audiences need of a case: its region, lead agency, whether it is sealed, and
    the reference its messages show."""

    region_code: str | None
    owner_agency_id: int | None
    restricted: bool
    reference: str | None = None


_NO_CASE = CaseFacts(None, None, False)
CaseFactsReader = Callable[[list[int]], dict[int, CaseFacts]]
MembersReader = Callable[[list[int]], dict[int, frozenset[int]]]


@dataclass
class _CaseSource:
    facts: CaseFactsReader = lambda ids: {}  # noqa: E731 - no cases domain: no case facts
    members: MembersReader = lambda ids: {}  # noqa: E731
    forget_on: tuple[type, ...] = (User, Agency)


_cases = _CaseSource()


def register_case_source(*, facts: CaseFactsReader, members: MembersReader,
                         forget_on: tuple[type, ...]) -> None:
    """How the cases domain answers "which region, lead agency and named users has this case"
    (ids → answers, read in bulk); a flush of a ``forget_on`` model forgets remembered answers."""
    _cases.facts, _cases.members = facts, members
    _cases.forget_on = (User, Agency, *forget_on)


_memo = TransactionMemo("notification_recipients",
                        lambda obj: isinstance(obj, _cases.forget_on))


def _remembered(key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
    return _memo.get_or_compute(key, compute)


def memo_entries() -> dict[Any, Any]:
    """This transaction's remembered answers, for ``prefetch`` to fill in bulk (same keys)."""
    return _memo.entries()


def read_case_facts(case_ids: list[int]) -> dict[int, CaseFacts]:
    return _cases.facts(case_ids)


def read_case_members(case_ids: list[int]) -> dict[int, frozenset[int]]:
    return _cases.members(case_ids)


def case_facts(case_id: int) -> CaseFacts:
    """The case's facts, read once per transaction (as the caller's scope: the system here)."""
    return _remembered(("case", case_id),
                       lambda: read_case_facts([case_id]).get(case_id, _NO_CASE))


def _agency_staff(agency_id: int | None, roles: tuple[str, ...] = STAFF_ROLES) -> set[int]:
    if not agency_id:
        return set()
    return set(_remembered(("staff", agency_id, roles), lambda: frozenset(db.session.execute(
        select(User.id).where(User.agency_id == agency_id, User.role.in_(roles),
                              User.is_active_account.is_(True))
    ).scalars())))


def _region_of(event: OutboxEvent, subject: Subject) -> str | None:
    if subject.case_id is not None:
        region = case_facts(subject.case_id).region_code
        if region:
            return region
    region = _value("region_code", event, subject)
    if isinstance(region, str):
        return region
    agency_id = _value("receiver_agency_id", event, subject)
    return db.session.execute(select(Agency.region_code).where(Agency.id == agency_id)).scalar()


def _coordinators(region: str | None) -> set[int]:
    if not region:
        return set()
    return set(_remembered(("coordinators", region), lambda: frozenset(db.session.execute(
        select(User.id).join(coordinator_regions, coordinator_regions.c.user_id == User.id)
        .where(coordinator_regions.c.region_code == region, User.role == Role.COORDINATOR,
               User.is_active_account.is_(True))
    ).scalars())))


def _administrators() -> set[int]:
    return set(_remembered(("administrators",), lambda: frozenset(db.session.execute(
        select(User.id).where(User.role == Role.ADMINISTRATOR, User.is_active_account.is_(True))
    ).scalars())))


def _one(user_id: Any) -> set[int]:
    return {user_id} if isinstance(user_id, int) else set()


def _case_owner(subject: Subject) -> int | None:
    if subject.case_id is None:
        return None
    return case_facts(subject.case_id).owner_agency_id


def _audience(name: str, event: OutboxEvent, subject: Subject) -> tuple[set[int], set[int]]:
    """(user ids, agency ids whose duty mailbox may be written to) for one audience."""
    if name in ("receiver_agency", "sender_agency", "case_owner_agency"):
        agency_id = (_case_owner(subject) if name == "case_owner_agency"
                     else _value(f"{name}_id", event, subject))
        return _agency_staff(agency_id), ({agency_id} if agency_id else set())
    if name == "assignee":
        assignee = _value("assignee_user_id", event, subject)
        if assignee:
            return _one(assignee), set()
        return _agency_staff(_value("receiver_agency_id", event, subject)), set()
    if name == "receiver_agency_managers":
        return _agency_staff(_value("receiver_agency_id", event, subject),
                             roles=(Role.AGENCY_MANAGER.value,)), set()
    if name == "owner_agency_managers":
        return _agency_staff(_value("owner_agency_id", event, subject),
                             roles=(Role.AGENCY_MANAGER.value,)), set()
    if name in ("sender_user", "user", "requester_user"):
        return _one(_value(f"{name}_id", event, subject)), set()
    if name == "region_coordinators":
        return _coordinators(_region_of(event, subject)), set()
    if name == "administrators":
        return _administrators(), set()
    raise ValueError(f"unknown audience {name}")


def _restrict_to_members(found: Recipients, case_id: int) -> Recipients:
    members = _remembered(("members", case_id),
                          lambda: read_case_members([case_id]).get(case_id, frozenset()))
    return Recipients(user_ids=found.user_ids & members, mailbox_agency_ids=set())


def resolve(event: OutboxEvent, kind: Kind, subject: Subject) -> Recipients:
    """Staff users and duty mailboxes to tell about ``event``; the actor is not told."""
    found = Recipients()
    with acting_as(system_actor("notification recipients")):
        for audience in kind.audiences:
            users, agencies = _audience(audience, event, subject)
            found.user_ids |= users
            if kind.mailbox:
                found.mailbox_agency_ids |= agencies
        if event.actor_user_id in found.user_ids and kind.name != "system.delivery_failed":
            found.user_ids.discard(event.actor_user_id)
        if subject.case_id is not None and case_facts(subject.case_id).restricted:
            found = _restrict_to_members(found, subject.case_id)
        found.user_ids -= _service_accounts()
    return found


def _service_accounts() -> frozenset[int]:
    """Users who act only through API tokens: whatever audience names them, they are never
    told (they read nothing in the app, and their address takes no mail)."""
    return _remembered(("service_accounts",), lambda: frozenset(db.session.execute(
        select(User.id).where(User.is_service_account.is_(True))).scalars()))
