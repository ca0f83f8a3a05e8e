"""The OpenAPI 3.1 document, built from the declared operations and their typed models.

Everything in it comes from the code: the operations (``spec.OPERATIONS``) with their models,
permissions and behaviours (ETag, If-Match, Idempotency-Key), the problem types
(``problems.PROBLEM_TYPES``) and the webhooks' catalogue (``referral/webhooks/catalogue.py``),
so the document cannot drift from what the API does. It is developer documentation and is
always in English (the caller's language applies to problem documents, not to this).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context
from flask_babel import force_locale
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from referral.api.problems import MEDIA_TYPE as PROBLEM_MEDIA_TYPE
from referral.api.problems import PROBLEM_TYPES, type_uri
from referral.api.spec import OPERATIONS, Operation
from referral.webhooks.catalogue import (
    ALL_EVENT_TYPES,
    EVENT_TYPES,
    SYSTEM_EVENT_TYPES,
    WebhookPayload,
)

REF = "#/components/schemas/{model}"
PREFIX = "/api/v1"
VERSION = "1.0.0"
DB_INT_MAX = 2**31 - 1
TAG_DESCRIPTIONS = {
    "meta": "This document, its reference page and the calling token.",
    "agencies": "Agencies and districts.",
    "directory": "Agencies, districts and their services as the app keeps them.",
    "directory (HSDS 3.0)": "The service directory shaped as Open Referral HSDS 3.0: "
                            "organizations, services, locations and capacity.",
    "cases": "Cases: create, read, search by exact IIN (a POST: an IIN never goes in a URL).",
    "people": "The people of a case (participants) and their details.",
    "incidents": "The incidents of a case.",
    "assessments": "Risk assessments of a case.",
    "referrals": "Referrals between agencies: send (with consent or a legal ground), inbox and "
                 "outbox, accept, decline, start, progress notes, complete, cancel.",
    "notifications": "The calling user's in-app notifications.",
    "webhook endpoints": "Register HTTPS endpoints for event types, roll their signing secret, "
                         "send a test event, read the delivery log and send a delivery again.",
    "statistics": "Suppressed statistics: small counts are hidden so that no person can be told.",
    "FHIR R4": "Referrals as HL7 FHIR R4 Task and ServiceRequest resources (closed-loop "
               "referral pattern), as application/fhir+json.",
}
DESCRIPTION = """\
A versioned JSON API to the referral system: the same permissions, scoping, rules and audit as
the pages.

* **Authentication**: every call carries an API token, `Authorization: Bearer rfa_…`. A token
  acts for one agency with one role; a record outside its reach is `404`, as on the pages.
* **Errors** are RFC 9457 problem documents (`application/problem+json`) in the caller's
  language (`Accept-Language`: ru, kk, en). Branch on `type`; show `title` and `detail`.
* **Idempotency**: send `Idempotency-Key` with a POST; a retry with the same key and request
  returns the first answer (`Idempotent-Replayed: true`) and creates nothing new. Keys are kept
  for 24 hours.
* **Concurrency**: records with a version answer with an `ETag`; changes need `If-Match` with
  it (`428` without, `412` when someone changed the record meanwhile).
* **Paging**: lists return `items` and `next_cursor`; pass it back as `cursor`.
* **Rate limits**: too many calls of a token answer `429` with `Retry-After`.
* **Webhooks**: signed per Standard Webhooks; see `webhooks` below.

