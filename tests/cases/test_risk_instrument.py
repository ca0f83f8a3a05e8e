"""The risk instrument (issue 19 §1): red flags and danger signs that a count cannot outvote,
yes / no / not known, a version and an explanation stored on every assessment, and a high level
that reaches the coordinator's review and the next case conference's proposals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from referral.access.scope import acting_as, system_actor
from referral.audit.models import AuditEvent
from referral.cases import risk
from referral.cases.models import RiskAssessment
from referral.coordination.models import AgendaItem, AgendaReason
from referral.coordination.service import conferences
from referral.coordination.service import review as coordination_review
from referral.errors import DomainError
from referral.extensions import db
from referral.models_base import utcnow
from tests.cases import factories as f
from tests.fixtures import actor, fresh, login

RED_FLAGS = ("weapon_used", "threat_to_kill", "strangulation", "believes_will_kill")
SIGNS = ("gun_access", "control", "separation", "unemployed", "offender_suicidal",
         "other_child", "stalking", "escalation_severity")
# Counted-only questions, in the order the count cases use them.
PLAIN = tuple(c for c in f.count_order() if c not in RED_FLAGS + SIGNS)
# The case: five of the strongest homicide predictors, once rated "standard" (5 yes).
LETHAL_FIVE = ("strangulation", "threat_to_kill", "gun_access", "separation", "very_frightened")
DEFAULT = risk.Thresholds(medium_from=10, high_from=14, group_high_from=4)


def given(yes: tuple[str, ...] = (), unknown: tuple[str, ...] = (),
          version: str | None = None) -> dict[str, str]:
    inst = risk.instrument(version) if version else risk.current()
    return {c: "yes" if c in yes else "unknown" if c in unknown else "no" for c in inst.codes}


# (name, yes, not known, expected level, rules that decided). The closing note's table.
TABLE = [
    ("nothing", (), (), "standard", ()),
    *[(f"red flag alone: {c}", (c,), (), "high", ("red_flag",)) for c in RED_FLAGS],
    ("the five: strangulation, threat to kill, gun, separation, very frightened", LETHAL_FIVE,
     (), "high", ("red_flag",)),
    ("four danger signs, no red flag", SIGNS[:4], (), "high", ("group",)),
    ("four other danger signs", SIGNS[4:], (), "high", ("group",)),
    ("three danger signs (one short)", SIGNS[:3], (), "standard", ()),
    ("three danger signs + 6 counted = 9", SIGNS[:3] + PLAIN[:6], (), "standard", ()),
    ("three danger signs + 7 counted = 10", SIGNS[:3] + PLAIN[:7], (), "medium", ("count",)),
    ("9 counted", PLAIN[:9], (), "standard", ()),
    ("10 counted", PLAIN[:10], (), "medium", ("count",)),
    ("13 counted", PLAIN[:13], (), "medium", ("count",)),
    ("14 counted", PLAIN[:14], (), "high", ("count",)),
    ("17 counted + 3 danger signs = 20", PLAIN + SIGNS[:3], (), "high", ("count",)),
    ("every question yes", tuple(risk.FACTOR_CODES), (), "high", ("red_flag", "group", "count")),
    ("every question not known", (), tuple(risk.FACTOR_CODES), "standard", ()),
    ("every red flag not known", (), RED_FLAGS, "standard", ()),
    ("four danger signs not known", (), SIGNS[:4], "standard", ()),
    ("9 yes + 5 not known", PLAIN[:9], PLAIN[9:14], "standard", ()),
    ("red flag + 10 counted", ("strangulation",) + PLAIN[:10], (), "high", ("red_flag",)),
]


@pytest.mark.parametrize("name, yes, unknown, level, rules", TABLE, ids=[t[0] for t in TABLE])
def test_answer_sets_give_the_expected_level(name, yes, unknown, level, rules):
    outcome = risk.evaluate(risk.current(), given(yes, unknown), DEFAULT)
    assert (outcome.level, outcome.rules) == (level, rules)
    assert (outcome.yes, outcome.unknown) == (len(set(yes)), len(set(unknown)))


def test_the_instrument_is_data_with_red_flags_and_danger_signs():
    inst = risk.current()
    assert (inst.version, risk.CURRENT_VERSION) == ("2026-12", "2026-12")
    assert set(inst.in_group(risk.RED_FLAG)) == set(RED_FLAGS)
    assert set(inst.in_group(risk.LETHALITY)) == set(SIGNS)
    assert (inst.medium_from, inst.high_from, inst.group_high_from) == (10, 14, 4)
    assert len(inst.codes) == len(set(inst.codes)) == 29
    # "More often" and "getting worse" are two questions; the new topics are asked.
    assert {"escalation_frequency", "escalation_severity", "relatives_threats",
            "substance_misuse", "offender_mental_health", "pregnancy"} <= set(inst.codes)
    assert "escalation" not in inst.codes
    for version in risk.instruments().values():  # every version's wording exists
        assert len(version.codes) == len(set(version.codes)), version.version
        for item in version.items:
            assert item.text in risk.QUESTION_TEXTS, (version.version, item.code)
            assert item.group in ("", risk.RED_FLAG, risk.LETHALITY), (version.version, item)
    assert str(inst.item("pregnancy").question) == (
        "Are you pregnant, or do you have a baby under one year old?")


def test_the_first_instrument_is_kept_and_counted_only():
    old = risk.instrument(risk.FIRST_VERSION)
    assert len(old.codes) == 25 and "escalation" in old.codes
    assert old.in_group(risk.RED_FLAG) == () and old.group_high_from is None
    limits = risk.Thresholds(old.medium_from, old.high_from, old.group_high_from)
    # The defect the new version mends: the same five answers gave "standard".
    assert risk.evaluate(old, given(LETHAL_FIVE, version=risk.FIRST_VERSION),
                         limits).level == "standard"


def test_the_group_threshold_is_configurable():
    three = risk.Thresholds(10, 14, 3)
    assert risk.evaluate(risk.current(), given(SIGNS[:3]), three).level == "high"
    assert risk.evaluate(risk.current(), given(SIGNS[:2]), three).level == "standard"


# --- the service ---------------------------------------------------------------------------------


@pytest.fixture
def police(world):
    return actor(world["officer"])


def _record(who, case, yes=(), unknown=(), **kw):
    return risk.record_assessment(who, case.id, {c: risk.Answer(v) for c, v in
                                                 given(yes, unknown).items()}, **kw)


def test_a_red_flag_high_is_stored_with_its_version_and_explanation(police):
    case = f.open_case(police)
    assessment = _record(police, case, LETHAL_FIVE, unknown=("weapon_used", "unemployed"))
    assert (assessment.level, assessment.computed_level, assessment.score,
            assessment.unknown_count) == ("high", "high", 5, 2)
    assert assessment.instrument_version == "2026-12"
    assert assessment.explanation == {
        "red_flags": ["strangulation", "threat_to_kill"], "red_flags_unknown": ["weapon_used"],
        "group_yes": 2, "group_unknown": 1, "group_size": 8, "rules": ["red_flag"],
        "group_high_from": 4}
    assert assessment.answers["weapon_used"]["answer"] == "unknown"  # not known is not "no"
    assert case.risk_level == "high" and case.high_risk_flagged_at is not None
    details = db.session.execute(select(AuditEvent.details).where(
        AuditEvent.action == "risk.assess")).scalar_one()
    assert details["rules"] == ["red_flag"] and details["version"] == "2026-12"


@pytest.mark.app_config(RISK_GROUP_HIGH_FROM=3, RISK_MEDIUM_FROM=5, RISK_HIGH_FROM=8)
def test_thresholds_from_the_config_are_used_and_stored(police):
    case = f.open_case(police)
    assessment = _record(police, case, SIGNS[:3])
    assert (assessment.level, assessment.explanation["group_high_from"],
            assessment.medium_from, assessment.high_from) == ("high", 3, 5, 8)


def test_not_known_red_flags_never_count_as_yes(police):
    case = f.open_case(police)
    assessment = _record(police, case, PLAIN[:3], unknown=RED_FLAGS)
    assert (assessment.level, assessment.score, assessment.unknown_count) == ("standard", 3, 4)
    text = " ".join(r.text for r in risk.reasons(assessment))
    assert "4 answered \"not known\"" in text
    assert "Red flags not known" in text


def test_judgement_only_raises_even_over_a_red_flag(police):
    case = f.open_case(police)
    with pytest.raises(DomainError) as err:  # high by a red flag: nothing higher
        _record(police, case, ("strangulation",), override_level="high", override_reason="x")
    assert err.value.field == "override_level"
    with pytest.raises(DomainError):  # never lower
        _record(police, case, ("strangulation",), override_level="medium", override_reason="x")
    raised = _record(police, case, SIGNS[:3], override_level="high",
                     override_reason="Bride kidnapping threatened by his relatives")
    assert (raised.computed_level, raised.level) == ("standard", "high")
    reasons = risk.reasons(raised)
    assert reasons[-1].decisive and "Bride kidnapping" in reasons[-1].text
    assert "3 of 8 danger signs answered yes; 4 or more make the level high." in [
        r.text for r in reasons]


def test_reasons_name_the_red_flags_and_the_counts(police):
    case = f.open_case(police)
    reasons = risk.reasons(_record(police, case, LETHAL_FIVE))
    assert reasons[0].text.startswith("Red flags answered yes") and reasons[0].decisive
    assert reasons[0].items == (
        "Has the other person ever choked, strangled or smothered you?",
        "Has the other person threatened to kill you or someone else?")
    assert [(r.text, r.decisive) for r in reasons[1:]] == [
        ("2 of 8 danger signs answered yes; 4 or more make the level high.", False),
        ("5 of 29 questions answered yes; medium from 10, high from 14.", False)]


# --- a high level reaches the coordinator and the next case conference --------------------------


def test_a_red_flag_high_is_on_the_review_and_proposed_for_the_next_conference(world, police):
    coordinator = actor(world["coordinator"])
    case = f.open_case(police)
    later = conferences.schedule_conference(coordinator, region_code="KZ-75",
                                            scheduled_at=utcnow() + timedelta(days=20))
    upcoming = conferences.schedule_conference(coordinator, region_code="KZ-75",
                                               scheduled_at=utcnow() + timedelta(days=2))
    assert case.id not in {p.case_id for p in conferences.propose_agenda(
        coordinator, conference_id=upcoming.id)}
    _record(police, case, ("believes_will_kill",))
    db.session.commit()

    found = coordination_review.overdue_review(coordinator)
    assert case.id in {r.case_id for r in found.sections[coordination_review.HIGH_RISK]}
    assert conferences.next_conference(coordinator, "KZ-75", utcnow()).id == upcoming.id
    proposal = next(p for p in conferences.propose_agenda(coordinator,
                                                          conference_id=upcoming.id)
                    if p.case_id == case.id)
    assert proposal.reasons == [AgendaReason.HIGH_RISK] and proposal.risk_level == "high"
    # One click adds it; a second adds nothing; the addition is audited once.
    first = conferences.add_case_to_agenda(coordinator, conference_id=upcoming.id,
                                           case_id=case.id, reason=AgendaReason.HIGH_RISK)
    again = conferences.add_case_to_agenda(coordinator, conference_id=upcoming.id,
                                           case_id=case.id, reason=AgendaReason.HIGH_RISK)
    db.session.commit()
    assert first.id == again.id
    with acting_as(system_actor("test")):
        assert db.session.execute(select(AgendaItem.conference_id).where(
            AgendaItem.case_id == case.id)).scalars().all() == [upcoming.id]
    assert later.id != upcoming.id
    assert len(db.session.execute(select(AuditEvent.id).where(
        AuditEvent.action == "conference.agenda_add")).scalars().all()) == 1
    assert case.id not in {p.case_id for p in conferences.propose_agenda(
        coordinator, conference_id=upcoming.id)}


# --- pages ---------------------------------------------------------------------------------------


def _form(yes=(), unknown=(), **extra):
    data = {f"q_{c}": v for c, v in given(yes, unknown).items()}
    data.update(extra)
    return data


def test_the_form_saves_and_the_case_page_says_why(world, client, police):
    case = f.open_case(police)
    db.session.commit()
    login(client, world["officer"])
    form_page = client.get(f"/cases/{case.id}/risk/new").get_data(as_text=True)
    assert "Red flag" in form_page and "Danger sign" in form_page
    response = client.post(f"/cases/{case.id}/risk/new",
                           data=_form(LETHAL_FIVE, unknown=("order_breach",)),
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "High risk: the case is on the coordinator" in page
    assert "Why the latest level is High" in page
    assert "Red flags answered yes (any one makes the level high):" in page
    assert "Has the other person ever choked, strangled or smothered you?" in page
    assert "5 of 29 questions answered yes; medium from 10, high from 14." in page
    assert "1 answered &#34;not known&#34;" in page or '1 answered "not known"' in page
    fresh()
    with acting_as(system_actor("test")):
        assessment = db.session.execute(select(RiskAssessment)).scalar_one()
    detail = client.get(f"/cases/risk/{assessment.id}").get_data(as_text=True)
    assert "Why this level" in detail and "Questions version: 2026-12." in detail
    assert "Is the abuse getting worse (more violent or more dangerous)?" in detail


def test_an_assessment_of_the_first_instrument_shows_its_own_questions(world, client, police):
    case = f.open_case(police)
    old = risk.instrument(risk.FIRST_VERSION)
    row = RiskAssessment(
        case_id=case.id, answers={c: {"answer": "yes" if c == "escalation" else "no",
                                      "comment": ""} for c in old.codes},
        score=11, unknown_count=0, computed_level="medium", level="medium", medium_from=10,
        high_from=14, instrument_version=risk.FIRST_VERSION, explanation={},
        assessed_by_id=world["officer"].id, agency_id=world["officer"].agency_id)
    db.session.add(row)
    db.session.commit()
    login(client, world["officer"])
    page = client.get(f"/cases/risk/{row.id}").get_data(as_text=True)
    assert "Is the abuse happening more often, or getting worse?" in page
    assert "Do you believe the other person could kill you?" not in page
    assert "Assessed with an earlier version of the questions (2024-count)" in page
    assert "11 of 25 questions answered yes; medium from 10, high from 14." in page
    assert "Red flag" not in page


def test_the_conference_page_proposes_the_case_and_one_click_adds_it(world, client, police):
    coordinator = actor(world["coordinator"])
    case = f.open_case(police)
    upcoming = conferences.schedule_conference(coordinator, region_code="KZ-75",
                                               scheduled_at=utcnow() + timedelta(days=2))
    _record(police, case, ("weapon_used",))
    db.session.commit()
    login(client, world["coordinator"])
    page = client.get(f"/coordination/conferences/{upcoming.id}").get_data(as_text=True)
    proposed = page[page.index("Proposed cases"):]
    assert case.reference in proposed and '<span class="badge high">High</span>' in proposed
    client.post(f"/coordination/conferences/{upcoming.id}/agenda", data={"case_ids": [case.id]})
    client.post(f"/coordination/conferences/{upcoming.id}/agenda", data={"case_ids": [case.id]})
    fresh()
    with acting_as(system_actor("test")):
        items = db.session.execute(select(AgendaItem).where(
            AgendaItem.case_id == case.id)).scalars().all()
    assert [(i.conference_id, i.reason) for i in items] == [(upcoming.id, "high_risk")]
