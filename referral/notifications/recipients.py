"""Who hears about an event: staff users and agency duty mailboxes, never the people in a case.

Restricted ("sealed") cases: only users named on the case are told, and no shared mailbox.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from referral.access.permissions import Role
from referral.access.scope import acting_as, system_actor
from referral.accounts.models import User, coordinator_regions
from referral.agencies.models import Agency
from referral.cases.models import Case, CaseMember
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
_LOADERS: dict[str, SubjectLoader] = {}


def register_subject_loader(subject_type: str) -> Callable[[SubjectLoader], SubjectLoader]:
    def decorator(fn: SubjectLoader) -> SubjectLoader:
        _LOADERS[subject_type] = fn
        return fn

    return decorator


def _model(module: str, name: str) -> type | None:
    """A model of a domain that may not exist yet (the notifications work does not require it)."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


_REFERRAL_FIELDS = ("case_id", "sender_agency_id", "sender_user_id", "receiver_agency_id",
                    "assignee_user_id", "status")


@register_subject_loader("referral")
def _load_referral(referral_id: int) -> Subject | None:
    referral_cls = _model("referral.referrals.models", "Referral")
    if referral_cls is None:
        return None
    # Usually the referral just changed in this session: no query (identity map).
    row = db.session.get(referral_cls, referral_id)
    if row is None:
        return None
    fields = {name: getattr(row, name, None) for name in _REFERRAL_FIELDS}
    reference = str(getattr(row, "reference", "") or f"R-{referral_id}")
    return Subject(reference=reference, case_id=fields["case_id"], fields=fields)


@register_subject_loader("case")
def _load_case(case_id: int) -> Subject | None:
    ref = _remembered(("case_reference", case_id), lambda: db.session.execute(
        select(Case.reference).where(Case.id == case_id)).scalar())
    return Subject(reference=ref, case_id=case_id) if ref else None


@register_subject_loader("access_request")
def _load_access_request(request_id: int) -> Subject | None:
    """No case id or case reference: the requester must not learn which case it is."""
    request_cls = _model("referral.cases.models", "AccessRequest")
    if request_cls is None:
        return None
    row = db.session.execute(
        select(request_cls.owner_agency_id, request_cls.requester_user_id)
        .where(request_cls.id == request_id)).first()
    if row is None:
        return None
    return Subject(reference=f"AR-{request_id}", fields={
        "owner_agency_id": row.owner_agency_id, "requester_user_id": row.requester_user_id})


def load_subject(event: OutboxEvent) -> Subject:
    """The subject of ``event`` (as the system: this runs for every kind of recipient)."""
    with acting_as(system_actor("notification recipients")):
        loader = _LOADERS.get(event.subject_type)
        subject = loader(event.subject_id) if loader else None
    if subject is None:
        subject = Subject(reference=str(event.data.get("reference") or f"#{event.subject_id}"))
    if subject.case_id is None and isinstance(event.data.get("case_id"), int):
        subject.case_id = event.data["case_id"]
    return subject


def _value(name: str, event: OutboxEvent, subject: Subject) -> Any:
    value = subject.fields.get(name)
    return value if value is not None else event.data.get(name)


# --- lookups remembered within one transaction --------------------------------------------------
# A sweep that expires a thousand referrals tells the same agencies' staff and the same region's
# coordinators again and again; each answer is read once per transaction (docs/performance.md).
# A write to users, agencies, cases or case members forgets them all, as does a rollback; a new
# transaction starts afresh (the memo is keyed by its root transaction).

_memo = TransactionMemo("notification_recipients",
                        lambda obj: isinstance(obj, (User, Agency, Case, CaseMember)))


def _remembered(key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
    return _memo.get_or_compute(key, compute)


def memo_entries() -> dict[Any, Any]:
    """This transaction's remembered answers, for ``warm`` to fill in bulk (same keys)."""
    return _memo.entries()


@dataclass(frozen=True)
class CaseFacts:
    region_code: str | None
    owner_agency_id: int | None
    restricted: bool


def _case_facts(case_id: int) -> CaseFacts:
    def read() -> CaseFacts:
        row = db.session.execute(select(Case.region_code, Case.owner_agency_id, Case.restricted)
                                 .where(Case.id == case_id)).first()
        return CaseFacts(*row) if row else CaseFacts(None, None, False)

    return _remembered(("case", case_id), read)


def _agency_staff(agency_id: int | None, roles: tuple[str, ...] = STAFF_ROLES) -> set[int]:
    if not agency_id:
        return set()
    return set(_remembered(("staff", agency_id, roles), lambda: frozenset(db.session.execute(
        select(User.id).where(User.agency_id == agency_id, User.role.in_(roles),
                              User.is_active_account.is_(True))
    ).scalars())))


def _region_of(event: OutboxEvent, subject: Subject) -> str | None:
    if subject.case_id is not None:
        region = _case_facts(subject.case_id).region_code
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
    return _case_facts(subject.case_id).owner_agency_id


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
    members = _remembered(("members", case_id), lambda: frozenset(db.session.execute(
        select(CaseMember.user_id).where(CaseMember.case_id == case_id)).scalars()))
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
        if subject.case_id is not None and _case_facts(subject.case_id).restricted:
            found = _restrict_to_members(found, subject.case_id)
    return found