The integrator's guide: docs/api.md; the readable reference: /api/v1/docs.
"""


def _models() -> list[type[BaseModel]]:
    seen: dict[str, type[BaseModel]] = {}
    for op in OPERATIONS:
        for model in (op.body, op.response, op.query):
            if model is not None:
                seen[f"{model.__module__}.{model.__qualname__}"] = model
    return list(seen.values())


def has_etag(op: Operation) -> bool:
    """Whether the operation's 2xx answer carries the record's ETag."""
    if op.etag is not None:
        return op.etag
    fields = getattr(op.response, "model_fields", {}) if op.response is not None else {}
    return op.if_match or (op.method in ("GET", "POST") and "version" in fields)


def _header(name: str, description: str, required: bool = False,
            schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": required, "description": description,
            "schema": schema or {"type": "string"}}


def _parameters(op: Operation) -> list[dict[str, Any]]:
    params = [{"name": name, "in": "path", "required": True,
               "schema": ({"type": "integer", "minimum": 1, "maximum": DB_INT_MAX}
                          if conv == "int" else {"type": "string"})}
              for name, conv in op.path_params.items()]
    if op.query is not None:
        schema = op.query.model_json_schema(ref_template=REF)
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            param = {"name": name, "in": "query", "required": name in required, "schema": prop}
            if prop.get("description"):
                param["description"] = prop["description"]
            params.append(param)
    if op.method == "POST" and not op.public and not op.read_only:
        params.append(_header(
            "Idempotency-Key", "Any unique string of 1 to 255 visible ASCII characters (a "
            "UUID): a retry with the same key and request returns the first answer and creates "
            "nothing new." + (" Recommended for this operation." if op.idempotent else ""),
            schema={"type": "string", "minLength": 1, "maxLength": 255,
                    "pattern": "^[\\x21-\\x7e]+$"}))
    if op.if_match:
        params.append(_header("If-Match", "The record's ETag as last read (`\"7\"`); `428` "
                              "without it, `412` if the record has changed since.",
                              required=True))
    if op.method == "GET" and has_etag(op):
        params.append(_header("If-None-Match", "The ETag of the copy you hold: `304` with no "
                              "body when it is still current."))
    return params


def _success(op: Operation, refs: dict[Any, Any]) -> tuple[str, dict[str, Any]]:
    headers: dict[str, Any] = {}
    if has_etag(op):
        headers["ETag"] = {"description": "The record's version, for If-Match and "
                           "If-None-Match.", "schema": {"type": "string"}}
    if op.status == 201:
        headers["Location"] = {"description": "The new record in this API.",
                               "schema": {"type": "string"}}
    if op.method == "POST" and not op.public:
        headers["Idempotent-Replayed"] = {"description": "`true` when this is the stored "
                                          "answer of an earlier call with the same "
                                          "Idempotency-Key.", "schema": {"type": "string",
                                                                         "enum": ["true"]}}
    schema = (refs[(op.response, "serialization")] if op.response is not None
              else op.response_schema)
    status = str(op.status if schema is not None or op.status != 200 else 204)
    answer: dict[str, Any] = {"description": op.summary}
    if schema is not None:
        answer["content"] = {op.media_type: {"schema": schema}}
    if headers:
        answer["headers"] = headers
    return status, answer


def problem_statuses(op: Operation) -> set[int]:
    """Every problem status the operation may answer with."""
    found = {400, 404, 422, *op.errors}
    if not op.public:
        found |= {401, 429}
    if op.body is not None:
        found |= {413, 415}
    if op.method == "POST" and not op.public:
        found.add(409)  # the same Idempotency-Key still running
    if op.if_match:
        found |= {412, 428}
    return found


def _operation(op: Operation, refs: dict[Any, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {"operationId": op.endpoint, "summary": op.summary, "tags": [op.tag]}
    if op.description:
        doc["description"] = op.description
    if op.permission is not None:
        doc["x-permission"] = str(op.permission)
    params = _parameters(op)
    if params:
        doc["parameters"] = params
    if op.body is not None:
        doc["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": refs[(op.body, "validation")]}}}
    status, answer = _success(op, refs)
    responses: dict[str, Any] = {status: answer}
    if op.method == "GET" and has_etag(op):
        responses["304"] = {"description": "Not modified: the copy named by If-None-Match "
                                           "is current."}
    for code in sorted(problem_statuses(op)):
        responses[str(code)] = {"$ref": f"#/components/responses/Problem{code}"}
    doc["responses"] = responses
    if op.public:
        doc["security"] = []
    return doc


def _problem_responses(statuses: set[int]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for status in sorted(statuses):
        kinds = [k for k in PROBLEM_TYPES.values() if k.status == status]
        answer: dict[str, Any] = {
            "description": "; ".join(str(k.title) for k in kinds) or "A problem (RFC 9457)",
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": REF.format(model="Problem")}}}}
        if status in (409, 429, 503):
            answer["headers"] = {"Retry-After": {"description": "Seconds to wait before "
                                                 "calling again.",
                                                 "schema": {"type": "string"}}}
        if status == 405:
            answer["headers"] = {"Allow": {"description": "The methods the path accepts.",
                                           "schema": {"type": "string"}}}
        found[f"Problem{status}"] = answer
    return found


def _webhooks(refs: dict[Any, Any]) -> dict[str, Any]:
    """One entry per event type of the catalogue: what a registered endpoint receives."""
    signed = [_header("webhook-id", "The message id: the same on a retry of one event "
                      "(deduplicate on it).", required=True),
              _header("webhook-timestamp", "Unix seconds when the message was sent; refuse "
                      "old ones (replay).", required=True),
              _header("webhook-signature", "`v1,<base64 HMAC-SHA256 of "
                      "\"{id}.{timestamp}.{body}\">` with the endpoint's secret (Standard "
                      "Webhooks); space-separated when the secret is being rotated.",
                      required=True)]
    hooks: dict[str, Any] = {}
    for name, label in sorted(ALL_EVENT_TYPES.items()):
        system = name in SYSTEM_EVENT_TYPES and name not in EVENT_TYPES
        hooks[name] = {"post": {
            "operationId": "webhook_" + name.replace(".", "_"),
            "summary": str(label),
            "description": ("Sent to administrators' system endpoints." if system else
                            "Sent to the endpoints of the agencies concerned.")
                           + " The body holds ids, codes, times and links only.",
            "tags": ["webhooks"], "parameters": signed,
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": refs[(WebhookPayload, "serialization")]}}},
            "responses": {"2XX": {"description": "Received. Anything else (or no answer "
                                                 "within the timeout) is retried with "
                                                 "backoff; an endpoint that keeps failing is "
                                                 "disabled."}},
            "security": [],
        }}
    return hooks


def _servers() -> list[dict[str, str]]:
    base = current_app.config.get("PUBLIC_BASE_URL", "") if has_app_context() else ""
    return [{"url": base.rstrip("/") or "/", "description": "This deployment"}]


def _tags() -> list[dict[str, str]]:
    used = sorted({op.tag for op in OPERATIONS}, key=lambda t: (t != "meta", t.lower()))
    tags = [{"name": t, "description": TAG_DESCRIPTIONS.get(t, f"Operations on {t}.")}
            for t in used]
    tags.append({"name": "webhooks", "description": "Events sent to registered endpoints "
                                                    "(Standard Webhooks signatures)."})
    return tags


def document() -> dict[str, Any]:
    """The whole document (in English whatever the caller's language), built once per app: it
    costs ~200 ms of CPU and is public, so it is not rebuilt for every caller. Its servers and
    problem types name ``PUBLIC_BASE_URL``, so that is part of the key (and the number of
    operations, which tests add to). Callers only read it."""
    key = (current_app.config.get("PUBLIC_BASE_URL"), len(OPERATIONS))
    built = current_app.extensions.setdefault("referral.api.document", {})
    if key not in built:
        with force_locale("en"):
            built.clear()
            built[key] = _document()
    return built[key]


def _document() -> dict[str, Any]:
    models = _models()
    pairs = ([(m, "validation") for m in models] + [(m, "serialization") for m in models]
             + [(WebhookPayload, "serialization")])
    refs, schemas = models_json_schema(pairs, ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(PREFIX + op.path, {})[op.method.lower()] = _operation(op, refs)
    statuses = {405, 500, 503}.union(*(problem_statuses(op) for op in OPERATIONS))
    return {
        "openapi": "3.1.0",
        "info": {"title": "Referral API", "version": VERSION, "summary":
                 "Cases, referrals, the service directory and webhooks of the referral system.",
                 "description": DESCRIPTION,
                 "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"}},
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "servers": _servers(),
        "tags": _tags(),
        "paths": paths,
        "webhooks": _webhooks(refs),
        "components": {
            "schemas": {**schemas.get("$defs", {}), "Problem": problem_schema()},
            "responses": _problem_responses(statuses),
            "securitySchemes": {"token": {
                "type": "http", "scheme": "bearer", "bearerFormat": "rfa_…",
                "description": "An API token made on the API tokens page (shown once)."}},
        },
        "security": [{"token": []}],
        "externalDocs": {"description": "The readable reference", "url": PREFIX + "/docs"},
    }


def problem_schema() -> dict[str, Any]:
    """RFC 9457's members, the type URIs we use, and our extensions."""
    return {
        "type": "object",
        "required": ["type", "title", "status"],
        "properties": {
            "type": {"type": "string", "format": "uri-reference",
                     "description": "Stable: branch on it. One of: " + ", ".join(
                         type_uri(slug) for slug in PROBLEM_TYPES)},
            "title": {"type": "string", "description": "In the caller's language."},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string", "description": "In the caller's language."},
            "instance": {"type": "string", "format": "uri-reference"},
            "field": {"type": "string", "description": "The field a rule refused."},
            "errors": {"type": "array", "description": "Each invalid field (422).",
                       "items": {"type": "object", "required": ["pointer", "detail", "code"],
                                 "properties": {
                                     "in": {"type": "string", "enum": ["body", "query"]},
                                     "pointer": {"type": "string",
                                                 "description": "A JSON pointer (RFC 6901)."},
                                     "detail": {"type": "string"},
                                     "code": {"type": "string"}}}},
        },
    }
