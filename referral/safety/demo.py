"""Demo: a safety plan for the first Almaty case's survivor, and the second case's risk
re-assessment overdue, so the officer's and the coordinator's lists have something to show."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from referral.access.scope import acting_as, system_actor
from referral.accounts.service import actor_for
from referral.cases.models import Case, CaseParticipant, ParticipantRole
from referral.extensions import db
from referral.models_base import utcnow
from referral.safety import service
from referral.safety.models import ReassessmentSchedule

_PLANNED = "00000000-demo-0000-0000-000000000001"
_OVERDUE = "00000000-demo-0000-0000-000000000002"


def _survivor(token: str) -> CaseParticipant | None:
    with acting_as(system_actor("seed-demo safety")):
        return db.session.execute(
            select(CaseParticipant).join(Case, Case.id == CaseParticipant.case_id)
            .where(Case.creation_token == token, CaseParticipant.role == ParticipantRole.SURVIVOR)
        ).scalars().first()


def seed(agencies: dict[str, Any], users: dict[str, Any]) -> None:
    police = actor_for(users["police"])
    survivor = _survivor(_PLANNED)
    if survivor is not None and service.current_plan(police, survivor.id) is None:
        service.save_plan(police, survivor.id, service.PlanInput(
            main_concern="Боюсь, что он вернётся ночью, когда дети спят.",
            resources="Сестра в Каскелене, соседка Гульнара, кризисный центр.",
            code_signal="Штора задёрнута наполовину",
            go_bag="Паспорта, свидетельства детей, деньги, ключи, лекарства — у соседки.",
            during_violence="Уйти в комнату с выходом наружу, позвонить 102.",
            after_leaving="Новая SIM-карта, другой маршрут в школу.",
            text_allowed=True, partner_knows="no"), based_on=None)
    other = _survivor(_OVERDUE)
    if other is None:
        return
    with acting_as(system_actor("seed-demo safety")):
        table = ReassessmentSchedule.__table__
        db.session.execute(table.update().where(
            table.c.case_id == other.case_id, table.c.due_at > utcnow())
            .values(due_at=utcnow() - timedelta(days=40)))
