"""Referrals through the API: sending (consent or a legal ground), the lifecycle with If-Match,
409 and 412, what the receiving agency sees under consent, and 404 to other agencies."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from referral.access.permissions import Role
from referral.access.scope import acting_as, system_actor
from referral.audit.models import AuditEvent
from referral.extensions import db
from referral.referrals.models import Referral
from tests.api.helpers import Api, token_for
from tests.fixtures import make_user
from tests.referrals.factories import make_case


@pytest.fixture
def case(world: dict[str, Any]) -> Any:
    made = make_case(world["police"], world["officer"], risk="high")
    db.session.commit()
    return made


@pytest.fixture
def apis(client: Any, world: dict[str, Any]) -> dict[str, Api]:
    return {who: Api(client, token_for(world[who]))
            for who in ("officer", "crisis", "other", "coordinator", "manager")} | {
        "manager_elsewhere": Api(client, token_for(make_user(world["other_agency"],
                                                             Role.AGENCY_MANAGER)))}


def send_body(world: dict[str, Any], case: Any, **changes: Any) -> dict[str, Any]:
    body = {"case_id": case.id, "receiver_agency_id": world["crisis_agency"].id,
            "service": "shelter", "urgency": "emergency", "reason": "Threats last night.",
            "consent": {"categories": ["identity_contact", "risk_assessment"]}}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def sent(api: Api, world: dict[str, Any], case: Any, **changes: Any) -> Any:
    answer = api.post("/referrals", json=send_body(world, case, **changes))
    assert answer.status_code == 201, answer.json
    return answer


def audited(action: str, object_id: int) -> list[AuditEvent]:
    db.session.rollback()
    with acting_as(system_actor("test")):
        return list(db.session.execute(select(AuditEvent).where(
            AuditEvent.action == action, AuditEvent.object_id == str(object_id))).scalars())


def test_send_with_consent_answers_201_with_location_and_etag(world, case, apis):
    answer = sent(apis["officer"], world, case)
    body = answer.json
    assert answer.headers["Location"].endswith(f"/api/v1/referrals/{body['id']}")
    assert answer.headers["ETag"] == f'"{body["version"]}"'
    assert body["status"] == "sent" and body["case_id"] == case.id
    assert body["consent"]["categories"] == ["identity_contact", "risk_assessment"]
    assert "sender" in body["sides"] and "cancel" in body["allowed_actions"]
    assert audited("referral.send", body["id"])


def test_send_needs_consent_or_a_legal_ground(world, case, apis):
    api = apis["officer"]
    neither = api.post("/referrals", json=send_body(world, case, consent=None))
    assert neither.status_code == 422 and neither.mimetype == "application/problem+json"
    both = api.post("/referrals", json=send_body(
        world, case, legal_ground={"code": "child_at_risk", "explanation": "Children hit."}))
    assert both.status_code == 422
    no_categories = api.post("/referrals", json=send_body(world, case,
                                                          consent={"categories": []}))
    assert no_categories.status_code == 422
    ground = sent(api, world, case, consent=None,
                  legal_ground={"code": "child_at_risk", "explanation": "Children hit."}).json
    assert ground["consent"]["consented"] is False
    assert ground["consent"]["legal_ground"] == "child_at_risk"
    assert audited("referral.sent_without_consent", ground["id"])


def test_a_rule_of_the_service_is_a_422_problem_naming_the_field(world, case, apis):
    answer = apis["officer"].post("/referrals", json=send_body(world, case, service="legal_aid"))
    assert answer.status_code == 422
    assert answer.json["field"] == "receiver_agency_id"


def test_the_same_idempotency_key_gives_one_referral(world, case, apis):
    headers = {"Idempotency-Key": "send-1"}
    first = apis["officer"].post("/referrals", json=send_body(world, case), headers=headers)
    again = apis["officer"].post("/referrals", json=send_body(world, case), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json["id"] == again.json["id"]
    db.session.rollback()
    with acting_as(system_actor("test")):
        assert len(db.session.execute(select(Referral.id)).all()) == 1


def test_another_agency_cannot_send_from_the_case(world, case, apis):
    answer = apis["other"].post("/referrals", json=send_body(world, case))
    assert answer.status_code == 404


def _move(api: Api, referral_id: int, action: str, etag: str, body: dict | None = None) -> Any:
    return api.post(f"/referrals/{referral_id}/{action}", json=body or {},
                    headers={"If-Match": etag})


def test_the_lifecycle_through_the_api(world, case, apis):
    referral_id = sent(apis["officer"], world, case).json["id"]
    crisis = apis["crisis"]
    seen = crisis.get(f"/referrals/{referral_id}")
    assert seen.status_code == 200 and seen.json["received_at"] is not None
    etag = seen.headers["ETag"]
    accepted = _move(crisis, referral_id, "accept", etag, {"note": "We have a place."})
    assert accepted.status_code == 200, accepted.json
    assert accepted.json["status"] == "accepted" and accepted.headers["ETag"] != etag
    started = _move(crisis, referral_id, "start", accepted.headers["ETag"])
    assert started.json["status"] == "in_progress"
    noted = _move(crisis, referral_id, "progress-notes", started.headers["ETag"],
                  {"text": "First session held."})
    assert noted.status_code == 200 and noted.json["version"] > started.json["version"]
    done = _move(crisis, referral_id, "complete", noted.headers["ETag"],
                 {"outcome": "service_provided", "note": "Safe housing found."})
    assert done.status_code == 200 and done.json["status"] == "completed"
    police = apis["officer"].get(f"/referrals/{referral_id}").json
    assert police["closing"]["outcome"] == "service_provided"
    notes = apis["officer"].get(f"/referrals/{referral_id}/progress-notes").json["items"]
    assert [n["body"] for n in notes] == ["First session held."]
    history = apis["officer"].get(f"/referrals/{referral_id}/history").json["items"]
    assert [h["action"] for h in history] == ["send", "open", "accept", "start", "complete"]
    assert audited("referral.accept", referral_id) and audited("referral.complete", referral_id)


def test_an_illegal_move_is_409_a_stale_version_412_and_none_428(world, case, apis):
    referral_id = sent(apis["officer"], world, case).json["id"]
    crisis = apis["crisis"]
    etag = crisis.get(f"/referrals/{referral_id}").headers["ETag"]
    illegal = _move(crisis, referral_id, "complete", etag, {"outcome": "service_provided"})
    assert illegal.status_code == 409 and illegal.mimetype == "application/problem+json"
    missing = crisis.post(f"/referrals/{referral_id}/start", json={})
    assert missing.status_code == 428
    accepted = _move(crisis, referral_id, "accept", etag)
    assert accepted.status_code == 200
    stale = _move(crisis, referral_id, "decline", etag, {"reason_code": "no_capacity"})
    assert stale.status_code == 412
    sender_move = _move(apis["officer"], referral_id, "accept", accepted.headers["ETag"])
    assert sender_move.status_code == 409  # only the receiving agency accepts


def test_decline_with_a_coded_reason_and_cancel_by_the_sender(world, case, apis):
    crisis = apis["crisis"]
    first = sent(apis["officer"], world, case).json
    unknown = _move(crisis, first["id"], "decline", f'"{first["version"]}"',
                    {"reason_code": "bored"})
    assert unknown.status_code == 422
    other = _move(crisis, first["id"], "decline", f'"{first["version"]}"',
                  {"reason_code": "other"})
    assert other.status_code == 422 and other.json["field"] == "text"
    declined = _move(crisis, first["id"], "decline", f'"{first["version"]}"',
                     {"reason_code": "no_capacity", "note": "Full."})
    assert declined.status_code == 200
    assert declined.json["closing"]["decline_reason"] == "no_capacity"
    second = sent(apis["officer"], world, case).json
    cancelled = _move(apis["officer"], second["id"], "cancel", f'"{second["version"]}"',
                      {"reason_code": "no_longer_needed"})
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert audited("referral.decline", first["id"]) and audited("referral.cancel", second["id"])


def test_the_receiving_agency_sees_what_consent_allows(world, case, apis):
    crisis = apis["crisis"]
    with_consent = sent(apis["officer"], world, case).json
    before = crisis.get(f"/referrals/{with_consent['id']}").json
    assert before["case_id"] is None and before["case_categories"] == []
    accepted = _move(crisis, with_consent["id"], "accept", f'"{before["version"]}"').json
    assert accepted["case_id"] == case.id
    assert accepted["case_categories"] == ["identity_contact", "risk_assessment"]
    assert apis["officer"].get(f"/referrals/{with_consent['id']}").json["case_categories"] == [
        "children", "identity_contact", "incident_details", "risk_assessment"]


def test_without_consent_the_receiving_agency_reads_no_case_data(world, case, apis):
    crisis = apis["crisis"]
    ground = sent(apis["officer"], world, case, consent=None, legal_ground={
        "code": "imminent_danger", "explanation": "Threats to kill."}).json
    seen = crisis.get(f"/referrals/{ground['id']}").json
    accepted = _move(crisis, ground["id"], "accept", f'"{seen["version"]}"').json
    assert accepted["case_id"] == case.id and accepted["case_categories"] == []


def test_another_agency_gets_404_everywhere(world, case, apis):
    referral = sent(apis["officer"], world, case).json
    rid, etag = referral["id"], f'"{referral["version"]}"'
    bodies = {"accept": {}, "decline": {"reason_code": "no_capacity"}, "start": {},
              "progress-notes": {"text": "x"}, "complete": {"outcome": "service_provided"},
              "cancel": {"reason_code": "no_longer_needed"}}
    for who in ("other", "manager_elsewhere"):
        api = apis[who]
        for path in ("", "/history", "/progress-notes"):
            assert api.get(f"/referrals/{rid}{path}").status_code == 404
        for action, body in bodies.items():
            assert api.post(f"/referrals/{rid}/{action}", json=body).status_code == 404
            assert _move(api, rid, action, etag, body).status_code == 404
    assert audited("referral.access", rid)  # the denied reads are audited as a page's
    assert apis["coordinator"].get(f"/referrals/{rid}").status_code == 200


def test_the_sender_reads_the_receivers_notes_only_under_consent(world, case, apis):
    crisis, police = apis["crisis"], apis["officer"]
    consented = sent(police, world, case).json["id"]
    grounded = sent(police, world, case, consent=None, legal_ground={
        "code": "court_order", "explanation": "Order of 1 May."}).json["id"]
    for referral_id in (consented, grounded):
        etag = crisis.get(f"/referrals/{referral_id}").headers["ETag"]
        etag = _move(crisis, referral_id, "accept", etag).headers["ETag"]
        assert _move(crisis, referral_id, "progress-notes", etag,
                     {"text": "Seen today."}).status_code == 200
    assert [n["body"] for n in police.get(
        f"/referrals/{consented}/progress-notes").json["items"]] == ["Seen today."]
    assert police.get(f"/referrals/{grounded}/progress-notes").json["items"] == []
    assert len(crisis.get(f"/referrals/{grounded}/progress-notes").json["items"]) == 1
    assert audited("referral.view", grounded)  # each read of the referral, as the page's
