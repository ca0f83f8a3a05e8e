"""The endpoint pages: managers for their agency, administrators for the system's; the secret
shown once; the delivery log with "send again"; 404 for everyone else."""

from __future__ import annotations

from sqlalchemy import select

from referral.access.scope import acting_as, system_actor
from referral.audit.models import AuditEvent
from referral.extensions import db
from referral.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.fixtures import fresh, login
from tests.webhooks.helpers import endpoint_for, run_due, send_and_accept, sensitive_case


def _endpoints() -> list[WebhookEndpoint]:
    fresh()
    with acting_as(system_actor("test")):
        return list(db.session.execute(select(WebhookEndpoint)).scalars())


def _codes() -> list[str]:
    fresh()
    with acting_as(system_actor("test")):
        return list(db.session.execute(select(AuditEvent.action).where(
            AuditEvent.action.like("webhook.%")).order_by(AuditEvent.id)).scalars())


def test_a_manager_adds_an_endpoint_and_sees_the_secret_once(client, world, receiver):
    login(client, world["manager"])
    page = client.post("/webhooks/new", data={
        "url": receiver.url, "description": "Crisis line CRM",
        "event_types": ["referral.accepted", "referral.declined"]})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'data-testid="secret"' in text and "whsec_" in text
    [endpoint] = _endpoints()
    assert endpoint.agency_id == world["police"].id
    assert endpoint.event_types == ["referral.accepted", "referral.declined"]
    detail = client.get(f"/webhooks/{endpoint.id}").get_data(as_text=True)
    assert "whsec_" not in detail and receiver.url in detail
    assert "Crisis line CRM" in client.get("/webhooks").get_data(as_text=True)
    assert _codes() == ["webhook.create"]


def test_sending_the_form_again_does_not_register_the_address_twice(client, world, receiver):
    """Reloading the page that shows the secret once posts the form again: refused, one row."""
    login(client, world["manager"])
    form = {"url": receiver.url, "description": "CRM", "event_types": ["referral.accepted"]}
    assert "whsec_" in client.post("/webhooks/new", data=form).get_data(as_text=True)
    again = client.post("/webhooks/new", data=form)
    assert again.status_code == 200 and "whsec_" not in again.get_data(as_text=True)
    assert 'class="error"' in again.get_data(as_text=True)
    assert len(_endpoints()) == 1


def test_the_form_keeps_its_input_when_refused(client, world, app):
    app.config["WEBHOOKS_ALLOW_HTTP_LOCALHOST"] = False
    login(client, world["manager"])
    page = client.post("/webhooks/new", data={"url": "http://localhost:9/in",
                                              "description": "kept text",
                                              "event_types": ["referral.accepted"]})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "kept text" in text and "http://localhost:9/in" in text
    assert 'class="error"' in text
    assert not _endpoints()
    page = client.post("/webhooks/new", data={"url": "https://example.org/in",
                                              "description": "no types"})
    assert "no types" in page.get_data(as_text=True) and not _endpoints()


def test_edit_disable_enable_test_and_send_again(client, world, receiver):
    endpoint, _secret = endpoint_for(world["manager"], receiver.url)
    version = endpoint.version
    login(client, world["manager"])
    response = client.post(f"/webhooks/{endpoint.id}/edit", data={
        "url": receiver.url, "description": "renamed", "event_types": ["referral.received"],
        "version": str(version)})
    assert response.status_code == 302
    assert _endpoints()[0].description == "renamed"
    stale = client.post(f"/webhooks/{endpoint.id}/edit", data={
        "url": receiver.url, "description": "late", "event_types": ["referral.received"],
        "version": str(version)})
    assert stale.status_code == 200 and "late" in stale.get_data(as_text=True)
    assert client.post(f"/webhooks/{endpoint.id}/test").status_code == 302
    run_due()
    assert [r.path for r in receiver.requests] == ["/hook"]
    fresh()
    with acting_as(system_actor("test")):
        row = db.session.execute(select(WebhookDelivery)).scalar_one()
    assert row.status == DeliveryStatus.DELIVERED and row.event_type == "webhook.test"
    log = client.get(f"/webhooks/{endpoint.id}").get_data(as_text=True)
    assert 'data-testid="delivery"' in log and "200" in log
    assert client.post(f"/webhooks/deliveries/{row.id}/redeliver").status_code == 302
    run_due()
    assert len(receiver.requests) == 2
    assert receiver.requests[0].headers["webhook-id"] == receiver.requests[1].headers["webhook-id"]
    assert client.post(f"/webhooks/{endpoint.id}/disable").status_code == 302
    assert not _endpoints()[0].active
    assert client.post(f"/webhooks/{endpoint.id}/enable").status_code == 302
    assert _endpoints()[0].active
    assert _codes() == ["webhook.create", "webhook.update", "webhook.test", "webhook.redeliver",
                        "webhook.disable", "webhook.enable"]


def test_roll_secret_shows_the_new_one(client, world, receiver):
    endpoint, old = endpoint_for(world["manager"], receiver.url)
    login(client, world["manager"])
    page = client.post(f"/webhooks/{endpoint.id}/roll-secret").get_data(as_text=True)
    assert "whsec_" in page and old not in page


def test_administrators_manage_system_endpoints_only(client, world, receiver):
    agency_endpoint, _ = endpoint_for(world["manager"], receiver.url)
    login(client, world["admin"])
    form = client.get("/webhooks/new").get_data(as_text=True)
    assert "email.delivery_failed" in form and "referral.accepted" not in form
    client.post("/webhooks/new", data={"url": receiver.url,
                                       "event_types": ["webhook.endpoint_disabled"]})
    system = [e for e in _endpoints() if e.agency_id is None]
    assert len(system) == 1
    listed = client.get("/webhooks").get_data(as_text=True)
    assert listed.count('data-testid="endpoint"') == 1
    assert client.get(f"/webhooks/{agency_endpoint.id}").status_code == 404


def test_a_system_endpoint_hears_that_an_agency_endpoint_was_disabled(ctx, world, receiver):
    endpoint_for(world["manager"], receiver.url)
    system, secret = endpoint_for(world["admin"], receiver.url,
                                  types=["webhook.endpoint_disabled"])
    receiver.status = 500
    for _ in range(2):
        send_and_accept(world, sensitive_case(world)[0])
        for _round in range(3):
            run_due()
    receiver.status = 200
    run_due()
    assert receiver.requests[-1].headers["webhook-id"]
    from standardwebhooks import Webhook

    body = Webhook(secret).verify(receiver.requests[-1].body, receiver.requests[-1].headers)
    assert body["type"] == "webhook.endpoint_disabled"


def test_officers_and_coordinators_get_404(app, world):
    for who in ("officer", "coordinator", "crisis"):
        client = app.test_client()
        login(client, world[who])
        assert client.get("/webhooks").status_code == 404
        assert client.get("/webhooks/new").status_code == 404


def test_pages_render_in_russian_and_kazakh(client, world, receiver):
    endpoint, _ = endpoint_for(world["manager"], receiver.url)
    login(client, world["manager"])
    for language in ("ru", "kk"):
        for path in ("/webhooks", "/webhooks/new", f"/webhooks/{endpoint.id}",
                     f"/webhooks/{endpoint.id}/edit"):
            page = client.get(path, headers={"Accept-Language": language})
            assert page.status_code == 200, path
