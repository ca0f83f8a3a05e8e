"""Webhook endpoints through the API: registered with a token alone, the secret shown once, a
retried registration makes one endpoint, changes name their version, a real delivery verifies
with ``standardwebhooks`` and can be sent again; nobody but the agency's managers reaches them."""

from __future__ import annotations

from typing import Any

from standardwebhooks.webhooks import Webhook

from referral.access.permissions import Role
from referral.api.models import IdempotentRequest
from referral.extensions import db
from referral.webhooks.jobs import run_due
from tests.api.conftest import settle
from tests.api.helpers import Api, token_for
from tests.fixtures import make_user

TYPES = ["referral.accepted", "referral.completed"]


def _api(client: Any, user: Any, language: str | None = None) -> Api:
    api = Api(client, token_for(user), language)
    settle()
    return api


def _create(api: Api, url: str = "https://partner.example.org/hook", **headers: str) -> Any:
    return api.post("/webhooks", json={"url": url, "event_types": TYPES,
                                       "description": "police IS"}, headers=headers)


def test_the_secret_is_shown_once_and_a_retry_makes_one_endpoint(client, world):
    api = _api(client, world["manager"])
    first = _create(api, **{"Idempotency-Key": "register-1"})
    assert first.status_code == 201, first.json
    secret = first.json["secret"]
    assert secret.startswith("whsec_")
    assert first.headers["Location"].endswith(f"/webhooks/{first.json['id']}")
    again = _create(api, **{"Idempotency-Key": "register-1"})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json["id"] == first.json["id"] and again.json["secret"] is None
    listed = api.get("/webhooks").json["items"]
    assert [e["id"] for e in listed] == [first.json["id"]]
    one = api.get(f"/webhooks/{first.json['id']}")
    assert one.headers["ETag"] == f'"{one.json["version"]}"'
    assert "secret" not in one.json and "secret" not in listed[0]
    settle()
    kept = db.session.query(IdempotentRequest).all()
    assert kept and all(secret not in row.body for row in kept)  # not kept for a day in clear


def test_a_change_names_its_version(client, world):
    api = _api(client, world["manager"])
    made = _create(api).json
    path = f"/webhooks/{made['id']}"
    assert api.patch(path, json={"description": "new"}).status_code == 428
    assert api.patch(path, json={"description": "new"},
                     headers={"If-Match": '"999"'}).status_code == 412
    changed = api.patch(path, json={"description": "new", "active": False},
                        headers={"If-Match": f'"{made["version"]}"'})
    assert changed.status_code == 200, changed.json
    assert changed.json["description"] == "new" and changed.json["active"] is False
    assert changed.headers["ETag"] == f'"{changed.json["version"]}"'
    stale = api.patch(path, json={"active": True}, headers={"If-Match": f'"{made["version"]}"'})
    assert stale.status_code == 412
    refused = api.patch(path, json={"event_types": ["no.such.type"]},
                        headers={"If-Match": changed.headers["ETag"]})
    assert refused.status_code == 422
    assert _create(api, url="ftp://partner.example.org").status_code == 422


def test_a_real_delivery_verifies_and_is_sent_again(client, world, journey_receiver):
    receiver = journey_receiver
    api = _api(client, world["manager"])
    made = _create(api, url=receiver.url).json
    queued = api.post(f"/webhooks/{made['id']}/test")
    assert queued.status_code == 202 and queued.json["status"] == "pending"
    settle()
    run_due()
    settle()
    assert len(receiver.requests) == 1
    sent = receiver.requests[0]
    assert Webhook(made["secret"]).verify(sent.body, sent.headers)["type"] == "webhook.test"
    log = api.get(f"/webhooks/{made['id']}/deliveries?status=delivered").json
    assert [d["id"] for d in log["items"]] == [queued.json["id"]]
    assert log["items"][0]["msg_id"] == sent.headers["webhook-id"]
    assert api.get(f"/webhooks/{made['id']}/deliveries?status=failed").json["items"] == []
    again = api.post(f"/webhooks/deliveries/{queued.json['id']}/redeliver")
    assert again.status_code == 202 and again.json["status"] == "pending"
    settle()
    run_due()
    settle()
    assert [r.headers["webhook-id"] for r in receiver.requests] == [sent.headers["webhook-id"]] * 2
    rolled = api.post(f"/webhooks/{made['id']}/roll-secret")
    assert rolled.status_code == 200 and rolled.json["secret"] not in (None, made["secret"])
    assert rolled.json["previous_secret_until"] is not None


def test_the_deliveries_come_a_page_at_a_time(client, world):
    api = _api(client, world["manager"])
    made = _create(api).json
    ids = [api.post(f"/webhooks/{made['id']}/test").json["id"] for _ in range(3)]
    first = api.get(f"/webhooks/{made['id']}/deliveries?limit=2").json
    rest = api.get(f"/webhooks/{made['id']}/deliveries?limit=2&cursor={first['next_cursor']}")
    assert [d["id"] for d in first["items"] + rest.json["items"]] == ids[::-1]
    assert rest.json["next_cursor"] is None
    assert api.get(f"/webhooks/{made['id']}/deliveries?cursor=junk").status_code == 422


def test_an_officer_and_another_agencys_manager_get_404(client, world):
    other_manager = make_user(world["other_agency"], Role.AGENCY_MANAGER)
    db.session.commit()
    made = _create(_api(client, world["manager"])).json
    delivery = _api(client, world["manager"]).post(f"/webhooks/{made['id']}/test").json
    officer, other = _api(client, world["officer"]), _api(client, other_manager)
    assert officer.get("/webhooks").status_code == 404
    assert _create(officer).status_code == 404
    assert other.get("/webhooks").json["items"] == []  # its own agency's: none
    for api in (officer, other):
        path = f"/webhooks/{made['id']}"
        assert api.get(path).status_code == 404
        assert api.patch(path, json={"description": "x"}).status_code == 404  # not 428
        assert api.post(f"{path}/roll-secret").status_code == 404
        assert api.post(f"{path}/test").status_code == 404
        assert api.get(f"{path}/deliveries").status_code == 404
        assert api.post(f"/webhooks/deliveries/{delivery['id']}/redeliver").status_code == 404


def test_the_catalogue_speaks_the_callers_language(client, world):
    english = _api(client, world["manager"]).get("/webhook-event-types").json["items"]
    russian = _api(client, world["manager"], "ru").get("/webhook-event-types").json["items"]
    assert [t["type"] for t in english] == [t["type"] for t in russian]
    assert "referral.accepted" in [t["type"] for t in english]
    assert english[0]["label"] != russian[0]["label"]
    system = _api(client, world["admin"]).get("/webhook-event-types").json["items"]
    assert "email.delivery_failed" in [t["type"] for t in system]
