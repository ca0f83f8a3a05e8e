"""Response headers on every response, production hardening, and no third-party assets."""

from __future__ import annotations

import re

import pytest

from referral import create_app
from referral.config import DEFAULT_SECRET, ConfigurationError
from referral.paths import PROJECT_ROOT
from tests.conftest import base_config
from tests.fixtures import login

GOOD_SECRET = "x" * 48


def _check_headers(response, path):
    h = response.headers
    csp = h.get("Content-Security-Policy", "")
    assert csp, path
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
                      "script-src 'self'"):
        assert directive in csp, (path, directive)
    assert not re.search(r"https?://|\*", csp), "no third-party hosts in the CSP"
    assert h.get("X-Content-Type-Options") == "nosniff", path
    assert h.get("Referrer-Policy") == "no-referrer", path


def test_every_kind_of_response_carries_the_security_headers(client, world):
    anonymous = ["/login", "/static/css/app.css", "/no-such-page", "/health", "/"]
    for path in anonymous:
        _check_headers(client.get(path), path)
    _check_headers(client.get("/logout"), "GET /logout (405)")
    _check_headers(login(client, world["admin"]), "POST /login")
    for path in ["/", "/admin/users", "/admin/agencies", "/admin/audit", "/account/password",
                 "/no-such-page"]:
        response = client.get(path)
        _check_headers(response, path)
        assert "no-store" in response.headers.get("Cache-Control", ""), path
    _check_headers(client.post("/logout"), "POST /logout")


def test_authenticated_pages_are_not_cached(client, world):
    login(client, world["officer"])
    for path in ("/", "/account/password"):
        assert client.get(path).headers["Cache-Control"] == "no-store"


def test_no_hsts_or_secure_cookie_in_development(client, world):
    response = login(client, world["officer"])
    assert "Strict-Transport-Security" not in response.headers
    assert "Secure" not in response.headers["Set-Cookie"]


@pytest.fixture
def production_app(database_url):
    app = create_app(base_config(database_url, ENV_NAME="production", SECRET_KEY=GOOD_SECRET,
                                 DOCUMENTS_KEY="7eo/eY//Em8tBNr5fiqkSFOlqOz7YibvnOSJenKc5dM="))
    yield app
    from referral.extensions import db

    with app.app_context():
        db.engine.dispose()


def test_production_sends_hsts_and_secure_cookies(production_app, ctx, world):
    client = production_app.test_client()
    response = client.get("/login", base_url="https://localhost")
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    response = login(client, world["officer"])
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("secret", [None, "", DEFAULT_SECRET, "short-secret-31-characters-long"])
def test_production_refuses_to_start_without_a_strong_secret(database_url, secret):
    cfg = base_config(database_url, ENV_NAME="production")
    cfg.pop("SECRET_KEY", None)
    if secret is not None:
        cfg["SECRET_KEY"] = secret
    with pytest.raises(ConfigurationError):
        create_app(cfg)


def test_production_from_the_environment_needs_secret_key(monkeypatch, tmp_path):
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REFERRAL_ENV", "production")
    monkeypatch.setenv("REFERRAL_INSTANCE_PATH", str(tmp_path))
    # An empty database: the upgrade check (tests/ops/test_backup_restore.py) is not this test's.
    monkeypatch.setenv("REFERRAL_CHECK_MIGRATIONS", "false")
    with pytest.raises(ConfigurationError):
        create_app()
    monkeypatch.setenv("SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("REFERRAL_DOCUMENTS_KEY", "7eo/eY//Em8tBNr5fiqkSFOlqOz7YibvnOSJenKc5dM=")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True


THIRD_PARTY = re.compile(r"""(?:src|href|action|srcset)\s*=\s*["']?\s*(?:https?:)?//""", re.I)
CSS_REMOTE = re.compile(r"""(?:@import|url\()\s*["']?\s*(?:https?:)?//""", re.I)


def test_no_template_or_stylesheet_loads_anything_from_another_host():
    templates = sorted((PROJECT_ROOT / "templates").rglob("*.html"))
    assert templates
    offenders = [str(p) for p in templates if THIRD_PARTY.search(p.read_text("utf-8"))]
    static = PROJECT_ROOT / "referral" / "static"
    offenders += [str(p) for p in static.rglob("*.css") if CSS_REMOTE.search(p.read_text("utf-8"))]
    offenders += [str(p) for p in static.rglob("*.js")
                  if re.search(r"https?://", p.read_text("utf-8"))]
    assert offenders == []


def test_no_inline_script_or_style_in_templates():
    for path in (PROJECT_ROOT / "templates").rglob("*.html"):
        text = path.read_text("utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text, re.I), path
        assert not re.search(r"<style\b", text, re.I), path
        assert not re.search(r"\sstyle\s*=", text, re.I), path
        assert not re.search(r"\son[a-z]+\s*=", text, re.I), path
