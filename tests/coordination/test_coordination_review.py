"""The overdue review: each section computed on a small dataset whose answer is known by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from referral.access.permissions import Role
from referral.coordination.service import review as service
from referral.coordination.service.review import Filters
from referral.errors import NotVisible
from referral.extensions import db
from tests.coordination.factories import NOW, make_case, make_measure, make_referral
from tests.fixtures import actor, make_agency, make_district, make_user

H = timedelta(hours=1)
D = timedelta(days=1)


@pytest.fixture
def data(world):
    w = dict(world)
    officer = w["officer"]
    police = w["police"]
    crisis = db.session.get(type(police), w["crisis"].agency_id)
    crisis2 = make_agency("crisis_center", "KZ-75", name="Crisis B", services=("shelter",))
    north = make_district("KZ-75", "North")
    w.update(crisis_agency=crisis, crisis2=crisis2, north=north)

    def ref(status="sent", *, receiver=crisis, district=None, risk="standard", **kw):
        case = make_case(police, officer, district=district, risk_level=risk)
        return make_referral(case, officer, receiver, status=status, **kw)

    # Overdue: A expired two days ago; B past its deadline by an hour, not yet swept.
    w["A"] = ref("expired", sent_at=NOW - 3 * D, deadline=D, receiver=crisis2, district=north)
    w["B"] = ref("sent", sent_at=NOW - 25 * H, deadline=24 * H, service="psychological",
                 urgency="routine")
    # Referred elsewhere already: not overdue any more.
    e_case = make_case(police, officer)
    e = make_referral(e_case, officer, crisis, status="expired", sent_at=NOW - 4 * D, deadline=D)
    make_referral(e_case, officer, crisis2, sent_at=NOW - H, deadline=48 * H,
                  previous_referral_id=e.id)
    # About to expire: C in 5 hours; D in 30 hours is not yet.
    w["C"] = ref("sent", sent_at=NOW - 19 * H, deadline=24 * H)
    ref("sent", sent_at=NOW - H, deadline=31 * H)
    # On hold: F past its review date, G not yet.
    w["F"] = ref("on_hold", accepted_after=H, review_at=NOW - D)
    ref("on_hold", accepted_after=H, review_at=NOW + D)
    # Accepted without progress for over 7 days: H (never), J (last 8 days ago); I is recent.
    w["H"] = ref("accepted", sent_at=NOW - 11 * D, accepted_after=D)
    w["J"] = ref("in_progress", sent_at=NOW - 20 * D, accepted_after=D,
                 last_progress_at=NOW - 8 * D)
    ref("in_progress", sent_at=NOW - 20 * D, accepted_after=D, last_progress_at=NOW - 2 * D)
    # High risk with no accepted referral: K (only a sent one). L accepted, M restricted, N closed.
    w["K"] = make_case(police, officer, risk_level="high", high_risk_flagged_at=NOW - 2 * D)
    make_referral(w["K"], officer, crisis, status="sent", sent_at=NOW - H, deadline=48 * H)
    w["K2"] = make_case(police, officer, risk_level="high", high_risk_flagged_at=NOW - 5 * D,
                        district=north)
    lcase = make_case(police, officer, risk_level="high")
    make_referral(lcase, officer, crisis, status="accepted", sent_at=NOW - 2 * D,
                  accepted_after=H)
    make_case(police, officer, risk_level="high", restricted=True)
    make_case(police, officer, risk_level="high", status="closed")
    # Protective measures: P ends in 3 days with no follow-up; Q renewed; R followed up by a
    # referral sent two days ago; S ends in 20 days.
    today = NOW.date()
    w["P"] = make_case(police, officer)
    make_measure(w["P"], officer, starts_on=today - 27 * D, ends_on=today + 3 * D)
    q = make_case(police, officer)
    make_measure(q, officer, starts_on=today - 27 * D, ends_on=today + 3 * D)
    make_measure(q, officer, starts_on=today + 3 * D, ends_on=today + 33 * D)
    r = make_case(police, officer)
    make_measure(r, officer, starts_on=today - 27 * D, ends_on=today + 3 * D)
    make_referral(r, officer, crisis, status="sent", sent_at=NOW - 2 * D, deadline=96 * H)
    s = make_case(police, officer)
    make_measure(s, officer, starts_on=today - 10 * D, ends_on=today + 20 * D)
    # Another region: never seen by this coordinator.
    other_case = make_case(w["other_agency"], w["other"], risk_level="high")
    make_referral(other_case, w["other"], w["other_agency"], status="expired",
                  sent_at=NOW - 3 * D, deadline=D)
    db.session.commit()
    return w


def _ids(review, section, attr="referral_id"):
    return [getattr(r, attr) for r in review.sections[section]]


def test_every_section_on_a_known_dataset(data):
    w = data
    review = service.overdue_review(actor(w["coordinator"]), now=NOW)
    assert _ids(review, service.OVERDUE) == [w["A"].id, w["B"].id]  # longest overdue first
    assert _ids(review, service.DUE_SOON) == [w["C"].id]
    assert _ids(review, service.ON_HOLD) == [w["F"].id]
    assert _ids(review, service.NO_PROGRESS) == [w["H"].id, w["J"].id]  # oldest progress first
    assert _ids(review, service.HIGH_RISK, "case_id") == [w["K2"].id, w["K"].id]
    assert _ids(review, service.MEASURE_ENDING, "case_id") == [w["P"].id]
    assert review.counts == {service.OVERDUE: 2, service.DUE_SOON: 1, service.HIGH_RISK: 2,
                             service.ON_HOLD: 1, service.NO_PROGRESS: 2,
                             service.MEASURE_ENDING: 1}
    row = review.sections[service.OVERDUE][0]
    assert row.receiver_name == "Crisis B" and row.sender_name == "Police A"


def test_filters(data):
    w = data
    coord = actor(w["coordinator"])
    by_agency = service.overdue_review(coord, filters=Filters(agency_id=w["crisis2"].id), now=NOW)
    assert _ids(by_agency, service.OVERDUE) == [w["A"].id] and by_agency.total == 1
    by_district = service.overdue_review(coord, filters=Filters(district_id=w["north"].id),
                                         now=NOW)
    assert by_district.counts[service.OVERDUE] == 1
    assert _ids(by_district, service.HIGH_RISK, "case_id") == [w["K2"].id]
    by_service = service.overdue_review(coord, filters=Filters(service="psychological"), now=NOW)
    assert _ids(by_service, service.OVERDUE) == [w["B"].id] and by_service.total == 1
    by_urgency = service.overdue_review(coord, filters=Filters(urgency="routine"), now=NOW)
    assert _ids(by_urgency, service.OVERDUE) == [w["B"].id] and by_urgency.total == 1


def test_scoped_to_the_coordinators_regions(data):
    w = data
    kz43 = make_user(w["other_agency"], Role.COORDINATOR, regions=("KZ-43",))
    db.session.commit()
    review = service.overdue_review(actor(kz43), now=NOW)
    assert review.counts[service.OVERDUE] == 1 and review.counts[service.HIGH_RISK] == 1
    with pytest.raises(NotVisible):
        service.overdue_review(actor(kz43), filters=Filters(region_code="KZ-75"), now=NOW)
    for who in ("officer", "manager", "admin"):
        with pytest.raises(NotVisible):
            service.overdue_review(actor(w[who]), now=NOW)


def test_constant_number_of_queries(data):
    w = data
    coord = actor(w["coordinator"])

    def count_queries():
        seen = []
        engine = db.engine

        def before(conn, cursor, statement, *args):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", before)
        try:
            service.overdue_review(coord, now=NOW)
        finally:
            event.remove(engine, "before_cursor_execute", before)
        return len([s for s in seen if s.lstrip().upper().startswith(("SELECT", "INSERT"))])

    first = count_queries()
    for _ in range(5):  # five more overdue referrals and high-risk cases
        case = make_case(w["police"], w["officer"], risk_level="high")
        make_referral(case, w["officer"], w["crisis_agency"], status="expired",
                      sent_at=NOW - 3 * D, deadline=D)
    db.session.commit()
    second = count_queries()
    assert second == first, (first, second)


def test_one_section_on_its_own_shows_more_of_its_rows(data):
    w = data
    coord = actor(w["coordinator"])
    overview = service.overdue_review(coord, now=NOW, rows=1)
    assert _ids(overview, service.OVERDUE) == [w["A"].id] and overview.truncated(service.OVERDUE)
    alone = service.overdue_review(coord, now=NOW, rows=5, section=service.OVERDUE)
    assert list(alone.sections) == [service.OVERDUE]  # the other sections are not read
    assert _ids(alone, service.OVERDUE) == [w["A"].id, w["B"].id]
    assert not alone.truncated(service.OVERDUE)
    unknown = service.overdue_review(coord, now=NOW, section="no_such_section")
    assert list(unknown.sections) == list(service.SECTIONS)


@pytest.mark.app_config(COORDINATION_REVIEW_ROWS=1)
def test_the_page_links_a_truncated_section_to_a_page_of_its_own(data, client):
    from tests.fixtures import login

    w = data
    login(client, w["coordinator"])
    overview = client.get("/coordination/review").get_data(as_text=True)
    assert "section=overdue" in overview and "Showing the first 1 of" in overview
    alone = client.get("/coordination/review?section=overdue").get_data(as_text=True)
    assert f'referral-{w["A"].id}' in alone and f'referral-{w["B"].id}' in alone
    assert "Back to all sections" in alone and 'id="due_soon"' not in alone
    assert 'name="section" value="overdue"' in alone  # the filters keep the section


def test_a_coordinator_known_to_be_named_on_nothing_gets_the_same_review(app, data):
    """The session says the coordinator is named on no restricted case: the statements leave
    the review's own exclusion of restricted cases to the scope, with the same answer."""
    from dataclasses import replace

    from referral.accounts.service import actor_for
    from referral.accounts.sessions import load_session_user, start_session

    w = data
    sealed = make_case(w["police"], w["officer"], restricted=True)
    make_referral(sealed, w["officer"], w["crisis_agency"], status="expired",
                  sent_at=NOW - 3 * D, deadline=D)
    token = start_session(w["coordinator"])
    db.session.commit()
    with app.test_request_context():
        known = actor_for(load_session_user(token))
        assert known.named_on_sealed is False
        fast = service.overdue_review(known, now=NOW)
        full = service.overdue_review(replace(known, named_on_sealed=None), now=NOW)
    assert fast.sections == full.sections and fast.counts == full.counts
    assert _ids(fast, service.OVERDUE) == [w["A"].id, w["B"].id]


