"""The issue's "done when", end to end: an external system, with a token and the OpenAPI
document alone, sends a referral, learns by webhook that it was accepted, and reads its outcome.

Police A's information system opens a case, adds the survivor and sends a referral with consent
(an Idempotency-Key, the call retried once: one referral). Crisis A's system accepts it with the
ETag as If-Match; the webhook endpoint Police A's manager registered (a real HTTP receiver on
127.0.0.1) is told, signed per Standard Webhooks; Crisis A starts and completes the work with an
outcome, and Police A reads the outcome as JSON and as a FHIR Task.

Paths and methods come from the document, by operationId; only the operationIds are known.
The webhook deliveries run in this process (``referral.webhooks.jobs.run_due``), as the
webhook tests run them; in production Celery runs the same functions.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from standardwebhooks.webhooks import Webhook

from referral.webhooks.jobs import run_due
from tests.api.conftest import settle
from tests.api.helpers import token_for
from tests.cases.factories import SURVIVOR
from tests.webhooks.receiver import Receiver  # the webhook tests' real HTTP receiver

# the people of the journey: what must never reach a URL, a log line or a webhook body
SURVIVOR_IIN = SURVIVOR.iin
SURVIVOR_SURNAME = SURVIVOR.surname
SURVIVOR_GIVEN_NAME = SURVIVOR.given_name
ADDRESS = "Flat 7, 12 Abay Avenue"
REASON = "Needs a safe place tonight, away from the husband"


class Document:
    """The OpenAPI document as a client reads it: operations by operationId."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.ops: dict[str, tuple[str, str]] = {
            spec["operationId"]: (method.upper(), path)
            for path, item in doc["paths"].items() for method, spec in item.items()
            if isinstance(spec, dict) and "operationId" in spec}

    def find(self, *names: str, method: str | None = None, path: str | None = None) -> str:
        """The first of ``names`` the document has, else the operation at ``method path``."""
        for name in names:
            if name in self.ops:
                return name
        for name, (m, p) in self.ops.items():
            if m == method and p == path:
                return name
        raise AssertionError(f"the document has none of {names} ({method} {path})")

    def url(self, op_id: str, **params: Any) -> tuple[str, str]:
        method, path = self.ops[op_id]
        return method, re.sub(r"{(\w+)}", lambda m: str(params[m.group(1)]), path)

    def enum(self, schema: str) -> list[str]:
        return self.doc["components"]["schemas"][schema]["enum"]


@dataclass
class System:
    """An external system: an HTTP client, its token, and the document."""

    client: Any
    token: str
    doc: Document
    log: list[str] = field(default_factory=list)  # every URL it called

    def call(self, op_id: str, json_body: Any = None, headers: dict | None = None,
             **params: Any) -> Any:
        method, url = self.doc.url(op_id, **params)
        self.log.append(url)
        return self.client.open(url, method=method, json=json_body,
                                headers={"Authorization": f"Bearer {self.token}",
                                         **(headers or {})})


@dataclass
class Journey:
    """What the journey leaves behind, for the checks of other tests (privacy, logs)."""

    police: System
    crisis: System
    receiver: Receiver
    secret: str
    referral_id: int | None = None
    steps: list[str] = field(default_factory=list)


def register_webhook(w: dict[str, Any], police: System, url: str) -> str:
    """Police A's manager registers the endpoint through the API (``POST /webhooks``, found in
    the document by its path). Returns the signing secret, shown in that answer only."""
    op_id = police.doc.find("create_webhook_endpoint", method="POST", path="/api/v1/webhooks")
    types = ["referral.accepted", "referral.completed"]
    manager = System(police.client, token_for(w["manager"], name="police manager"), police.doc)
    answer = manager.call(op_id, {"url": url, "event_types": types, "description": "police IS"},
                          headers={"Idempotency-Key": str(uuid.uuid4())})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return answer.json["secret"]


def deliver_webhooks() -> None:
    """Run the due webhook deliveries here and now (a worker does it in production)."""
    settle()
    run_due()
    settle()


def _agency_id(system: System, name: str) -> int:
    """The receiving agency, found in the directory the way a client would."""
    op_id = system.doc.find("list_agencies", method="GET", path="/api/v1/agencies")
    answer = system.call(op_id)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return next(item["id"] for item in answer.json["items"] if item["name"] == name)


def _open_case(police: System, region: str) -> int:
    answer = police.call(police.doc.find("create_case", method="POST", path="/api/v1/cases"),
                         {"region_code": region, "address": ADDRESS, "languages": ["kk"]},
                         headers={"Idempotency-Key": str(uuid.uuid4())})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return answer.json["id"]


def _add_survivor(police: System, case_id: int) -> int:
    body = {"surname": SURVIVOR_SURNAME, "given_name": SURVIVOR_GIVEN_NAME, "sex": "female",
            "birth_date": SURVIVOR.birth_date.isoformat(), "iin": SURVIVOR_IIN,
            "role": "survivor", "confirmed_new": True}
    answer = police.call(police.doc.find("add_person"), body, case_id=case_id,
                         headers={"Idempotency-Key": str(uuid.uuid4())})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return answer.json["id"]


