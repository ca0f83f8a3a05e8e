"""Read together, for a batch of events, what fanning them out would read one event at a time.

``resolve`` asks, per event, for the subject, the case's region/owner/restriction and for
agencies' staff; each answer is remembered for the transaction (``recipients``). Before a batch,
this fills those memos with one query per kind of fact (subjects through their domains' batch
loaders, cases through the registered case source), so a batch of a thousand events costs a
handful of statements. Only memo entries are filled: the answers are the ones ``resolve`` would
read itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select

from referral.access.idlist import in_values
from referral.access.permissions import Role
from referral.access.scope import acting_as, system_actor
from referral.accounts.models import User
from referral.events.models import OutboxEvent
from referral.extensions import db
from referral.notifications import recipients
from referral.notifications.recipients import Subject, load_subject

_MANAGERS = (Role.AGENCY_MANAGER.value,)
_AGENCY_FIELDS = ("sender_agency_id", "receiver_agency_id", "owner_agency_id")
_CHUNK = 1000


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start:start + _CHUNK]


def _int(value: object) -> int | None:
    return value if isinstance(value, int) else None


def load_subjects(events: Sequence[OutboxEvent]) -> dict[int, Subject]:
    """``load_subject`` for a batch: event id → subject, a few queries for the whole batch; the
    recipients' memos are filled for the same events on the way."""
    entries = recipients.memo_entries()
    with acting_as(system_actor("notification recipients")):
        subjects = recipients.load_batch_subjects(events)
        case_ids = {s.case_id for s in subjects.values() if s.case_id is not None}
        case_ids |= {e.subject_id for e in events if e.subject_type == "case"}
        case_ids |= {c for e in events if (c := _int(e.data.get("case_id"))) is not None}
        agency_ids = {a for s in subjects.values() for key in _AGENCY_FIELDS
                      if (a := _int(s.fields.get(key))) is not None}
        agency_ids |= {a for e in events for key in _AGENCY_FIELDS
                       if (a := _int(e.data.get(key))) is not None}
        for chunk in _chunks(c for c in case_ids if ("case", c) not in entries):
            found = recipients.read_case_facts(chunk)
            for case_id in chunk:
                if case_id in found:
                    entries[("case", case_id)] = found[case_id]
        facts = {c: entries[("case", c)] for c in case_ids if ("case", c) in entries}
        agency_ids |= {f.owner_agency_id for f in facts.values() if f.owner_agency_id}
        _prefetch_staff(entries, agency_ids)
        _prefetch_members(entries, [c for c, f in facts.items() if f.restricted])
    return {event.id: load_subject(event, subjects.get((event.subject_type, event.subject_id)))
            for event in events}


def _prefetch_members(entries: dict, sealed_case_ids: list[int]) -> None:
    """The named users of sealed cases: only they hear about such a case."""
    wanted = [c for c in sealed_case_ids if ("members", c) not in entries]
    for chunk in _chunks(wanted):
        members = recipients.read_case_members(chunk)
        for case_id in chunk:
            entries[("members", case_id)] = members.get(case_id, frozenset())


def _prefetch_staff(entries: dict, agency_ids: set[int]) -> None:
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
