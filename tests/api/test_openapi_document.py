"""The OpenAPI 3.1 document: valid against the specification, complete (info, servers, tags,
security, parameters incl. Idempotency-Key and If-Match, problem responses), its webhooks the
catalogue's, and the answers it describes match it."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from openapi_spec_validator import validate

import referral.api.views  # noqa: F401  - every operation declared
from referral.access.permissions import Role
from referral.api.openapi import has_etag
from referral.api.spec import OPERATIONS
from referral.webhooks.catalogue import EVENT_TYPES, SYSTEM_EVENT_TYPES
from tests.api.helpers import Api, token_for
from tests.fixtures import make_agency, make_user


@pytest.fixture
def doc(client) -> dict[str, Any]:
    answer = client.get("/api/v1/openapi.json", headers={"Accept-Language": "ru"})
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    return answer.json


def _op(doc: dict[str, Any], op: Any) -> dict[str, Any]:
    return doc["paths"]["/api/v1" + op.path][op.method.lower()]


def test_the_document_is_valid_openapi_3_1_and_loads_in_schemathesis(doc):
    validate(doc)  # the OpenAPI 3.1 meta-schema, offline
    schema = schemathesis.openapi.from_dict(doc)
    assert schema["/api/v1/me"]["GET"] is not None


def test_info_servers_tags_and_security_are_complete(doc):
    info = doc["info"]
    assert info["version"] and info["description"] and info["license"]["identifier"]
    assert doc["servers"][0]["url"]
    declared = {t["name"]: t for t in doc["tags"]}
    assert all(t["description"] for t in declared.values())
    used = {tag for item in doc["paths"].values() for op in item.values() for tag in op["tags"]}
    assert used <= set(declared)
    assert doc["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    assert doc["security"] == [{"token": []}]
    assert "Referral API" in doc["info"]["title"]  # English, whatever the caller's language


def test_every_operation_documents_its_parameters_and_problems(doc):
    assert OPERATIONS
    for op in OPERATIONS:
        entry = _op(doc, op)
        params = {(p["in"], p["name"]): p for p in entry.get("parameters", [])}
        responses = entry["responses"]
        assert all(("path", name) in params for name in op.path_params), op.endpoint
        assert {"400", "404"} <= set(responses), op.endpoint
        assert any(code.startswith("2") for code in responses), op.endpoint
        if not op.public:
            assert {"401", "429"} <= set(responses), op.endpoint
            assert entry.get("security") is None
        else:
            assert entry["security"] == []
        if op.body is not None:
            assert entry["requestBody"]["required"] and {"413", "415", "422"} <= set(responses)
        if op.method == "POST" and not op.public and not op.read_only:
            assert ("header", "Idempotency-Key") in params and "409" in responses, op.endpoint
        if op.read_only:  # a search: nothing to make once, nothing of its answer kept
            assert ("header", "Idempotency-Key") not in params, op.endpoint
        if op.if_match:
            assert params[("header", "If-Match")]["required"], op.endpoint
            assert {"412", "428"} <= set(responses), op.endpoint
        if has_etag(op):
            success = next(v for k, v in responses.items() if k.startswith("2"))
            assert "ETag" in success["headers"], op.endpoint
        for code in op.errors:
            assert str(code) in responses, op.endpoint


def test_problem_responses_are_typed_and_429_says_when_to_retry(doc):
    responses = doc["components"]["responses"]
    for name, answer in responses.items():
        assert answer["content"]["application/problem+json"]["schema"] == {
            "$ref": "#/components/schemas/Problem"}, name
    assert "Retry-After" in responses["Problem429"]["headers"]
    assert doc["paths"]["/api/v1/openapi.json"]["get"]["responses"]["200"]["content"]


def test_the_webhooks_are_the_catalogues(doc):
    assert set(doc["webhooks"]) == set(EVENT_TYPES) | set(SYSTEM_EVENT_TYPES)
    hook = doc["webhooks"]["referral.accepted"]["post"]
    assert {p["name"] for p in hook["parameters"]} == {
        "webhook-id", "webhook-timestamp", "webhook-signature"}
    assert hook["requestBody"]["content"]["application/json"]["schema"]["$ref"]


def test_answers_match_the_document(ctx, client, doc):
    schema = schemathesis.openapi.from_dict(doc)
    api = Api(client, token_for(make_user(make_agency("police"), Role.OFFICER)))
    checks = [("/api/v1/me", api.get("/me")),
              ("/api/v1/me", client.get("/api/v1/me")),
              ("/api/v1/openapi.json", client.get("/api/v1/openapi.json"))]
    for path, answer in checks:
        schema[path]["GET"].validate_response(answer)
