"""Wiring of the case pages: each renders, and the main flows go through the views."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from referral.cases.models import CaseParticipant
from referral.extensions import db
from tests.cases import factories as f
from tests.fixtures import actor, fresh, login
from tests.referrals.factories import send


def test_pages_render_for_the_owner(world, client):
    police = actor(world["officer"])
    case, members = f.family_case(police)
    db.session.commit()
    login(client, world["officer"])
    for url in ("/cases", "/", f"/cases/{case.id}", f"/cases/{case.id}/edit",
                f"/cases/{case.id}/people/new", f"/cases/{case.id}/incidents/new",
                f"/cases/{case.id}/risk/new", f"/cases/{case.id}/measures/new",
                f"/cases/{case.id}/restriction", "/cases/access-requests",
                f"/cases/people/{members['survivor'].id}/edit",
                f"/cases/people/{members['survivor'].id}/safe-contact"):
        response = client.get(url)
        assert response.status_code == 200, url
    assert "no-store" in client.get(f"/cases/{case.id}").headers["Cache-Control"]


def _person_form(**fields):
    data = {"role": "alleged_offender", "surname": "Testov", "given_name": "Marat",
            "sex": "male", "birth_date": "1990-01-15", "iin": "900115399904",
            "relationship_to_offender": "self"}
    data.update(fields)
    return data


def test_a_duplicate_in_another_agency_shows_only_its_name(world, client):
    police = actor(world["officer"])
    hidden_case, _m = f.family_case(police)
    other = actor(world["other"])
    case = f.open_case(other, "KZ-43")
    db.session.commit()
    login(client, world["other"])
    page = client.post(f"/cases/{case.id}/people/new", data=_person_form()).get_data(True)
    assert "A matching person is known to Police A" in page
    assert hidden_case.reference not in page and f"/cases/{hidden_case.id}" not in page
    assert "Ask Police A for access" in page
    # the typed details are kept in the form
    assert 'value="Testov"' in page and 'value="900115399904"' in page
    sent = client.post(f"/cases/{case.id}/access-requests", data={
        "agency_id": world["police"].id, "surname": "Testov", "given_name": "Marat",
        "birth_date": "1990-01-15", "iin": "900115399904", "reason": "Same man"})
    assert sent.status_code == 302
    # The same IIN is never saved again (one person per IIN); without it, the near match by
    # name and date of birth may be saved as a different person.
    again = client.post(f"/cases/{case.id}/people/new", data=_person_form(confirm_new="1"))
    assert again.status_code == 200 and 'name="confirm_new"' not in again.get_data(True)
    saved = client.post(f"/cases/{case.id}/people/new",
                        data=_person_form(confirm_new="1", iin=""))
    assert saved.status_code == 302
    fresh()
    from tests.cases.factories import as_system

    with as_system():
        assert db.session.execute(select(CaseParticipant).where(
            CaseParticipant.case_id == case.id)).unique().scalar_one().role == "alleged_offender"


def test_a_visible_duplicate_can_be_reused(world, client):
    police = actor(world["officer"])
    first, members = f.family_case(police)
    case = f.open_case(police)
    db.session.commit()
    login(client, world["officer"])
    page = client.post(f"/cases/{case.id}/people/new", data=_person_form()).get_data(True)
    assert "A person with this IIN is already registered" in page and "Testov Marat" in page
    client.post(f"/cases/{case.id}/people/new",
                data=_person_form(use_person=members["offender"].person_id))
    fresh()
    from tests.cases.factories import as_system

    with as_system():
        linked = db.session.execute(select(CaseParticipant).where(
            CaseParticipant.case_id == case.id)).unique().scalar_one()
    assert linked.person_id == members["offender"].person_id


def test_iin_mistakes_are_shown_beside_the_field(world, client):
    case = f.open_case(actor(world["officer"]))
    db.session.commit()
    login(client, world["officer"])
    page = client.post(f"/cases/{case.id}/people/new",
                       data=_person_form(iin="900115399905")).get_data(True)
    assert 'id="iin-err"' in page and "last digit of the IIN" in page
    page = client.post(f"/cases/{case.id}/people/new",
                       data=_person_form(birth_date="1990-01-16")).get_data(True)
    assert "different date of birth" in page


def test_second_save_is_refused_and_both_versions_are_shown(world, client):
    police = actor(world["officer"])
    case = f.open_case(police)
    db.session.commit()
    version = case.version
    login(client, world["officer"])
    first = client.post(f"/cases/{case.id}/edit", data={
        "version": version, "region_code": "KZ-75", "address": "Their address"})
    assert first.status_code == 302
    second = client.post(f"/cases/{case.id}/edit", data={
        "version": version, "region_code": "KZ-75", "address": "My address"})
    page = second.get_data(True)
    assert second.status_code == 200
    assert "Someone else saved this" in page
    assert "Their address" in page and "My address" in page


def test_search_is_a_post_and_is_audited_without_the_terms(world, client):
    from referral.audit.models import AuditEvent
    from tests.cases.factories import as_system

    police = actor(world["officer"])
    case, _m = f.family_case(police)
    db.session.commit()
    login(client, world["officer"])
    assert client.get("/cases/search").status_code == 405
    page = client.post("/cases/search", data={"term": "Тестова Айгүл"}).get_data(True)
    assert case.reference in page
    page = client.post("/cases/search", data={"term": "850722499909"}).get_data(True)
    assert case.reference in page
    page = client.post("/cases/search", data={"term": case.reference}).get_data(True)
    assert f"/cases/{case.id}" in page
    fresh()
    with as_system():
        rows = db.session.execute(select(AuditEvent).where(
            AuditEvent.action == "case.search")).scalars().all()
    assert [r.details["kind"] for r in rows] == ["name", "iin", "reference"]
    assert all("850722499909" not in str(r.details) and "Тест" not in str(r.details)
               for r in rows)


def test_the_list_filters_and_pages_with_a_constant_number_of_queries(world, client, app):
    from sqlalchemy import event

    police = actor(world["officer"])
    for _ in range(30):
        f.open_case(police)
    db.session.commit()
    login(client, world["officer"])
    client.get("/cases")  # warm up: the first request after login records the session's use
    counts = []
    for n in (1, 2):
        seen = []

        def count(_conn, _cursor, statement, *_args, seen=seen, **_kw):
            seen.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            page = client.get(f"/cases?status=open&sort=oldest&page={n}").get_data(True)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        counts.append(len(seen))
    assert counts[0] == counts[1]
    assert "Page 2 of 2" in page
    assert "0 cases" in client.get("/cases?status=closed").get_data(True)


def test_a_shared_agency_sees_only_the_categories_granted(world, client):
    from referral.cases import access_requests, incidents

    police = actor(world["officer"])
    case, _m = f.family_case(police)
    incidents.record_incident(police, case.id, f.incident_input())
    other = actor(world["other"])
    own = f.open_case(other, "KZ-43")
    [req] = access_requests.request_access(other, from_case_id=own.id,
                                           agency_id=world["police"].id, person=f.OFFENDER,
                                           reason="r")
    access_requests.decide_access_request(actor(world["manager"]), req.id, grant=True,
                                          categories=("incident_details",))
    db.session.commit()
    login(client, world["other"])
    page = client.get(f"/cases/{case.id}").get_data(True)
    assert case.reference in page and 'id="incidents"' in page
    assert "Testova" not in page and "850722499909" not in page and 'id="people"' not in page
    assert 'id="risk"' not in page


@pytest.mark.app_config(CASE_LIST_COUNT_CAP=30)
def test_past_the_count_cap_the_list_says_more_than_and_pages_on(world, client):
    """A region of 110,000 cases is not counted to the last (docs/performance.md): past the cap
    the list says "more than", and "next" goes on while rows follow, to the very last case."""
    police = actor(world["officer"])
    opened = [f.open_case(police).reference for _ in range(56)]
    db.session.commit()
    login(client, world["officer"])
    first = client.get("/cases?sort=oldest").get_data(True)
    assert "More than 30 cases" in first and "Page 1" in first and "Page 1 of" not in first
    assert "page=2" in first and "Previous" not in first
    seen = []
    for n in (1, 2, 3):
        html = client.get(f"/cases?sort=oldest&page={n}").get_data(True)
        seen += [ref for ref in opened if ref in html]
    assert seen == opened  # every case once, in order, across the pages (25 a page)
    assert f"page={4}" not in html  # the last page offers no "next"
    assert "Previous" in html


@pytest.mark.app_config(CASE_LIST_COUNT_CAP=30)
def test_under_the_count_cap_the_total_is_exact(world, client):
    police = actor(world["officer"])
    for _ in range(30):
        f.open_case(police)
    db.session.commit()
    login(client, world["officer"])
    html = client.get("/cases?page=9").get_data(True)
    assert "30 cases" in html and "More than" not in html
    assert "Page 2 of 2" in html  # a page past the end shows the last one


def _case_page_statements(client, app, case_id):
    """The SQL statements of one case page (transaction control left out)."""
    from sqlalchemy import event

    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        page = client.get(f"/cases/{case_id}")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert page.status_code == 200
    return [s for s in seen if s.split(" ", 1)[0] in ("SELECT", "INSERT", "UPDATE", "WITH")]


def test_the_case_page_makes_the_same_few_statements_however_full_the_case(world, client, app):
    """No statement per survivor (safe contact) or per measure (breaches): a case with three
    survivors and three measures of two breaches each costs what a case with one of each does,
    and at most the session (with the bell), the case with its people, its six lists, its
    documents, its safety plans with the re-assessment due, and the audit of the view."""
    from datetime import UTC, date, datetime, timedelta

    from referral.cases import measures, people

    police = actor(world["officer"])

    def case_with(survivors: int, measure_count: int, breaches: int) -> int:
        case = f.open_case(police)
        for i in range(survivors):
            survivor = f.add_person(police, case, people.PersonInput(
                surname=f"Testova{i}", given_name="Aigul", sex="female",
                birth_date=date(1980 + i, 1, 1)), "survivor")
            people.save_safe_contact(police, survivor.id, people.SafeContactInput(
                safe_phone="+7 700 000 0000", code_word=f"word{i}"), expected_version=None)
        f.add_person(police, case, f.OFFENDER, "alleged_offender")
        for _m in range(measure_count):
            measure = measures.issue_measure(police, case.id, measures.MeasureInput(
                measure_type="protective_order", starts_on=datetime.now(UTC).date()))
            for b in range(breaches):
                measures.record_breach(police, measure.id, description=f"breach {b}",
                                       occurred_at=datetime.now(UTC) - timedelta(hours=b + 1))
        db.session.commit()
        return case.id

    small, full = case_with(1, 1, 1), case_with(3, 3, 2)
    login(client, world["officer"])
    client.get("/")  # the first page after login records the session's use
    counts = {}
    for case_id in (small, full):
        statements = _case_page_statements(client, app, case_id)
        assert not [s for s in statements if s.startswith(("SELECT safe_contacts",
                                                           "SELECT measure_breaches"))]
        counts[case_id] = statements
    assert len(counts[small]) == len(counts[full])
    page = client.get(f"/cases/{full}").get_data(True)
    assert page.count("Safe contact for") == 3 and page.count("breach 1") == 3
    audit = [s for s in counts[full] if "audit_events" in s or "audit_chain_head" in s]
    assert len(counts[full]) - len(audit) <= 10, "\n".join(counts[full])


def test_the_case_page_shows_the_referrals_the_referrals_domain_gives_it(world, client):
    """The section comes from referrals, registered with referral.cases.hooks (cases builds on
    no later domain): without the registration the page would say there are none."""
    police = actor(world["officer"])
    case, _members = f.family_case(police)
    referral = send(world["officer"], case, world["crisis_agency"])
    db.session.commit()
    login(client, world["officer"])
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert referral.reference in page and "No referrals yet" not in page
