"""Issue 21, FHIR: a referral as an R4 Task and ServiceRequest, valid against the FHIR models,
its status mapped for every lifecycle state, the person shown only to whom may know them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task

from referral.access.permissions import Role
from referral.api import fhir_mapping as fm
from referral.extensions import db
from referral.referrals import service
from referral.referrals.lifecycle import Status
from tests.api.helpers import Api, token_for
from tests.cases import factories as cf
from tests.coordination import factories as co
from tests.fixtures import actor, make_agency, make_user
from tests.referrals.factories import consent, send

FHIR_JSON = "application/fhir+json"


@pytest.fixture
def parties(ctx: Any) -> dict[str, Any]:
    police = make_agency("police", name="Police FHIR")
    shelter = make_agency("crisis_center", name="Shelter FHIR", services=("shelter",),
                          shelter_places=5)
    officer = make_user(police, Role.OFFICER)
    worker = make_user(shelter, Role.OFFICER)
    case, members = cf.family_case(actor(officer))
    db.session.commit()
    return {"police": police, "shelter": shelter, "officer": officer, "worker": worker,
            "case": case, "members": members}


def _get(client: Any, user: Any, kind: str, referral_id: int) -> Any:
    answer = Api(client, token_for(user)).get(f"/fhir/{kind}/{referral_id}")
    return answer


def _valid(answer: Any, model: Any) -> dict[str, Any]:
    assert answer.status_code == 200, answer.data
    assert answer.mimetype == FHIR_JSON
    model.model_validate(answer.json)  # raises on anything R4 does not allow
    return answer.json


def test_the_closed_loop_as_task_and_service_request(parties, client):
    p = parties
    survivor = p["members"]["survivor"]
    referral = send(p["officer"], p["case"], p["shelter"], subject_participant_id=survivor.id,
                    urgency="emergency", need_to_know="Call before visiting.")
    db.session.commit()
    task = _valid(_get(client, p["officer"], "Task", referral.id), Task)
    assert task["status"] == "requested" and task["intent"] == "order"
    assert task["businessStatus"]["coding"][0] == {
        "system": fm.STATUS_SYSTEM, "code": "sent",
        "display": task["businessStatus"]["coding"][0]["display"]}
    assert task["focus"]["reference"] == f"ServiceRequest/{referral.id}"
    assert task["requester"]["reference"] == f"Organization/{p['police'].id}"
    assert task["owner"] == {"reference": f"Organization/{p['shelter'].id}",
                             "type": "Organization", "display": "Shelter FHIR"}
    receiver = actor(p["worker"])
    service.accept_referral(receiver, referral_id=referral.id)
    service.start_progress(receiver, referral_id=referral.id)
    service.complete_referral(receiver, referral_id=referral.id, outcome="service_provided")
    db.session.commit()
    task = _valid(_get(client, p["officer"], "Task", referral.id), Task)
    assert task["status"] == "completed"
    assert task["output"][0]["valueCodeableConcept"]["coding"][0]["code"] == "service_provided"
    request = _valid(_get(client, p["officer"], "ServiceRequest", referral.id), ServiceRequest)
    assert request["status"] == "completed" and request["priority"] == "stat"
    assert request["code"]["coding"][0]["code"] == "shelter"
    assert request["performer"][0]["reference"] == f"Organization/{p['shelter'].id}"
    # the sender's own agency knows whom it referred: a contained Patient with the IIN
    assert request["subject"]["reference"] == "#subject"
    [patient] = request["contained"]
    assert patient["identifier"] == [{"system": fm.IIN_SYSTEM, "value": "850722499909"}]
    assert patient["name"][0]["family"] == "Testova"


def test_a_receiver_without_identity_consent_sees_no_name_nor_iin(parties, client):
    p = parties
    referral = send(p["officer"], p["case"], p["shelter"],
                    subject_participant_id=p["members"]["survivor"].id,
                    consent_input=consent("incident_details"))
    db.session.commit()
    for before_accepting in (True, False):
        for kind, model in (("Task", Task), ("ServiceRequest", ServiceRequest)):
            body = _valid(_get(client, p["worker"], kind, referral.id), model)
            text = json.dumps(body, ensure_ascii=False)
            for secret in ("Testova", "Aigul", "850722499909", "1985-07-22"):
                assert secret not in text, (kind, secret)
            subject = body["for"] if kind == "Task" else body["subject"]
            assert subject["extension"][0]["valueCode"] == "masked"
            assert "contained" not in body
        if before_accepting:
            service.accept_referral(actor(p["worker"]), referral_id=referral.id)
            db.session.commit()


def test_a_receiver_with_identity_consent_sees_the_person(parties, client):
    p = parties
    referral = send(p["officer"], p["case"], p["shelter"],
                    subject_participant_id=p["members"]["survivor"].id)
    db.session.commit()
    body = _valid(_get(client, p["worker"], "Task", referral.id), Task)
    assert "contained" not in body, "not before the receiver takes the referral up"
    assert body["status"] == "received", "the receiver's first reading marks it received"
    service.accept_referral(actor(p["worker"]), referral_id=referral.id)
    db.session.commit()
    body = _valid(_get(client, p["worker"], "Task", referral.id), Task)
    assert body["contained"][0]["identifier"][0]["value"] == "850722499909"


def test_another_agency_gets_404_and_the_read_is_audited(parties, client):
    from sqlalchemy import select

    from referral.audit.models import AuditEvent

    p = parties
    referral_id = send(p["officer"], p["case"], p["shelter"]).id
    stranger = make_user(make_agency("police", "KZ-71", name="Police far"), Role.OFFICER)
    db.session.commit()
    for kind in ("Task", "ServiceRequest"):
        answer = _get(client, stranger, kind, referral_id)
        assert answer.status_code == 404 and answer.mimetype == "application/problem+json"
    assert _get(client, p["officer"], "Task", referral_id).status_code == 200
    views = db.session.execute(select(AuditEvent).where(
        AuditEvent.action == "referral.view", AuditEvent.object_id == str(referral_id))).scalars()
    assert list(views)


EXPECTED = {
    Status.SENT: "requested", Status.ACCEPTED: "accepted", Status.DECLINED: "rejected",
    Status.IN_PROGRESS: "in-progress", Status.ON_HOLD: "on-hold",
    Status.COMPLETED: "completed", Status.CANCELLED: "cancelled", Status.EXPIRED: "failed",
    Status.FAILED: "failed", Status.ENTERED_IN_ERROR: "entered-in-error",
}
CODED = {Status.DECLINED: {"decline_reason": "no_capacity", "decline_text": "Full."},
         Status.CANCELLED: {"status_reason": "no_longer_needed"},
         Status.FAILED: {"status_reason": "unreachable"},
         Status.ON_HOLD: {"status_reason": "client_request"},
         Status.COMPLETED: {"outcome": "goals_met"},
         Status.ENTERED_IN_ERROR: {"status_text": "Wrong agency."}}


def test_every_lifecycle_state_maps_to_a_task_status(parties, client):
    assert set(EXPECTED) == set(Status), "a new state needs its FHIR status"
    p = parties
    api = Api(client, token_for(p["officer"]))
    for status, fhir_status in EXPECTED.items():
        with cf.as_system():
            referral = co.make_referral(p["case"], p["officer"], p["shelter"], status=status,
                                        **CODED.get(status, {}))
            referral_id = referral.id
        db.session.commit()
        task = _valid(api.get(f"/fhir/Task/{referral_id}"), Task)
        assert task["status"] == fhir_status, status
        assert task["businessStatus"]["coding"][0]["code"] == status.value
        _valid(api.get(f"/fhir/ServiceRequest/{referral_id}"), ServiceRequest)
        if status in (Status.DECLINED, Status.EXPIRED, Status.CANCELLED, Status.FAILED):
            assert task["statusReason"]["coding"][0]["system"] == fm.REASON_SYSTEM, status
        db.session.rollback()  # the test's read of the row ends before the next write


def test_the_document_declares_the_fhir_media_type(client):
    doc = client.get("/api/v1/openapi.json").json
    answer = doc["paths"]["/api/v1/fhir/Task/{referral_id}"]["get"]["responses"]["200"]
    assert FHIR_JSON in answer["content"]
