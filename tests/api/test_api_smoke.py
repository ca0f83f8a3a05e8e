"""The skeleton of the API: a token authenticates, a missing one is a 401 problem, an unknown
path is a 404 problem, and the document lists the operations."""

from __future__ import annotations

from referral.access.permissions import Role
from tests.api.helpers import Api, token_for
from tests.fixtures import make_agency, make_user


def test_a_token_authenticates_and_a_missing_one_is_a_problem(ctx, client):
    agency = make_agency("police")
    user = make_user(agency, Role.OFFICER)
    api = Api(client, token_for(user))
    answer = api.get("/me")
    assert answer.status_code == 200, answer.data
    assert answer.json["agency_id"] == agency.id and answer.json["role"] == "officer"
    anonymous = client.get("/api/v1/me")
    assert anonymous.status_code == 401
    assert anonymous.mimetype == "application/problem+json"
    assert anonymous.json["status"] == 401
    assert client.get("/api/v1/no-such-thing").mimetype == "application/problem+json"


def test_the_document_lists_the_operations(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    assert "/api/v1/me" in doc["paths"]
