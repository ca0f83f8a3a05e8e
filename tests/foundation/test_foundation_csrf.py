"""CSRF: every POST route refuses a request without a token when protection is on."""

from __future__ import annotations

import re

import pytest
from werkzeug.routing import IntegerConverter

from tests.fixtures import PASSWORD
from tests.foundation.factories import csrf_token_from, login_with_csrf

pytestmark = pytest.mark.app_config(WTF_CSRF_ENABLED=True)


def _post_urls(app):
    adapter = app.url_map.bind("localhost")
    urls = []
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or ()) or rule.endpoint.startswith("api."):
            continue  # the JSON API takes a bearer token only, never a cookie: see below
        values = {arg: 1 if isinstance(rule._converters[arg], IntegerConverter)
                  else "x" for arg in rule.arguments}
        urls.append(adapter.build(rule.endpoint, values))
    return urls


def test_every_post_route_refuses_a_missing_or_wrong_token(app, client, world):
    urls = _post_urls(app)
    assert "/login" in urls and "/logout" in urls and len(urls) >= 10
    for url in urls:
        response = client.post(url, data={"email": world["officer"].email, "password": PASSWORD})
        assert response.status_code == 400, url
        assert "The form has expired" in response.get_data(as_text=True)
    assert login_with_csrf(client, world["admin"].email, PASSWORD).status_code == 302
    for url in urls:
        response = client.post(url, data={"csrf_token": "forged"})
        assert response.status_code == 400, url
    assert client.get("/").status_code == 200, "no forged POST logged the admin out"


def test_the_api_is_not_opened_by_a_session_cookie(app, client, world):
    """The API is exempt from CSRF checks because a cookie never authenticates it: a signed-in
    browser's POST without a bearer token is refused, so a forged cross-site POST gets nowhere."""
    assert login_with_csrf(client, world["officer"].email, PASSWORD).status_code == 302
    api_posts = [rule for rule in app.url_map.iter_rules()
                 if rule.endpoint.startswith("api.") and "POST" in (rule.methods or ())]
    assert len(api_posts) >= 5
    adapter = app.url_map.bind("localhost")
    for rule in api_posts:
        values = {arg: 1 for arg in rule.arguments}
        response = client.post(adapter.build(rule.endpoint, values), json={})
        assert response.status_code == 401, rule.endpoint
        assert response.mimetype == "application/problem+json"


def test_login_works_with_a_token(client, world):
    response = login_with_csrf(client, world["officer"].email, PASSWORD)
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_every_post_form_on_the_pages_carries_a_token(client, world):
    login_with_csrf(client, world["admin"].email, PASSWORD)
    pages = ["/", "/admin/users", "/admin/users/new", f"/admin/users/{world['officer'].id}",
             "/admin/agencies", "/admin/agencies/new", f"/admin/agencies/{world['police'].id}",
             "/admin/agencies/districts/new", "/account/password", "/admin/audit"]
    forms_seen = 0
    for path in pages:
        html = client.get(path).get_data(as_text=True)
        for form in re.findall(r"<form\b[^>]*>.*?</form>", html, re.S | re.I):
            if re.search(r'method="post"', form, re.I):
                forms_seen += 1
                assert 'name="csrf_token"' in form, (path, form[:200])
    assert forms_seen >= len(pages)


def test_logout_without_a_token_does_not_log_out(client, world):
    login_with_csrf(client, world["officer"].email, PASSWORD)
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302
