"""The OpenAPI 3.1 document, built from the declared operations and their typed models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from referral.api.spec import OPERATIONS, Operation

REF = "#/components/schemas/{model}"


def _models() -> list[type[BaseModel]]:
    seen: dict[str, type[BaseModel]] = {}
    for op in OPERATIONS:
        for model in (op.body, op.response):
            if model is not None:
                seen[f"{model.__module__}.{model.__qualname__}"] = model
    return list(seen.values())


def _parameters(op: Operation) -> list[dict[str, Any]]:
    params = [{"name": name, "in": "path", "required": True,
               "schema": {"type": "integer"} if conv == "int" else {"type": "string"}}
              for name, conv in op.path_params.items()]
    if op.query is not None:
        schema = op.query.model_json_schema(ref_template=REF)
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in required,
                           "schema": prop})
    return params


def _operation(op: Operation, refs: dict[Any, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {"operationId": op.endpoint, "summary": op.summary, "tags": [op.tag]}
    if op.description:
        doc["description"] = op.description
    params = _parameters(op)
    if params:
        doc["parameters"] = params
    if op.body is not None:
        doc["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": refs[(op.body, "validation")]}}}
    responses: dict[str, Any] = {}
    if op.response is not None:
        responses[str(op.status)] = {"description": op.summary, "content": {
            op.media_type: {"schema": refs[(op.response, "serialization")]}}}
    else:
        responses["204" if op.status == 200 else str(op.status)] = {"description": op.summary}
    for status in sorted({400, 401, 404, 422, 429, *op.errors} - ({401} if op.public else set())):
        responses[str(status)] = {"$ref": f"#/components/responses/Problem{status}"}
    doc["responses"] = responses
    if op.public:
        doc["security"] = []
    return doc


def document() -> dict[str, Any]:
    models = _models()
    pairs = [(m, "validation") for m in models] + [(m, "serialization") for m in models]
    refs, schemas = models_json_schema(pairs, ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault("/api/v1" + op.path, {})[op.method.lower()] = _operation(op, refs)
    problem_statuses = sorted({400, 401, 404, 422, 429, *(s for op in OPERATIONS
                                                          for s in op.errors)})
    return {
        "openapi": "3.1.0",
        "info": {"title": "Referral API", "version": "1.0.0"},
        "paths": paths,
        "components": {
            "schemas": {**schemas.get("$defs", {}), "Problem": PROBLEM_SCHEMA},
            "responses": {f"Problem{s}": {"description": "A problem (RFC 9457)", "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
                for s in problem_statuses},
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"token": []}],
    }


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"},
        "status": {"type": "integer"}, "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}
