"""Factories for the coordination tests: cases and referrals written directly, with known dates."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from referral.accounts.models import User
from referral.agencies.models import Agency, District
from referral.cases.models import Case, CaseMember
from referral.extensions import db
from referral.referrals.models import Referral

_seq = itertools.count(1)
NOW = datetime(2026, 3, 16, 6, 0, tzinfo=UTC)  # Monday 11:00 in Almaty


def make_case(owner: Agency, creator: User, *, region: str | None = None,
              district: District | None = None, risk_level: str | None = "standard",
              is_repeat: bool = False, restricted: bool = False, status: str = "open",
              created_at: datetime = NOW - timedelta(days=10), members: tuple[User, ...] = (),
              **fields: Any) -> Case:
    region = region or owner.region_code
    case = Case(reference=f"{region}-2026-{next(_seq):06d}", region_code=region,
                district_id=district.id if district else None, owner_agency_id=owner.id,
                created_by_id=creator.id, status=status, risk_level=risk_level,
                is_repeat=is_repeat, restricted=restricted, created_at=created_at,
                address="", languages="", **{"updated_at": created_at, **fields})
    db.session.add(case)
    db.session.flush()
    for user in members:
        db.session.add(CaseMember(case_id=case.id, user_id=user.id))
    db.session.flush()
    return case


def make_referral(case: Case, sender: User, receiver: Agency, *, service: str = "shelter",
                  urgency: str = "urgent", status: str = "sent",
                  sent_at: datetime = NOW - timedelta(days=2),
                  deadline: timedelta | None = timedelta(hours=24),
                  accepted_after: timedelta | None = None, **fields: Any) -> Referral:
    accepted_at = sent_at + accepted_after if accepted_after is not None else None
    referral = Referral(
        reference=f"R-{next(_seq):06d}", idempotency_key=uuid.uuid4().hex, case_id=case.id,
        region_code=case.region_code,
        sender_agency_id=sender.agency_id, sender_user_id=sender.id,
        receiver_agency_id=receiver.id, service_code=service, urgency=urgency, status=status,
        sent_at=sent_at, deadline_at=sent_at + (deadline or timedelta(hours=24)),
        accepted_at=accepted_at, **fields)
    db.session.add(referral)
    db.session.flush()
    return referral


def make_incident(case: Case, recorder: User, *, occurred_at: datetime, is_repeat: bool = False,
                  physical: bool = True, psychological: bool = False, sexual: bool = False,
                  economic: bool = False, gbv_type: str = "physical_assault",
                  offence: Any = None) -> Any:
    from referral.cases.models import Incident

    incident = Incident(case_id=case.id, occurred_at=occurred_at, reported_by="survivor",
                        physical=physical, psychological=psychological, sexual=sexual,
                        economic=economic, gbv_type=gbv_type, is_repeat=is_repeat,
                        offence_id=offence.id if offence else None,
                        recorded_by_id=recorder.id, recorded_by_agency_id=recorder.agency_id)
    db.session.add(incident)
    db.session.flush()
    return incident


def make_assessment(case: Case, assessor: User, *, level: str, override_level: str | None = None,
                    at: datetime = NOW - timedelta(days=3)) -> Any:
    from referral.cases.models import RiskAssessment

    assessment = RiskAssessment(case_id=case.id, answers={}, score=5, computed_level="standard",
                                override_level=override_level, level=level, medium_from=10,
                                high_from=14, instrument_version="2024-count",
                                assessed_by_id=assessor.id,
                                agency_id=assessor.agency_id, assessed_at=at)
    db.session.add(assessment)
    db.session.flush()
    return assessment


def make_measure(case: Case, recorder: User, *, starts_on: Any, ends_on: Any,
                 status: str = "active", measure_type: str = "protective_order") -> Any:
    from referral.cases.models import ProtectiveMeasure

    measure = ProtectiveMeasure(case_id=case.id, measure_type=measure_type, starts_on=starts_on,
                                ends_on=ends_on, status=status, recorded_by_id=recorder.id)
    db.session.add(measure)
    db.session.flush()
    return measure