def test_counts_alone_equal_the_full_review_in_one_statement(data):
    """rows=0 (the home panel) counts every section in one statement, and the counts are those
    of the full review, whatever the filters."""
    w = data
    coord = actor(w["coordinator"])
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    for filters in (Filters(), Filters(district_id=w["north"].id),
                    Filters(agency_id=w["crisis2"].id), Filters(service="psychological"),
                    Filters(region_code="KZ-75")):
        full = service.overdue_review(coord, now=NOW, filters=filters)
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", before)
        try:
            counts = service.overdue_review(coord, now=NOW, filters=filters, rows=0)
        finally:
            event.remove(db.engine, "before_cursor_execute", before)
        assert counts.counts == full.counts, filters
        assert all(rows == [] for rows in counts.sections.values())
        assert len([s for s in statements if "audit" not in s]) == 1, statements
    assert service.overdue_review(coord, now=NOW, rows=0).counts[service.OVERDUE] == 2


def test_the_home_panel_shows_the_counts(data, client):
    from tests.fixtures import login

    w = data
    expected = service.overdue_review(actor(w["coordinator"]), rows=None).counts  # now, not NOW
    db.session.commit()
    login(client, w["coordinator"])
    page = client.get("/").get_data(as_text=True)
    assert f'<strong data-testid="count-overdue">{expected[service.OVERDUE]}</strong>' in page
    assert (f"<strong>{expected[service.HIGH_RISK]}</strong> high-risk cases with no accepted "
            "referral") in page
    assert expected[service.HIGH_RISK] == 2  # K and K2, whatever the time
