"""Read together what fanning out many events would otherwise read one event at a time.

``resolve`` asks, per event, for the case's region/owner/restriction and for agencies' staff;
each answer is remembered for the transaction (``recipients``). Before a batch, this fills
those memos with one query per kind of fact, so a batch of a thousand events costs a handful
of statements (docs/performance.md). Only memo entries and the identity map are filled: the
answers are the same ones ``resolve`` would read itself.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence

from sqlalchemy import select

from referral.access.idlist import in_values
from referral.access.permissions import Role
from referral.access.scope import acting_as, system_actor
from referral.accounts.models import User
from referral.cases.models import Case, CaseMember
from referral.events.models import OutboxEvent
from referral.extensions import db
from referral.notifications import recipients
from referral.notifications.recipients import Subject, load_subject

_MANAGERS = (Role.AGENCY_MANAGER.value,)
_CHUNK = 1000


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start:start + _CHUNK]


def _referrals(events: Sequence[OutboxEvent]) -> list[object]:
    """The referral subjects, loaded together into the identity map where missing."""
    try:
        referral_cls = importlib.import_module("referral.referrals.models").Referral
    except (ImportError, AttributeError):
        return []
    ids = {e.subject_id for e in events if e.subject_type == "referral"}
    found = {i: db.session.identity_map.get(db.session.identity_key(referral_cls, i))
             for i in ids}
    missing = [i for i, row in found.items() if row is None]
    for chunk in _chunks(missing):
        for row in db.session.execute(select(referral_cls).where(in_values(referral_cls.id, chunk))
                                      ).scalars():
            found[row.id] = row
    return [row for row in found.values() if row is not None]


def _int(value: object) -> int | None:
    return value if isinstance(value, int) else None


def warm_subjects(events: Sequence[OutboxEvent]) -> list[object]:
    """Fill the recipients' memos for ``events``: cases, agencies' staff, regions' coordinators.

    Returns the subject rows it loaded: the caller keeps them while it resolves, because the
    session's identity map holds rows only as long as something else does.
    """
    entries = recipients.memo_entries()
    with acting_as(system_actor("notification recipients")):
        referrals = _referrals(events)
        case_ids = {r.case_id for r in referrals}
        case_ids |= {e.subject_id for e in events if e.subject_type == "case"}
        case_ids |= {c for e in events if (c := _int(e.data.get("case_id"))) is not None}
        agency_ids = {a for r in referrals for a in (r.sender_agency_id, r.receiver_agency_id)}
        agency_ids |= {a for e in events for key in ("sender_agency_id", "receiver_agency_id",
                                                     "owner_agency_id")
                       if (a := _int(e.data.get(key))) is not None}
        for chunk in _chunks(c for c in case_ids if ("case", c) not in entries):
            for row in db.session.execute(
                    select(Case.id, Case.reference, Case.region_code, Case.owner_agency_id,
                           Case.restricted).where(in_values(Case.id, chunk))):
                entries[("case", row.id)] = recipients.CaseFacts(
                    row.region_code, row.owner_agency_id, row.restricted)
                entries.setdefault(("case_reference", row.id), row.reference)
        facts = {c: entries[("case", c)] for c in case_ids if ("case", c) in entries}
        agency_ids |= {f.owner_agency_id for f in facts.values() if f.owner_agency_id}
        _warm_staff(entries, agency_ids)
        _warm_members(entries, [c for c, f in facts.items() if f.restricted])
    return referrals


def load_subjects(events: Sequence[OutboxEvent]) -> dict[int, Subject]:
    """``load_subject`` for a batch: event id → subject, a few queries for the whole batch."""
    held = warm_subjects(events)  # noqa: F841 - keeps the subjects in the identity map
    return {event.id: load_subject(event) for event in events}


def _warm_members(entries: dict, sealed_case_ids: list[int]) -> None:
    """The named users of sealed cases: only they hear about such a case."""
    wanted = [c for c in sealed_case_ids if ("members", c) not in entries]
    for chunk in _chunks(wanted):
        members: dict[int, set[int]] = {c: set() for c in chunk}
        for case_id, user_id in db.session.execute(
                select(CaseMember.case_id, CaseMember.user_id)
                .where(in_values(CaseMember.case_id, chunk))):
            members[case_id].add(user_id)
        for case_id, users in members.items():
            entries[("members", case_id)] = frozenset(users)


def _warm_staff(entries: dict, agency_ids: set[int]) -> None:
    wanted = [a for a in agency_ids if ("staff", a, recipients.STAFF_ROLES) not in entries
              or ("staff", a, _MANAGERS) not in entries]
    for chunk in _chunks(wanted):
        staff: dict[int, set[int]] = {a: set() for a in chunk}
        managers: dict[int, set[int]] = {a: set() for a in chunk}
        for user_id, agency_id, role in db.session.execute(
                select(User.id, User.agency_id, User.role).where(
                    in_values(User.agency_id, chunk), User.role.in_(recipients.STAFF_ROLES),
                    User.is_active_account.is_(True))):
            staff[agency_id].add(user_id)
            if role in _MANAGERS:
                managers[agency_id].add(user_id)
        for agency_id in chunk:
            entries.setdefault(("staff", agency_id, recipients.STAFF_ROLES),
                               frozenset(staff[agency_id]))
            entries.setdefault(("staff", agency_id, _MANAGERS), frozenset(managers[agency_id]))