def _send(police: System, case_id: int, receiver_id: int) -> int:
    """Send with consent; the call is retried with the same key and answers the same."""
    categories = police.doc.enum("DataCategory")
    body = {"case_id": case_id, "receiver_agency_id": receiver_id, "service": "shelter",
            "reason": REASON, "consent": {"categories": categories}}
    op_id = police.doc.find("send_referral", method="POST", path="/api/v1/referrals")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = police.call(op_id, body, headers=key)
    assert first.status_code == 201, first.get_data(as_text=True)
    again = police.call(op_id, body, headers=key)
    assert again.status_code == 201, again.get_data(as_text=True)
    assert again.json["id"] == first.json["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    return first.json["id"]


def _act(system: System, op_id: str, referral_id: int, body: dict) -> dict[str, Any]:
    """Read the referral for its ETag, then act with If-Match."""
    read = system.call(system.doc.find("get_referral"), referral_id=referral_id)
    assert read.status_code == 200, read.get_data(as_text=True)
    etag = read.headers["ETag"]
    answer = system.call(system.doc.find(op_id), body, referral_id=referral_id,
                         headers={"If-Match": etag})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.headers.get("ETag") not in (None, etag)
    return answer.json


def _outbox_ids(police: System) -> list[int]:
    answer = police.call(police.doc.find("referral_outbox", method="GET",
                                         path="/api/v1/referrals/outbox"))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return [item["id"] for item in answer.json["items"]]


def _verified(receiver: Receiver, secret: str) -> list[dict[str, Any]]:
    """The bodies the receiver got, each after its Standard Webhooks signature verified."""
    hook = Webhook(secret)
    return [hook.verify(r.body, r.headers) for r in receiver.requests]


def run_journey(app: Any, w: dict[str, Any], receiver: Receiver) -> Journey:
    """The whole journey; asserts each step as it goes."""
    doc = Document(app.test_client().get("/api/v1/openapi.json").json)
    police = System(app.test_client(), token_for(w["officer"], name="police IS"), doc)
    crisis = System(app.test_client(), token_for(w["crisis"], name="crisis IS"), doc)
    journey = Journey(police, crisis, receiver, register_webhook(w, police, receiver.url))

    case_id = _open_case(police, w["police"].region_code)
    _add_survivor(police, case_id)
    referral_id = journey.referral_id = _send(police, case_id, _agency_id(police, "Crisis A"))
    assert _outbox_ids(police).count(referral_id) == 1
    journey.steps.append("sent")

    accepted = _act(crisis, "accept_referral", referral_id, {"note": ""})
    assert accepted["status"] == "accepted"
    deliver_webhooks()
    told = _verified(receiver, journey.secret)
    assert [(b["type"], b["data"]["referral_id"]) for b in told] == [
        ("referral.accepted", referral_id)]
    assert told[0]["data"]["links"]["self"].endswith(f"/api/v1/referrals/{referral_id}")
    journey.steps.append("accepted, told by webhook")

    _act(crisis, "start_referral", referral_id, {"note": ""})
    outcome = doc.enum("Outcome")[0]
    done = _act(crisis, "complete_referral", referral_id, {"outcome": outcome, "note": "Done"})
    assert done["status"] == "completed"
    deliver_webhooks()
    assert [b["type"] for b in _verified(receiver, journey.secret)] == [
        "referral.accepted", "referral.completed"]
    journey.steps.append("completed")

    read = police.call(doc.find("get_referral"), referral_id=referral_id)
    assert read.status_code == 200, read.get_data(as_text=True)
    assert read.json["status"] == "completed"
    assert read.json["closing"]["outcome"] == outcome
    task = police.call(doc.find("fhir_task"), referral_id=referral_id)
    assert task.status_code == 200, task.get_data(as_text=True)
    assert task.mimetype == "application/fhir+json"
    _check_task(task.get_data(as_text=True), referral_id, outcome)
    journey.steps.append("outcome read")
    return journey


def _check_task(text: str, referral_id: int, outcome: str) -> None:
    """A valid FHIR R4 Task (fhir.resources), completed, whose output is the outcome."""
    from fhir.resources.task import Task

    task = Task.model_validate_json(text)
    assert task.id == str(referral_id) and task.status == "completed"
    assert task.owner is not None and task.requester is not None
    outputs = [coding.code for out in task.output or []
               for coding in out.valueCodeableConcept.coding or []]
    assert outcome in outputs, outputs


def test_an_external_system_sends_learns_and_reads_the_outcome(app, world, journey_receiver):
    journey = run_journey(app, world, journey_receiver)
    assert journey.steps == ["sent", "accepted, told by webhook", "completed", "outcome read"]
