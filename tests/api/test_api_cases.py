"""Cases through the API: open, read, change with If-Match, list, find by exact IIN; the same
service functions, scope and audit as the case pages. Runs on SQLite and (with
TEST_DATABASE_URL) on PostgreSQL."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from sqlalchemy import select

from referral.audit.models import AuditEvent
from referral.cases.iin import build_iin
from referral.cases.models import Case
from referral.extensions import db
from tests.api.helpers import Api, token_for
from tests.api.test_api_cases_parts import _work
from tests.cases import factories as f
from tests.fixtures import actor, fresh, login

NEW_CASE = {"region_code": "KZ-75", "address": "Flat 1, Street 2", "languages": ["kk", "ru"]}


def _audits(*actions: str) -> list[tuple[str, int | None, str]]:
    fresh()
    rows = db.session.execute(select(AuditEvent).where(AuditEvent.action.in_(actions))
                              .order_by(AuditEvent.id)).scalars()
    return [(a.action, int(a.object_id) if a.object_id else None, a.outcome) for a in rows]


@pytest.fixture
def officer(world, client):
    return Api(client, token_for(world["officer"]))


@pytest.fixture
def family(world):
    case, members = f.family_case(actor(world["officer"]))
    db.session.commit()
    return case, members


def test_open_read_and_change_a_case_with_if_match(world, officer):
    made = officer.post("/cases", json=NEW_CASE)
    assert made.status_code == 201, made.json
    case_id = made.json["id"]
    assert made.headers["Location"].endswith(f"/api/v1/cases/{case_id}")
    assert made.json["owner_agency_id"] == world["police"].id
    assert made.json["reference"].startswith("KZ-75-")
    assert made.json["status"] == "open" and made.json["status_label"] == "Open"

    read = officer.get(f"/cases/{case_id}")
    assert read.status_code == 200
    assert read.json["address"] == "Flat 1, Street 2" and read.json["languages"] == ["kk", "ru"]
    etag = read.headers["ETag"]
    assert etag == f'"{read.json["version"]}"'

    change = {"address": "Flat 9"}
    assert officer.patch(f"/cases/{case_id}", json=change).status_code == 428
    assert officer.patch(f"/cases/{case_id}", json=change,
                         headers={"If-Match": '"999"'}).status_code == 412
    changed = officer.patch(f"/cases/{case_id}", json=change, headers={"If-Match": etag})
    assert changed.status_code == 200, changed.json
    assert changed.json["address"] == "Flat 9" and changed.json["languages"] == ["kk", "ru"]
    assert changed.headers["ETag"] != etag
    stale = officer.patch(f"/cases/{case_id}", json={"address": "Flat 3"},
                          headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.mimetype == "application/problem+json"
    assert officer.get(f"/cases/{case_id}", headers={
        "If-None-Match": changed.headers["ETag"]}).status_code == 304

    same = officer.patch(f"/cases/{case_id}", json={"status": "open"},
                         headers={"If-Match": changed.headers["ETag"]})
    assert same.status_code == 409 and same.json["field"] == "status"
    moved = officer.patch(f"/cases/{case_id}", json={"status": "monitoring"},
                          headers={"If-Match": changed.headers["ETag"]})
    assert moved.status_code == 200, moved.json
    assert moved.json["status"] == "monitoring" and moved.json["status_label"] == "Monitoring"
    closing = officer.patch(f"/cases/{case_id}", json={"status": "closed"},
                            headers={"If-Match": moved.headers["ETag"]})
    assert closing.status_code == 422 and closing.json["field"] == "reason"
    assert _audits("case.create", "case.update", "case.status") == [
        ("case.create", case_id, "success"), ("case.update", case_id, "success"),
        ("case.status", case_id, "success")]


def test_a_refused_case_names_the_field_in_the_callers_language(world, client):
    api = Api(client, token_for(world["officer"]), language="ru")
    answer = api.post("/cases", json={**NEW_CASE, "region_code": "KZ-00"})
    assert answer.status_code == 422 and answer.json["field"] == "region_code"
    assert answer.mimetype == "application/problem+json"
    assert "region" not in answer.json["detail"]  # translated
    with f.as_system():
        assert db.session.execute(select(Case)).first() is None
    made = api.post("/cases", json=NEW_CASE)
    assert made.status_code == 201 and made.json["status"] == "open"
    assert made.json["status_label"] not in ("", "Open")  # the code, and its label in Russian


def test_a_retried_create_with_the_same_key_opens_one_case(world, officer):
    key = {"Idempotency-Key": "create-once-1"}
    first = officer.post("/cases", json=NEW_CASE, headers=key)
    again = officer.post("/cases", json=NEW_CASE, headers=key)
    assert first.status_code == 201 and again.status_code in (200, 201)
    assert again.json["id"] == first.json["id"]
    with f.as_system():
        assert len(db.session.execute(select(Case)).all()) == 1


def test_the_read_is_audited_as_the_case_page(world, client, officer, family):
    case, _members = family
    web = client.application.test_client()
    login(web, world["officer"])
    assert web.get(f"/cases/{case.id}").status_code == 200
    page = _audits("case.view")
    assert page == [("case.view", case.id, "success")]
    assert officer.get(f"/cases/{case.id}").status_code == 200
    assert _audits("case.view") == page + page


def test_the_list_filters_and_pages_by_cursor(world, officer):
    police = actor(world["officer"])
    made = [f.open_case(police) for _ in range(5)]
    db.session.commit()
    first = officer.get("/cases?limit=2&status=open")
    assert first.status_code == 200, first.json
    assert [c["id"] for c in first.json["items"]] == [made[4].id, made[3].id]
    assert first.json["total"] == 5 and first.json["next_cursor"]
    seen = [c["id"] for c in first.json["items"]]
    cursor = first.json["next_cursor"]
    while cursor:
        page = officer.get(f"/cases?limit=2&status=open&cursor={cursor}").json
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
    assert seen == [c.id for c in reversed(made)]
    assert officer.get("/cases?status=closed").json["items"] == []
    assert officer.get("/cases?risk=high").json["items"] == []
    assert officer.get("/cases?cursor=garbage!").status_code == 422
    assert officer.get("/cases?status=nonsense").status_code == 422
    assert ("case.list", None, "success") in _audits("case.list")


def test_search_by_exact_iin_only_in_the_body_and_never_logged(world, officer, family, caplog):
    case, members = family
    caplog.set_level(logging.DEBUG)
    iin = f.SURVIVOR.iin
    found = officer.post("/cases/search", json={"iin": f"{iin[:6]} {iin[6:]}"})
    assert found.status_code == 200, found.json
    [hit] = found.json["items"]
    assert hit["case"]["id"] == case.id and hit["participant_id"] == members["survivor"].id
    assert hit["role"] == "survivor" and hit["full_name"].startswith("Testova")
    near = build_iin(date(1985, 7, 22), "female", 4998)
    assert near and near != iin
    assert officer.post("/cases/search", json={"iin": near}).json["items"] == []
    typo = iin[:-1] + str((int(iin[-1]) + 1) % 10)
    refused = officer.post("/cases/search", json={"iin": typo})
    assert refused.status_code == 422 and refused.json["field"] == "iin"
    assert officer.post("/cases/search", json={"iin": "Testova"}).status_code == 422
    assert iin not in caplog.text and near not in caplog.text
    fresh()
    searches = [a for a in db.session.execute(select(AuditEvent).where(
        AuditEvent.action == "case.search")).scalars()]
    assert [(a.details["kind"], a.details["results"]) for a in searches] == [
        ("iin", 1), ("iin", 0)]
    assert all(iin not in str(a.details) for a in searches)


def test_another_agency_gets_404_and_the_refusal_is_audited(world, client, family):
    case, members = family
    other = Api(client, token_for(world["other"]))
    coordinator = Api(client, token_for(world["coordinator"]))  # reads, never writes
    for path in (f"/cases/{case.id}", f"/cases/{case.id}/people",
                 f"/people/{members['survivor'].id}", f"/cases/{case.id}/incidents",
                 f"/cases/{case.id}/assessments"):
        answer = other.get(path)
        assert answer.status_code == 404 and answer.mimetype == "application/problem+json", path
    assert other.patch(f"/cases/{case.id}", json={"address": "x"}).status_code == 404
    assert other.patch(f"/people/{members['survivor'].id}",
                       json={"phone": "1"}).status_code == 404
    assert ("case.access", case.id, "denied") in _audits("case.access")
    found = other.post("/cases/search", json={"iin": f.SURVIVOR.iin})
    assert found.status_code == 200 and found.json["items"] == []
    assert coordinator.get(f"/cases/{case.id}").status_code == 200
    assert coordinator.post("/cases", json=NEW_CASE).status_code == 404


def test_emergency_access_reads_and_refuses_writes_with_403(world, client, family):
    from referral.cases import emergency

    case, _members = family
    emergency.start_emergency_access(actor(world["crisis"]), term=case.reference,
                                     reason="Survivor at the door, injured")
    db.session.commit()
    crisis = Api(client, token_for(world["crisis"]))
    read = crisis.get(f"/cases/{case.id}")
    assert read.status_code == 200 and read.json["can_change"] is False
    refused = crisis.patch(f"/cases/{case.id}", json={"address": "x"},
                           headers={"If-Match": read.headers["ETag"]})
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert crisis.post(f"/cases/{case.id}/incidents", json={
        "occurred_at": "2026-01-01T10:00:00+05:00", "reported_by": "police_call",
        "physical": True}).status_code == 403
    assert ("case.emergency_view", case.id, "success") in _audits("case.emergency_view")


def test_queries_per_call_do_not_grow_with_the_cases(world, officer):
    from tests.fixtures import recorded_statements

    police = actor(world["officer"])
    f.open_case(police)
    db.session.commit()
    assert officer.get("/me").status_code == 200  # the token's first use is stamped once
    with recorded_statements() as few:
        assert officer.get("/cases").status_code == 200
    fresh()
    for _ in range(6):
        f.open_case(police, address="more")
    db.session.commit()
    with recorded_statements() as more:
        assert officer.get("/cases").status_code == 200
    assert len(_work(more)) == len(_work(few))
