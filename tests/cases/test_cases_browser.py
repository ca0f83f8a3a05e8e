"""Browser journey (Chromium via Playwright, CSRF on): a police officer registers a family."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from referral.cases import risk
from referral.cases import service as cases
from tests.cases import factories as f
from tests.fixtures import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.app_config(WTF_CSRF_ENABLED=True)]


def log_in(page, user) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/$"))


def add_person(page, role: str, surname: str, given: str, sex: str, born: str,
               relationship: str, iin: str = "") -> None:
    page.get_by_role("link", name="Add a person").click()
    page.get_by_label("Role in the case").select_option(role)
    page.get_by_label("Surname", exact=True).fill(surname)
    page.get_by_label("Given name").fill(given)
    page.get_by_label("Sex", exact=True).select_option(sex)
    page.get_by_label("Date of birth", exact=True).fill(born)
    if iin:
        page.get_by_label("IIN (12 digits, optional)").fill(iin)
    page.get_by_label("Relationship to the alleged offender").select_option(relationship)
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(re.compile(r"/cases/\d+#people$"))


def test_police_officer_registers_a_family_at_high_risk(page, world):
    battery = f.offence("109-1").id
    yesterday = (cases.local_today() - timedelta(days=1)).isoformat()
    log_in(page, world["officer"])

    page.get_by_role("link", name="Cases", exact=True).click()
    page.get_by_role("link", name="Open a case").click()
    page.get_by_label(re.compile("Address of the household")).fill("Abai avenue 1, flat 7")
    page.get_by_role("button", name="Open the case").click()
    page.wait_for_url(re.compile(r"/cases/\d+$"))
    reference = page.locator("h1").inner_text().split()[-1]
    assert re.fullmatch(r"KZ-75-\d{4}-\d{6}", reference)

    add_person(page, "survivor", "Testova", "Aigul", "female", "1985-07-22", "former_spouse",
               iin="850722499909")
    add_person(page, "child", "Testova", "Dana", "female", "2015-03-01", "child")
    add_person(page, "child", "Testov", "Arman", "male", "2018-09-12", "child")
    add_person(page, "alleged_offender", "Testov", "Marat", "male", "1990-01-15", "self",
               iin="900115399904")

    page.get_by_role("link", name="Record an incident").click()
    page.get_by_label("When it happened (local time)").fill(f"{yesterday}T21:30")
    page.get_by_label("Who reported it").select_option("police_call")
    page.get_by_label("Physical violence").check()
    page.get_by_label("Legal qualification").select_option(str(battery))
    page.get_by_label("Injuries").fill("Bruises on both arms")
    page.get_by_label("Children saw or heard it").check()
    page.get_by_role("button", name="Save the incident").click()
    # The classification is shown before anything is saved (issue 19): type, context from
    # the survivor's relationship (former spouse), the article's kind.
    shown = page.locator("section.classification").inner_text()
    assert "Physical assault" in shown and "Intimate-partner violence" in shown
    assert "109-1" in shown and "Criminal misdemeanour" in shown
    page.get_by_role("button", name="Save the incident").click()
    page.wait_for_url(re.compile(r"#incidents$"))

    # Issue 19's five answers (two red flags among them), one "not known": high, and the
    # page says why.
    page.get_by_role("link", name="Assess the risk").click()
    five = {"strangulation", "threat_to_kill", "gun_access", "separation", "very_frightened"}
    for code in risk.FACTOR_CODES:
        value = "yes" if code in five else "unknown" if code == "weapon_used" else "no"
        page.locator(f"input[name=q_{code}][value={value}]").check()
    page.get_by_role("button", name="Save the assessment").click()
    page.wait_for_url(re.compile(r"#risk$"))
    assert "High (5 of 29 yes)" in page.locator(".flash-success").inner_text()
    assert "coordinator's review" in page.locator(".flash-warning").inner_text()
    why = page.locator("#risk .risk-reasons").inner_text()
    assert "Red flags answered yes" in why
    assert "Has the other person ever choked, strangled or smothered you?" in why
    assert "1 answered \"not known\"" in why and "Red flags not known" in why

    page.get_by_role("link", name="Record a protective measure").click()
    page.get_by_label("Measure").select_option("protective_order")
    page.get_by_label("Against").select_option(label="Testov Marat")
    page.get_by_role("button", name="Save the measure").click()
    page.wait_for_url(re.compile(r"#measures$"))

    summary = page.locator("#summary").locator("..").inner_text()
    assert "High" in summary and "Police call-outs in the past 12 months\n1" in summary
    people = page.locator("#people").inner_text()
    for name in ("Testova Aigul", "Testova Dana", "Testov Arman", "Testov Marat"):
        assert name in people
    assert "Former spouse" in people
    incidents = page.locator("#incidents").inner_text()
    assert "109-1" in incidents and "Battery" in incidents and "Physical assault" in incidents
    measures = page.locator("#measures").inner_text()
    assert "Police protective order" in measures and "In force" in measures
    timeline = page.locator("#timeline").inner_text()
    for line in ("Case opened", "Person added: Survivor", "Person added: Child",
                 "Incident recorded", "Risk assessment completed: High",
                 "High risk: case flagged", "Protective measure issued"):
        assert line in timeline
    lines = page.locator("#timeline li").all_inner_texts()
    assert "Protective measure issued" in lines[0] and "Case opened" in lines[-1]
