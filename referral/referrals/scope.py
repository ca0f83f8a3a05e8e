"""Who sees which referral, and what an accepted referral shares of its case.

A referral is seen by its sending and receiving agencies and by coordinators of the case's region
(``Referral.region_code``, the case's region copied and kept in step);
a referral of a restricted case only by users named on the case; administrators see none.
Rules use table columns in their subqueries so that one rule never re-applies another.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from referral.access.permissions import Role
from referral.access.scope import Actor, register_scope
from referral.cases.scope import (
    DATA_CATEGORIES,
    open_or_named,
    register_case_sharing,
    register_category_source,
)
from referral.extensions import db
from referral.models_base import utcnow
from referral.referrals.lifecycle import SHARED_STATES
from referral.referrals.models import (
    Referral,
    ReferralConsent,
    ReferralHistory,
    ReferralProgressNote,
)

_referrals = Referral.__table__
_consents = ReferralConsent.__table__


def referral_rule(actor: Actor, c: Any) -> ColumnElement[bool]:
    """The visibility rule over the columns ``c`` (the mapped class or its table's ``.c``)."""
    if actor.role == Role.ADMINISTRATOR or actor.user_id is None:
        return false()
    if actor.role == Role.COORDINATOR:
        if not actor.region_ids:
            return false()
        # The referral's copy of its case's region (kept in step, see the end of models.py).
        return and_(c.region_code.in_(sorted(actor.region_ids)),
                    open_or_named(c.case_id, actor, restricted=c.case_restricted))
    if actor.role in (Role.OFFICER, Role.AGENCY_MANAGER) and actor.agency_id is not None:
        return and_(
            or_(c.sender_agency_id == actor.agency_id, c.receiver_agency_id == actor.agency_id),
            open_or_named(c.case_id, actor, restricted=c.case_restricted),
        )
    return false()


def visible_referral_ids(actor: Actor) -> Select[Any]:
    return select(_referrals.c.id).where(referral_rule(actor, _referrals.c))


@register_scope(Referral)
def referral_visible(actor: Actor) -> ColumnElement[bool]:
    return referral_rule(actor, Referral)


@register_scope(ReferralConsent)
def consent_visible(actor: Actor) -> ColumnElement[bool]:
    return ReferralConsent.referral_id.in_(visible_referral_ids(actor))


@register_scope(ReferralHistory)
def history_visible(actor: Actor) -> ColumnElement[bool]:
    return ReferralHistory.referral_id.in_(visible_referral_ids(actor))


def consent_in_force_sql(c: Any) -> ColumnElement[bool]:
    """The referral (columns ``c``) has the survivor's consent in force for the agency that
    holds it now: given, not withdrawn, not ended (``service.consent_in_force`` as SQL). The
    database's clock, as rules are built once per actor and kept."""
    return select(_consents.c.id).where(
        _consents.c.referral_id == c.id,
        _consents.c.shared_with_agency_id == c.receiver_agency_id,
        _consents.c.consented.is_(True),
        _consents.c.withdrawn_at.is_(None),
        or_(_consents.c.valid_until.is_(None),
            _consents.c.valid_until > func.current_timestamp()),
    ).exists()


@register_scope(ReferralProgressNote)
def progress_note_visible(actor: Actor) -> ColumnElement[bool]:
    """The receiving agency reads every note of its referrals; the sending agency its own notes,
    and the receiver's while the survivor's consent for that agency is in force (what the
    receiver writes comes from the consented data). Nobody else: coordinators and
    administrators read none (default deny)."""
    if actor.role not in (Role.OFFICER, Role.AGENCY_MANAGER) or actor.agency_id is None:
        return false()
    notes, r = ReferralProgressNote, _referrals.alias("progress_referral")
    visible = referral_rule(actor, r.c)
    receiving = select(r.c.id).where(visible, r.c.receiver_agency_id == actor.agency_id)
    sending = select(r.c.id).where(visible, r.c.sender_agency_id == actor.agency_id)
    consented = sending.where(consent_in_force_sql(r.c))
    return or_(notes.referral_id.in_(receiving),
               and_(notes.agency_id == actor.agency_id, notes.referral_id.in_(sending)),
               notes.referral_id.in_(consented))


@register_case_sharing
def cases_shared_by_referral(actor: Actor) -> Select[Any]:
    """An agency that has taken up a referral sees its case (within consent, below)."""
    return select(_referrals.c.case_id).where(
        _referrals.c.receiver_agency_id == actor.agency_id,
        _referrals.c.status.in_(sorted(SHARED_STATES)),
    )


@register_category_source
def consented_categories(actor: Actor, case_id: int) -> set[str]:
    """Categories the survivor consented to share with the actor's agency, while consent lasts.

    Without consent (or once it is withdrawn or ended) the agency reads only the referral itself.
    """
    if actor.agency_id is None:
        return set()
    now = utcnow()
    rows = db.session.execute(
        select(_consents.c.categories)
        .join(_referrals, _referrals.c.id == _consents.c.referral_id)
        .where(
            _referrals.c.case_id == case_id,
            _referrals.c.receiver_agency_id == actor.agency_id,
            _referrals.c.status.in_(sorted(SHARED_STATES)),
            _consents.c.shared_with_agency_id == actor.agency_id,
            _consents.c.consented.is_(True),
            _consents.c.withdrawn_at.is_(None),
            or_(_consents.c.valid_until.is_(None), _consents.c.valid_until > now),
        )
    ).scalars()
    found: set[str] = set()
    for categories in rows:
        found |= set(categories or ())
    return found & set(DATA_CATEGORIES)
