"""Who sees which document: the rule, applied to every query by referral.access.scope.

A document is seen only with its case (a restricted case's documents follow its restriction),
and then
- by the agency that leads the case and the region's coordinators (all of the case's documents),
- by the agency that added it,
- by a referral's receiver only when the sender sent it with that referral, the referral is
  taken up, and the survivor's consent in force covers the document's data category.
Others the case is shared with (an access request, emergency access) see no documents: a file
can expose more than the categories they were given. Administrators see none.
"""

from __future__ import annotations

from sqlalchemy import String, and_, cast, false, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from referral.access.permissions import Role
from referral.access.scope import Actor, register_scope
from referral.cases.models import Case
from referral.cases.scope import DATA_CATEGORIES, case_visible_exists
from referral.documents.models import Document, DocumentShare
from referral.referrals.lifecycle import SHARED_STATES
from referral.referrals.models import Referral, ReferralConsent
from referral.referrals.scope import visible_referral_ids

_cases = Case.__table__
_referrals = Referral.__table__
_consents = ReferralConsent.__table__
_shares = DocumentShare.__table__


def _leads_or_coordinates(actor: Actor) -> ColumnElement[bool] | None:
    c = _cases.alias("doc_case")
    reach: list[ColumnElement[bool]] = []
    if actor.agency_id is not None:
        reach.append(c.c.owner_agency_id == actor.agency_id)
    if actor.role == Role.COORDINATOR and actor.region_ids:
        reach.append(c.c.region_code.in_(sorted(actor.region_ids)))
    if not reach:
        return None
    return (select(c.c.id).where(c.c.id == Document.case_id, or_(*reach))
            .correlate_except(c).exists())


def consent_covers(categories: ColumnElement[object],
                   data_category: ColumnElement[str]) -> ColumnElement[bool]:
    """The consent's category list (JSON) holds ``data_category``: a text match of the quoted
    code, which reads the same on SQLite and PostgreSQL (codes are not parts of each other)."""
    text = cast(categories, String)
    return or_(*(and_(data_category == code, text.like(f'%"{code}"%'))
                 for code in DATA_CATEGORIES))


def sent_within_consent(actor: Actor) -> ColumnElement[bool]:
    """Sent with a referral the actor's agency took up, within the consent in force."""
    s, r, k = (_shares.alias("doc_share"), _referrals.alias("doc_referral"),
               _consents.alias("doc_consent"))
    return (select(s.c.id).join(r, r.c.id == s.c.referral_id)
            .join(k, k.c.referral_id == r.c.id)
            .where(s.c.document_id == Document.id,
                   r.c.receiver_agency_id == actor.agency_id,
                   r.c.status.in_(sorted(SHARED_STATES)),
                   k.c.shared_with_agency_id == actor.agency_id,
                   k.c.consented.is_(True), k.c.withdrawn_at.is_(None),
                   or_(k.c.valid_until.is_(None), k.c.valid_until > func.current_timestamp()),
                   consent_covers(k.c.categories, Document.data_category))
            .correlate_except(s, r, k).exists())


@register_scope(Document)
def document_visible(actor: Actor) -> ColumnElement[bool]:
    if actor.role == Role.ADMINISTRATOR or actor.user_id is None:
        return false()
    branches: list[ColumnElement[bool]] = []
    leads = _leads_or_coordinates(actor)
    if leads is not None:
        branches.append(leads)
    if actor.role in (Role.OFFICER, Role.AGENCY_MANAGER) and actor.agency_id is not None:
        branches.append(Document.agency_id == actor.agency_id)
        branches.append(sent_within_consent(actor))
    if not branches:
        return false()
    return and_(case_visible_exists(Document.case_id, actor), or_(*branches))


@register_scope(DocumentShare)
def share_visible(actor: Actor) -> ColumnElement[bool]:
    """Which documents travel with a referral: seen by whoever sees the referral."""
    return DocumentShare.referral_id.in_(visible_referral_ids(actor))
