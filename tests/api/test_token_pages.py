"""The token pages: who sees them, the secret shown once on the answer to the POST, errors that
keep what was typed, a confirmed revocation, and service accounts in the users list."""

from __future__ import annotations

from sqlalchemy import select

from referral.access.permissions import Role
from referral.api.models import ApiToken
from referral.api.tokens import hash_token
from referral.extensions import db
from tests.api.helpers import Api
from tests.fixtures import fresh, login, make_user

FORM = {"name": "Records system", "holder_id": "0", "service_account_name": "Records robot",
        "role": "officer", "days": "90"}


def _signed_in(app, user):
    client = app.test_client()
    assert login(client, user).status_code == 302
    return client


def _secret_of(page: str) -> str:
    start = page.index('value="rfa_') + len('value="')
    return page[start:page.index('"', start)]


def test_only_managers_and_administrators_see_the_pages(app, world):
    officer = _signed_in(app, world["officer"])
    assert officer.get("/api-tokens/").status_code == 404
    assert officer.get("/api-tokens/new").status_code == 404
    assert "/api-tokens/" not in officer.get("/").get_data(as_text=True)
    manager = _signed_in(app, world["manager"])
    assert manager.get("/api-tokens/").status_code == 200
    assert 'href="/api-tokens/"' in manager.get("/").get_data(as_text=True)
    assert 'name="agency_id"' not in manager.get("/api-tokens/new").get_data(as_text=True)
    admin_form = _signed_in(app, world["admin"]).get("/api-tokens/new")
    assert admin_form.status_code == 200 and 'name="agency_id"' in admin_form.get_data(as_text=True)
    assert app.test_client().get("/api-tokens/").status_code == 302  # to the login page


def test_the_secret_is_shown_once_on_the_answer_to_the_post(app, world, client, caplog):
    caplog.set_level("DEBUG")
    manager = _signed_in(app, world["manager"])
    answer = manager.post("/api-tokens/new", data=FORM)
    assert answer.status_code == 200 and "Location" not in answer.headers
    assert answer.headers["Cache-Control"] == "no-store"
    page = answer.get_data(as_text=True)
    secret = _secret_of(page)
    assert "shown only this once" in page
    fresh()
    token = db.session.execute(select(ApiToken)).scalar_one()
    assert token.token_hash == hash_token(secret) and token.user.is_service_account
    listing = manager.get("/api-tokens/").get_data(as_text=True)
    assert secret not in listing and token.prefix in listing and "Records robot" in listing
    assert Api(client, secret).get("/me").json["agency_id"] == world["police"].id
    assert secret not in caplog.text and secret[12:] not in caplog.text  # nor in any log


def test_errors_keep_what_was_typed(app, world):
    manager = _signed_in(app, world["manager"])
    answer = manager.post("/api-tokens/new", data={**FORM, "name": "", "days": "9999"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "rfa_" not in page
    assert 'value="Records robot"' in page and 'class="error"' in page
    answer = manager.post("/api-tokens/new", data={**FORM, "service_account_name": ""})
    assert "Name the new service account." in answer.get_data(as_text=True)
    fresh()
    assert db.session.execute(select(ApiToken)).first() is None


def test_revocation_is_confirmed_then_immediate(app, world, client):
    manager = _signed_in(app, world["manager"])
    secret = _secret_of(manager.post("/api-tokens/new", data=FORM).get_data(as_text=True))
    fresh()
    token_id = db.session.execute(select(ApiToken.id)).scalar_one()
    confirm = manager.get(f"/api-tokens/{token_id}/revoke")
    assert confirm.status_code == 200 and "Revoke token" in confirm.get_data(as_text=True)
    assert Api(client, secret).get("/me").status_code == 200
    fresh()
    other_manager = make_user(world["other_agency"], Role.AGENCY_MANAGER)
    db.session.commit()
    outsider = _signed_in(app, other_manager)
    assert outsider.get(f"/api-tokens/{token_id}/revoke").status_code == 404
    assert outsider.post(f"/api-tokens/{token_id}/revoke").status_code == 404
    assert Api(client, secret).get("/me").status_code == 200
    done = manager.post(f"/api-tokens/{token_id}/revoke")
    assert done.status_code == 302
    assert Api(client, secret).get("/me").status_code == 401
    assert "Revoked" in manager.get("/api-tokens/").get_data(as_text=True)


def test_an_administrator_creates_for_an_agency_and_service_accounts_are_marked(app, world):
    admin = _signed_in(app, world["admin"])
    answer = admin.post("/api-tokens/new", data={**FORM, "agency_id": str(world["police"].id),
                                                 "role": "agency_manager"})
    assert answer.status_code == 200 and 'value="rfa_' in answer.get_data(as_text=True)
    users = admin.get("/admin/users").get_data(as_text=True)
    assert "Records robot" in users and "Service account" in users
    manager = _signed_in(app, world["manager"])
    assert "Records system" in manager.get("/api-tokens/").get_data(as_text=True)


def test_the_pages_speak_russian_and_kazakh(app, world):
    for language in ("ru", "kk"):
        fresh()
        db.session.get(type(world["manager"]), world["manager"].id).locale = language
        db.session.commit()
        manager = _signed_in(app, world["manager"])
        for path in ("/api-tokens/", "/api-tokens/new"):
            page = manager.get(path)
            text = page.get_data(as_text=True)
            assert page.status_code == 200
            assert "New API token" not in text and "API tokens</h1>" not in text, (language, path)
