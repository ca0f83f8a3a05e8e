"""Reading a case: the scoped, audited load every service starts from, who may change it, and
its people.

Every function takes the actor first and runs its queries under ``acting_as(actor)``, so the one
scope rule of referral.cases.scope applies; reads of a case are audited as "case.view".
"""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context
from flask_babel import gettext as _
from sqlalchemy import Select, and_, select
from sqlalchemy.orm import joinedload

from referral.access import scoped
from referral.access.permissions import Permission, role_can
from referral.access.scope import Actor, acting_as
from referral.audit import service as audit
from referral.audit.models import AuditEvent
from referral.cases import page_reads
from referral.cases.emergency_models import EmergencyAccess
from referral.cases.emergency_scope import live_grant_ids
from referral.cases.models import Case, CaseParticipant, ParticipantRole
from referral.cases.scope import (
    read_only_reach,
    reads_every_category,
    reads_every_category_sql,
    visible_categories,
)
from referral.errors import NotVisible, ReadOnlyAccess, StaleEdit
from referral.extensions import db
from referral.web.memo import TransactionMemo

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
    if case is None or not role_can(actor.role, Permission.CASE_READ):
        raise NotVisible("case", case_id)
    if read_only_reach(actor, case):  # every read through emergency access is audited as such
        record_emergency_read(actor, case)
    _loaded_cases.entries()[(actor, case_id)] = case
    return case


def record_emergency_read(actor: Actor, case: Case) -> None:
    """Audit a read of ``case`` through emergency access, and keep the grant for the banner."""
    with acting_as(actor):
        grant = db.session.execute(
            select(EmergencyAccess).where(
                EmergencyAccess.user_id == actor.user_id, EmergencyAccess.case_id == case.id,
                EmergencyAccess.case_id.in_(live_grant_ids(actor.user_id)))
            .order_by(EmergencyAccess.ends_at.desc()).limit(1)).scalar_one_or_none()
    audit.record("case.emergency_view", object_type="case", object_id=case.id,
                 details={"emergency_access_id": grant.id if grant else None})
    if grant is not None and has_request_context():
        g.emergency_access = grant


@scoped
def get_case_for(actor: Actor, case_id: int) -> Case:
    """The case if the actor may see it (audited "case.view"), else NotVisible."""
    case = load_case(actor, case_id)
    audit.record("case.view", object_type="case", object_id=case.id)
    return case


@scoped
def open_case_page(actor: Actor, case_id: int, *, with_parts: bool = False
                   ) -> tuple[Case, list[CaseParticipant]]:
    """The case page's case (audited "case.view", else NotVisible) and the people it shows.

    An owner or coordinator of the region reads every category, so the people come with the case
    in one statement: the join on them carries that condition (``reads_every_category_sql``)
    beside the scope, so a person's details are never read for someone who may not see them.
    Anyone else (an agency the case is shared with) gets them from ``list_participants`` once
    their categories include identity and contact details; without them, no one.
    ``with_parts``: other domains' parts of the page join the same statement, under the same
    condition (referral.cases.page_reads).
    """
    whole = reads_every_category_sql(actor)
    query = (_case_query(case_id).add_columns(CaseParticipant)
             .outerjoin(CaseParticipant, and_(CaseParticipant.case_id == Case.id, whole))
             .options(joinedload(CaseParticipant.safe_contact))
             .order_by(CaseParticipant.id))
    readers: dict[str, Any] = {}
    if with_parts:
        query, readers = page_reads.extend(actor, query, whole)
    with acting_as(actor):
        rows = db.session.execute(query).all()
    case = _checked(actor, case_id, rows[0][0] if rows else None)
    audit.record("case.view", object_type="case", object_id=case.id)
    if reads_every_category(actor, case):
        page_reads.keep(actor, case.id, readers, rows)
        return case, _in_page_order([row[1] for row in rows if row[1] is not None])
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
