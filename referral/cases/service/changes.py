"""Opening and changing a case: its place and languages, status, restriction. Callers commit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from referral.access import scoped
from referral.access.permissions import Permission, Role, role_can
from referral.access.scope import Actor, acting_as
from referral.accounts.models import User
from referral.agencies.models import District, Region
from referral.audit import service as audit
from referral.cases import hooks
from referral.cases.models import Case, CaseMember, CaseSequence, CaseStatus
from referral.cases.service.days import local_today
from referral.cases.service.reading import check_version, writable_case
from referral.cases.service.timeline import add_timeline_entry
from referral.errors import DomainError, IllegalTransition, NotVisible, StaleEdit
from referral.events.service import emit
from referral.extensions import db
from referral.models_base import utcnow

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


@dataclass(frozen=True)
class CaseInput:
    region_code: str
    district_id: int | None = None
    address: str = ""
    languages: tuple[str, ...] = ()


def new_creation_token() -> str:
    return str(uuid.uuid4())


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
