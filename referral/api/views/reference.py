"""The readable API reference (/api/v1/docs) and the pages of the problem types, for people.

Rendered on the server from the same OpenAPI document the API serves (no JavaScript, no asset
from elsewhere: the CSP stays as strict as everywhere). The headings are in the reader's
language; the operations' own texts are developer documentation, in English, as in the document.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import abort, render_template

from referral.api.blueprint import bp
from referral.api.openapi import document
from referral.api.problems import PROBLEM_TYPES, type_uri

SCHEMA_PREFIX = "#/components/schemas/"
METHODS = ("get", "post", "put", "patch", "delete")


@bp.get("/docs")
def reference() -> str:
    """Public: an integrator reads it before holding a token."""
    doc = document()
    return render_template("api/reference.html", doc=doc, groups=operation_groups(doc),
                           schemas=schema_tables(doc), webhooks=webhook_rows(doc),
                           problem_types=list(PROBLEM_TYPES.values()),
                           first_call=curl(doc["servers"][0]["url"].rstrip("/"), "get",
                                           "/api/v1/me", {}, None))


@bp.get("/problems/<slug>")
def problem_type(slug: str) -> str:
    """The page a problem's ``type`` URI names."""
    kind = PROBLEM_TYPES.get(slug)
    if kind is None:
        abort(404)
    return render_template("api/problem.html", kind=kind, uri=type_uri(slug))


def _ref_name(ref: str) -> str:
    return ref.removeprefix(SCHEMA_PREFIX)


def type_label(schema: dict[str, Any]) -> tuple[str, str | None]:
    """A short type (``string``, ``array of CaseOut``, ``integer | null``) and the schema it
    links to, if any."""
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        return name, name
    if "enum" in schema:
        return "one of: " + ", ".join(json.dumps(v, ensure_ascii=False)
                                      for v in schema["enum"]), None
    if "const" in schema:
        return json.dumps(schema["const"], ensure_ascii=False), None
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            parts = [type_label(s) for s in schema[key]]
            link = next((p[1] for p in parts if p[1]), None)
            return " | ".join(p[0] for p in parts), link
    kind = schema.get("type", "any")
    if kind == "array":
        inner, link = type_label(schema.get("items", {}))
        return f"array of {inner}", link
    if isinstance(kind, list):
        kind = " | ".join(kind)
    fmt = schema.get("format")
    return (f"{kind} ({fmt})" if fmt else str(kind)), None


def rows(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The properties of an object schema as table rows."""
    required = set(schema.get("required", []))
    found = []
    for name, prop in schema.get("properties", {}).items():
        label, link = type_label(prop)
        found.append({"name": name, "type": label, "link": link, "required": name in required,
                      "description": prop.get("description") or prop.get("title", "")})
    return found


def example(schema: dict[str, Any], components: dict[str, Any], depth: int = 0) -> Any:
    """A sample value for a schema: its example or default, else one made from its type (of
    an object, its required fields: the schema's table lists the others)."""
    if depth > 4:
        return None
    if "$ref" in schema:
        return example(components.get(_ref_name(schema["$ref"]), {}), components, depth + 1)
    for key in ("examples", "example", "default", "const"):
        if key in schema:
            value = schema[key]
            return value[0] if key == "examples" and isinstance(value, list) and value else value
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            usable = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return example(usable[0], components, depth + 1)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        required = set(schema.get("required", []))
        return {n: example(p, components, depth + 1)
                for n, p in schema.get("properties", {}).items() if n in required}
    if kind == "array":
        return [example(schema.get("items", {}), components, depth + 1)]
    return {"integer": 1, "number": 1.0, "boolean": True, "null": None}.get(
        str(kind), _string_example(schema))


def _string_example(schema: dict[str, Any]) -> str:
    return {"date": "2026-01-31", "date-time": "2026-01-31T09:00:00Z", "email":
            "name@example.org", "uri": "https://example.org"}.get(schema.get("format", ""),
                                                                  "string")


def curl(base: str, method: str, path: str, op: dict[str, Any], body: Any) -> str:
    """A curl call of the operation, with the headers it needs."""
    url = re.sub(r"\{[a-z_]+\}", "1", path)
    lines = [f'curl -X {method.upper()} "{base}{url}"']
    if op.get("security") != []:
        lines.append('-H "Authorization: Bearer $TOKEN"')
    headers = {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}
    if "If-Match" in headers:
        lines.append("-H 'If-Match: \"1\"'")
    if "Idempotency-Key" in headers:
        lines.append('-H "Idempotency-Key: $(uuidgen)"')
    if body is not None:
        lines.append('-H "Content-Type: application/json"')
        lines.append("-d '" + json.dumps(body, ensure_ascii=False).replace("'", "'\\''") + "'")
    return " \\\n  ".join(lines)


def _operation(base: str, path: str, method: str, op: dict[str, Any],
               components: dict[str, Any], shared: dict[str, Any]) -> dict[str, Any]:
    body_schema = (op.get("requestBody", {}).get("content", {})
                   .get("application/json", {}).get("schema"))
    body = example(body_schema, components) if body_schema else None
    params = [{"name": p["name"], "in": p["in"], "required": p.get("required", False),
               "type": type_label(p.get("schema", {}))[0],
               "description": p.get("description", "")} for p in op.get("parameters", [])]
    responses = []
    for status, answer in op.get("responses", {}).items():
        content = answer.get("content", {})
        media, schema = next(iter(content.items()), (None, {}))
        link = type_label(schema.get("schema", {}))[1] if schema else None
        if "$ref" in answer:
            answer = shared.get(answer["$ref"].rsplit("/", 1)[-1], {})
            media, link = "application/problem+json", "Problem"
        responses.append({"status": status, "media": media, "link": link,
                          "description": answer.get("description", "")})
    body_link = type_label(body_schema)[1] if body_schema else None
    return {"id": op.get("operationId", f"{method}-{path}"), "method": method.upper(),
            "path": path, "path_parts": re.findall(r"/?[^/]*", path)[:-1],
            "summary": op.get("summary", ""),
            "description": op.get("description", ""), "permission": op.get("x-permission"),
            "public": op.get("security") == [], "params": params, "body_link": body_link,
            "body_example": json.dumps(body, ensure_ascii=False, indent=2) if body else None,
            "responses": responses, "curl": curl(base, method, path, op, body)}


def operation_groups(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The operations under their tags, in the document's tag order."""
    base = doc["servers"][0]["url"].rstrip("/")
    components = doc.get("components", {}).get("schemas", {})
    shared = doc.get("components", {}).get("responses", {})
    groups = {t["name"]: {"name": t["name"], "description": t.get("description", ""),
                          "operations": []} for t in doc.get("tags", [])}
    for path, item in doc.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                op = item[method]
                tag = (op.get("tags") or ["other"])[0]
                group = groups.setdefault(tag, {"name": tag, "description": "",
                                                "operations": []})
                group["operations"].append(_operation(base, path, method, op, components,
                                                      shared))
    return [g for g in groups.values() if g["operations"]]


def schema_tables(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every named schema as a table (or its JSON when it is not an object)."""
    found = []
    for name, schema in sorted(doc.get("components", {}).get("schemas", {}).items()):
        table = rows(schema)
        found.append({"name": name, "description": schema.get("description", ""),
                      "rows": table, "json": None if table else
                      json.dumps(schema, ensure_ascii=False, indent=2)})
    return found


def webhook_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": name, "summary": item["post"].get("summary", ""),
             "description": item["post"].get("description", "")}
            for name, item in doc.get("webhooks", {}).items()]

