"""Demo referrals: the police refer a demo case to the crisis center (one waiting, one done),
and a few that fell between agencies for the overdue review (demo_overdue.py).

Idempotent; skipped quietly when there is no demo case (the cases demo runs first).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from referral.access.scope import acting_as, system_actor
from referral.accounts.service import actor_for
from referral.cases.models import Case
from referral.extensions import db
from referral.referrals import demo_overdue, progress, service
from referral.referrals.models import Referral


def _demo_case(owner_agency_id: int) -> Case | None:
    with acting_as(system_actor("seed-demo referrals")):
        return db.session.execute(
            select(Case).where(Case.owner_agency_id == owner_agency_id).order_by(Case.id).limit(1)
        ).scalar_one_or_none()


def seed(agencies: dict[str, Any], users: dict[str, Any]) -> None:
    _seed_first_referrals(agencies, users)
    demo_overdue.seed(agencies, users)  # after: the check above looks for any referral


def _seed_first_referrals(agencies: dict[str, Any], users: dict[str, Any]) -> None:
    police, crisis = agencies.get("almaty_police"), agencies.get("almaty_crisis")
    officer, worker = users.get("police"), users.get("crisis")
    if not (police and crisis and officer and worker):
        return
    case = _demo_case(police.id)
    if case is None:
        return
    sender = actor_for(officer)
    with acting_as(sender):
        if db.session.execute(select(Referral.id).where(Referral.case_id == case.id)).first():
            return
        consent = service.ConsentInput(consented=True, categories=(
            "identity_contact", "incident_details", "risk_assessment", "children"))
        done = service.send_referral(sender, data=service.ReferralInput(
            case_id=case.id, receiver_agency_id=crisis.id, service_code="psychological",
            consent=consent, idempotency_key="demo-psychological", urgency="routine",
            reason="Survivor asks for counselling after the incident.",
            need_to_know="Prefers Russian; call only on the safe number."))
        service.send_referral(sender, data=service.ReferralInput(
            case_id=case.id, receiver_agency_id=crisis.id, service_code="shelter",
            consent=consent, idempotency_key="demo-shelter", urgency="urgent",
            reason="Mother and two children need safe accommodation tonight.",
            need_to_know="Two children aged 4 and 7."))
    receiver = actor_for(worker)
    with acting_as(receiver):
        service.accept_referral(receiver, referral_id=done.id)
        service.start_progress(receiver, referral_id=done.id, text="First session booked.")
        progress.add_progress_note(receiver, referral_id=done.id,
                                   text="Third session held; she sleeps better and feels safer.")
        service.complete_referral(receiver, referral_id=done.id, outcome="service_provided",
                                  text="Five counselling sessions held.")
    db.session.flush()
