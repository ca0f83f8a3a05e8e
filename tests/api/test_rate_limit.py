"""Per-token rate limits: past REFERRAL_API_RATE_LIMIT a call is a 429 problem with Retry-After,
in the caller's language; each token counts apart; memory without Redis, Redis with it."""

from __future__ import annotations

import pytest

from referral.access.permissions import Role
from tests.api.helpers import Api, token_for
from tests.fixtures import make_user


@pytest.mark.app_config(API_RATE_LIMIT="2/minute")
def test_past_the_limit_a_call_is_a_429_problem_with_retry_after(world, client):
    api = Api(client, token_for(world["officer"]))
    assert [api.get("/me").status_code for _ in range(2)] == [200, 200]
    refused = api.get("/me")
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert refused.json["status"] == 429 and refused.json["title"] == "Too many requests"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # another token of the same user counts apart; the document needs no token at all
    assert Api(client, token_for(world["officer"], name="second")).get("/me").status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200


@pytest.mark.app_config(API_RATE_LIMIT="1/minute")
def test_the_429_speaks_the_callers_language(world, client):
    for language in ("ru", "kk"):
        user = make_user(world["police"], Role.OFFICER, locale=None)
        api = Api(client, token_for(user), language=language)
        assert api.get("/me").status_code == 200
        refused = api.get("/me")
        assert refused.status_code == 429
        assert refused.json["title"] != "Too many requests", language
        assert "Retry-After" in refused.headers


def test_the_default_limit_lets_ordinary_use_through(app, world, client):
    assert app.config["API_RATE_LIMIT"] == "600/minute"
    api = Api(client, token_for(world["officer"]))
    assert all(api.get("/me").status_code == 200 for _ in range(5))
