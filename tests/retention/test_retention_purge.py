"""Retention: cases closed past their period lose personal data and free text; held, recent and
open cases keep everything; the dry run lists exactly what a run clears; statistics and the
audit chain hold."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select

from referral.access.scope import acting_as, system_actor
from referral.audit.models import AuditEvent
from referral.audit.service import verify_chain
from referral.cases import incidents, measures, notes, people, risk
from referral.cases import service as cases
from referral.cases.models import (
    Case,
    CaseNote,
    CaseParticipant,
    Incident,
    Person,
    ProtectiveMeasure,
    RiskAssessment,
)
from referral.coordination.stats import export as exports
from referral.extensions import db
from referral.referrals.models import Referral, ReferralProgressNote
from referral.retention import policy, service
from referral.safety import service as safety
from referral.safety.models import SafetyPlan
from tests.cases import factories as cf
from tests.closure.factories import signed_off, without_close_guard
from tests.fixtures import actor, make_agency
from tests.safety.factories import plan_input

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=11 * 365)


def _person(surname: str, iin: str = "", born: date | None = None,
            sex: str = "female") -> people.PersonInput:
    return people.PersonInput(surname=surname, given_name="Given", patronymic="Patr",
                              sex=sex, birth_date=born, iin=iin)


def _case(w: dict[str, Any], tag: str, *, iins: tuple[str, str] = ("", ""),
          close: bool = True) -> Case:
    """A case of Police A with a family, a note, an incident, a risk assessment, a measure, a
    referral with a progress note; closed unless ``close`` is False."""
    police = actor(w["officer"])
    case = cf.open_case(police, address=f"Street {tag}")
    survivor = cf.add_person(police, case, _person(f"Survivor{tag}", iins[0],
                                                   date(2003, 11, 11)),
                             "survivor", relationship_to_offender="former_spouse",
                             phone="+7 700 000 0000")
    safety.save_plan(police, survivor.id, plan_input(main_concern=f"Concern {tag}"),
                     based_on=None)
    cf.add_person(police, case, _person(f"Offender{tag}", iins[1], date(2002, 3, 30), "male"),
                  "alleged_offender", relationship_to_offender="self")
    notes.add_note(police, case.id, f"Note about {tag}")
    incidents.record_incident(police, case.id, cf.incident_input(
        description=f"What happened {tag}", place="Kitchen"))
    risk.record_assessment(police, case.id, cf.answers(3))
    measures.issue_measure(police, case.id, measures.MeasureInput(
        measure_type="protective_order", starts_on=datetime.now(UTC).date(),
        conditions="Stay away"))
    health = make_agency("health", "KZ-75", services=("medical",))
    with acting_as(system_actor("test setup")):
        from tests.coordination import factories as co

        referral = co.make_referral(case, w["officer"], health, status="accepted",
                                    sent_at=datetime.now(UTC), reason=f"Needs care {tag}")
        db.session.add(ReferralProgressNote(referral_id=referral.id, agency_id=health.id,
                                            author_user_id=w["officer"].id,
                                            body=f"Seen {tag}"))
        db.session.flush()
    if close:
        with without_close_guard():  # the case keeps its measure and referral
            cases.change_status(police, case.id, status="closed", reason=next(iter(
                cases.CLOSED_REASONS)))
    db.session.commit()
    return case


@pytest.fixture
def aged(ctx, world) -> dict[str, Any]:
    """Old (closed 11 years ago), held (the same, with a hold), recent (closed a year ago) and
    open (opened 11 years ago) cases."""
    ctx.config["COORDINATION_FIGURES_CACHE_SECONDS"] = 0
    with time_machine.travel(LONG_AGO, tick=False):
        old = _case(world, "Old", iins=("031111699901", "020330599901"))
        held = _case(world, "Held")
        still_open = _case(world, "Open", close=False)
    with time_machine.travel(NOW - timedelta(days=365), tick=False):
        recent = _case(world, "Recent")
    with time_machine.travel(NOW, tick=False):
        service.place_hold(actor(world["manager"]), held.id, reason="Court proceedings")
        db.session.commit()
    return {**world, "old": old, "held": held, "open": still_open, "recent": recent}


def _snapshot(case_id: int) -> dict[str, Any]:
    """Everything personal or free text of a case, as the system reads it."""
    with acting_as(system_actor("test")):
        s = db.session
        s.expire_all()
        person_ids = select(CaseParticipant.person_id).where(CaseParticipant.case_id == case_id)
        return {
            "address": s.execute(select(Case.address).where(Case.id == case_id)).scalar(),
            "people": sorted(s.execute(select(Person.surname, Person.iin, Person.birth_date)
                                       .where(Person.id.in_(person_ids))).all(), key=str),
            "phones": sorted(s.execute(select(CaseParticipant.phone).where(
                CaseParticipant.case_id == case_id)).scalars()),
            "notes": list(s.execute(select(CaseNote.body).where(
                CaseNote.case_id == case_id)).scalars()),
            "incidents": list(s.execute(select(Incident.description, Incident.place).where(
                Incident.case_id == case_id)).all()),
            "risk": list(s.execute(select(RiskAssessment.answers, RiskAssessment.level).where(
                RiskAssessment.case_id == case_id)).all()),
            "measures": list(s.execute(select(ProtectiveMeasure.conditions).where(
                ProtectiveMeasure.case_id == case_id)).scalars()),
            "referrals": list(s.execute(select(Referral.reason, Referral.status).where(
                Referral.case_id == case_id)).all()),
            "plans": list(s.execute(select(SafetyPlan.main_concern, SafetyPlan.go_bag).where(
                SafetyPlan.case_id == case_id)).all()),
            "progress": list(s.execute(select(ReferralProgressNote.body).join(
                Referral, Referral.id == ReferralProgressNote.referral_id).where(
                Referral.case_id == case_id)).scalars()),
        }


def _statistics(w: dict[str, Any]) -> list[Any]:
    return exports.statistics_rows(actor(w["coordinator"]), start=LONG_AGO.date()
                                   - timedelta(days=31), end=NOW.date())


def test_dry_run_lists_exactly_the_due_case_and_changes_nothing(aged):
    w = aged
    before = {k: _snapshot(w[k].id) for k in ("old", "held", "open", "recent")}
    with time_machine.travel(NOW, tick=False):
        result = service.run(dry_run=True)
    assert [r.case_id for r in result.cases] == [w["old"].id]
    [row] = result.cases
    assert row.reference == w["old"].reference
    assert row.counts["people"] == 4 and row.counts["notes"] == 1
    assert row.counts["progress_notes"] == 1 and row.counts["case_core"] == 1
    assert not result.purged
    assert {k: _snapshot(w[k].id) for k in before} == before
    # the report as a coordinator of another region lists nothing
    from tests.fixtures import make_user

    other = make_user(w["other_agency"], "coordinator", regions=("KZ-43",))
    assert service.report_for(actor(other), now=NOW) == []
    assert [r.case_id for r in service.report_for(actor(w["admin"]), now=NOW)] == [w["old"].id]


def test_purge_clears_personal_data_and_keeps_statistics_and_the_audit_chain(aged):
    w = aged
    untouched = {k: _snapshot(w[k].id) for k in ("held", "open", "recent")}
    with time_machine.travel(NOW, tick=False):
        stats_before = _statistics(w)
        db.session.commit()
        result = service.run()
        db.session.commit()
        stats_after = _statistics(w)
        db.session.commit()
    assert list(result.purged) == [w["old"].id]
    after = _snapshot(w["old"].id)
    assert after["address"] == ""
    assert after["people"] == [("", None, None), ("", None, None)]
    assert after["phones"] == ["", ""]
    assert after["notes"] == [""]
    assert after["incidents"] == [("", "")]
    [(answers, level)] = after["risk"]
    assert answers == {} and level  # the level, which statistics count, stays
    assert after["measures"] == [""]
    assert after["referrals"] == [("", "accepted")]
    assert after["progress"] == [""]
    assert after["plans"] == [("", "")]
    assert {k: _snapshot(w[k].id) for k in untouched} == untouched
    assert stats_after == stats_before
    # audited: one row for the case, with counts and no content
    with acting_as(system_actor("test")):
        rows = db.session.execute(select(AuditEvent).where(
            AuditEvent.action == "retention.purge")).scalars().all()
        assert [(r.object_type, r.object_id) for r in rows] == [("case", str(w["old"].id))]
        text = str(rows[0].details)
        for secret in ("SurvivorOld", "031111699901", "Street Old", "Note about Old"):
            assert secret not in text
        assert rows[0].details["counts"]["people"] == 4  # 2 people, 1 phone, 1 safety plan
        assert verify_chain().ok
    # a second run finds nothing left
    with time_machine.travel(NOW, tick=False):
        assert service.run().purged == {}


def test_a_released_hold_lets_the_next_run_purge(aged):
    w = aged
    with time_machine.travel(NOW, tick=False):
        hold = service.case_hold(actor(w["coordinator"]), w["held"].id)
        service.release_hold(actor(w["coordinator"]), hold.id, reason="Proceedings ended")
        db.session.commit()
        result = service.run()
    assert sorted(result.purged) == sorted([w["old"].id, w["held"].id])
    assert result.purged[w["held"].id]["access_reasons"] == 1  # the hold's own reasons


def test_a_person_in_a_case_still_kept_is_not_anonymised(ctx, world):
    police = actor(world["officer"])
    with time_machine.travel(LONG_AGO, tick=False):
        old = cf.open_case(police)
        cf.add_person(police, old, _person("Shared", "850722499909"), "survivor")
        signed_off(old.id)
        cases.change_status(police, old.id, status="closed",
                            reason=next(iter(cases.CLOSED_REASONS)))
        db.session.commit()
    with time_machine.travel(NOW, tick=False):
        current = cf.open_case(police)
        cf.add_person(police, current, _person("Shared", "850722499909"), "survivor")
        db.session.commit()
        service.run()
    assert _snapshot(old.id)["people"] == [("Shared", "850722499909", None)]


def test_the_setting_overrides_a_period(ctx, world):
    ctx.config["RETENTION_MONTHS"] = {"notes": 6}
    kinds = {k.code: k for k in policy.kinds()}
    assert kinds["notes"].months == 6 and kinds["notes"].default_months == 120
    ctx.config["RETENTION_MONTHS"] = {"nonsense": 6}
    with pytest.raises(ValueError, match="nonsense"):
        policy.kinds()


def test_closing_sets_and_reopening_clears_closed_at(ctx, world):
    police = actor(world["officer"])
    case = cf.open_case(police)
    assert case.closed_at is None
    signed_off(case.id)
    cases.change_status(police, case.id, status="closed", reason=next(iter(cases.CLOSED_REASONS)))
    assert case.closed_at is not None
    cases.change_status(police, case.id, status="open")
    assert case.closed_at is None


def test_the_data_file_names_every_kind_in_three_languages(ctx):
    basis = policy.basis()
    assert "94-V" in basis.legal_basis_en and basis.legal_basis_ru and basis.legal_basis_kk
    codes = [k.code for k in policy.kinds()]
    from referral.retention.purge import TARGETS

    assert set(TARGETS) | {"people"} == set(codes)
    for kind in policy.kinds():
        assert kind.title_en and kind.title_ru and kind.title_kk and kind.months >= 1


def test_the_cli_dry_run_prints_references_only(aged):
    w = aged
    from flask import current_app

    result = current_app.test_cli_runner().invoke(
        args=["retention", "run", "--dry-run", "--now", NOW.isoformat()])
    assert result.exit_code == 0, result.output
    assert w["old"].reference in result.output and "would purge 1 case(s)" in result.output
    assert "SurvivorOld" not in result.output and w["held"].reference not in result.output
    with acting_as(system_actor("test")):
        assert db.session.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "retention.purge")).scalar() == 0


def test_the_daily_task_purges_and_is_scheduled(aged):
    from workers import BEAT_SCHEDULE
    from workers.tasks import retention_purge

    assert {e["task"] for e in BEAT_SCHEDULE.values()} >= {"referral.retention.purge"}
    with time_machine.travel(NOW, tick=False):
        assert retention_purge.run() == 1
        assert retention_purge.run() == 0


def test_purge_clears_what_a_school_was_told_of_a_child(ctx, world):
    """A school notice holds a child's name and birth date: they go with the case's people; the
    notice itself (sent, received, when) stays for the figures."""
    from referral.schools.models import SchoolNotice
    from tests.schools.factories import incident_at, linked_case

    school = make_agency("education", "KZ-75", name="School A")
    police = actor(world["officer"])
    with time_machine.travel(LONG_AGO, tick=False):
        case, _members = linked_case(world["officer"], school)
    incident_at(world["officer"], case, LONG_AGO + timedelta(hours=1))
    with time_machine.travel(LONG_AGO + timedelta(days=1), tick=False):
        signed_off(case.id)
        cases.change_status(police, case.id, status="closed",
                            reason=next(iter(cases.CLOSED_REASONS)))
        db.session.commit()

    def notices() -> list[Any]:
        with acting_as(system_actor("test")):
            db.session.expire_all()
            return db.session.execute(select(
                SchoolNotice.child_name, SchoolNotice.child_birth_date,
                SchoolNotice.police_reference, SchoolNotice.status).where(
                SchoolNotice.case_id == case.id)).all()

    [(name, born, reference, status)] = notices()
    assert name and born and reference
    with time_machine.travel(NOW, tick=False):
        assert case.id in service.run().purged
        db.session.commit()
    assert notices() == [("", None, "", status)]
