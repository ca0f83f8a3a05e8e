"""Referral test helpers: a case to refer from, and a referral sent in one call."""

from __future__ import annotations

import itertools
from typing import Any

from referral.accounts.service import actor_for
from referral.cases.models import Case, CaseMember
from referral.extensions import db
from referral.referrals import service
from referral.referrals.models import Referral

_n = itertools.count(1)
ALL_CATEGORIES = ("identity_contact", "incident_details", "risk_assessment", "children")


def make_case(owner: Any, creator: Any, *, risk: str | None = "high", region: str | None = None,
              restricted: bool = False, members: tuple[Any, ...] = ()) -> Case:
    """A case made directly (the cases domain has its own services; here only the row matters)."""
    case = Case(reference=f"T-{next(_n):06d}", region_code=region or owner.region_code,
                owner_agency_id=owner.id, created_by_id=creator.id, risk_level=risk,
                restricted=restricted)
    db.session.add(case)
    db.session.flush()
    for user in members:
        db.session.add(CaseMember(case_id=case.id, user_id=user.id))
    db.session.flush()
    return case


def consent(*categories: str, until: Any = None) -> service.ConsentInput:
    return service.ConsentInput(consented=True, categories=categories or ALL_CATEGORIES,
                                valid_until=until)


def no_consent(ground: str = "child_at_risk") -> service.ConsentInput:
    return service.ConsentInput(consented=False, legal_ground=ground,
                                legal_ground_text="Children witnessed violence.")


def send(sender: Any, case: Case, receiver: Any, *, service_code: str = "shelter",
         consent_input: service.ConsentInput | None = None, key: str | None = None,
         **fields: Any) -> Referral:
    data = service.ReferralInput(
        case_id=case.id, receiver_agency_id=receiver.id, service_code=service_code,
        consent=consent_input or consent(), idempotency_key=key or f"k{next(_n)}",
        reason=fields.pop("reason", "Needs safe accommodation."), **fields)
    return service.send_referral(actor_for(sender), data=data)
