"""Demo: a scheduled case conference in Almaty with an agenda and one action for the police.

Idempotent (skipped when Almaty has a conference already) and quiet when there is no demo case.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from referral.access.scope import acting_as, system_actor
from referral.accounts.service import actor_for
from referral.cases.models import Case
from referral.coordination.local_time import display_zone, local_today
from referral.coordination.models import AgendaReason, CaseConference
from referral.coordination.service import actions, conferences
from referral.extensions import db
from referral.models_base import utcnow

REGION = "KZ-75"


def _demo_cases() -> list[Case]:
    with acting_as(system_actor("seed-demo coordination")):
        return list(db.session.execute(
            select(Case).where(Case.region_code == REGION, Case.restricted.is_(False))
            .order_by(Case.risk_level != "high", Case.id).limit(2)
        ).scalars())


def seed(agencies: dict[str, Any], users: dict[str, Any]) -> None:
    coordinator, police = users.get("coordinator"), agencies.get("almaty_police")
    if coordinator is None or police is None:
        return
    with acting_as(system_actor("seed-demo coordination")):
        if db.session.execute(select(CaseConference.id).where(
                CaseConference.region_code == REGION)).first():
            return
    cases = _demo_cases()
    if not cases:
        return
    actor = actor_for(coordinator)
    today = local_today(utcnow())
    when = datetime.combine(today + timedelta(days=7), time(10, 0), display_zone())
    conference = conferences.schedule_conference(
        actor, region_code=REGION, scheduled_at=when.astimezone(UTC),
        location="Akimat, interagency commission room")
    items = [conferences.add_case_to_agenda(
        actor, conference_id=conference.id, case_id=case.id,
        reason=AgendaReason.HIGH_RISK if case.risk_level == "high" else AgendaReason.COORDINATOR)
        for case in cases]
    actions.assign_action(actor, item_id=items[0].id, agency_id=police.id,
                          owner_user_id=users["police"].id if users.get("police") else None,
                          description="Check that the protective order was served and report.",
                          due_on=today + timedelta(days=10))
    db.session.flush()
