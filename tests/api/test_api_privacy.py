"""Personal data stays out of URLs, logs and webhook bodies of the API.

The OpenAPI document is walked: no path, query, header or cookie parameter may be named for a
person's data (an IIN search is a POST body), and no GET takes a body. Then the end-to-end
journey (tests/api/test_api_journey.py) runs while the logs are captured: neither the lines
written (after the redaction filter) nor the records as logged (before it: the filter is a
safety net, not a licence) may hold the survivor's IIN, name or address, the referral's
reason, an API token or the webhook secret; the URLs the systems called and the webhook bodies
may not hold the person's data either.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.api.test_api_journey import (
    ADDRESS,
    REASON,
    SURVIVOR_GIVEN_NAME,
    SURVIVOR_IIN,
    SURVIVOR_SURNAME,
    Journey,
    run_journey,
)

# Words that name a person's data; a parameter whose name has one of them as a part
# (``survivor_name``, ``phone-number``) is refused.
PERSONAL = {"iin", "name", "surname", "patronymic", "fullname", "address", "street", "phone",
            "email", "mail", "birth", "birthdate", "dob", "note", "notes", "text", "reason",
            "comment", "password", "secret", "token", "q", "query", "search"}
# Free-text searches of the service directory: agencies and services, never people.
DIRECTORY_SEARCH = ("/api/v1/hsds/", "/api/v1/agencies")


def _parts(name: str) -> set[str]:
    return {part for part in re.split(r"[^a-z0-9]+", name.lower()) if part}


def _personal(name: str, path: str) -> bool:
    parts = _parts(name)
    if parts <= {"search"} and path.startswith(DIRECTORY_SEARCH):
        return False
    return bool(parts & PERSONAL)


def test_no_parameter_of_the_api_carries_personal_data(client):
    doc = client.get("/api/v1/openapi.json").json
    found, bodies_on_get = [], []
    for path, item in doc["paths"].items():
        for segment in re.findall(r"{(\w+)}", path):
            if _personal(segment, path):
                found.append(f"{path}: path parameter {segment}")
        for method, op in item.items():
            if not isinstance(op, dict):
                continue
            for param in op.get("parameters", []):
                if _personal(param["name"], path) and param["name"] != "Idempotency-Key":
                    found.append(f"{method.upper()} {path}: {param['in']} {param['name']}")
            if method in ("get", "head", "delete") and "requestBody" in op:
                bodies_on_get.append(f"{method.upper()} {path}")
    assert len(doc["paths"]) > 5
    assert not found, "personal data in URLs or headers:\n" + "\n".join(found)
    assert not bodies_on_get, f"a body where proxies drop or log it: {bodies_on_get}"


def _secrets(journey: Journey) -> dict[str, str]:
    """What may not appear; a token also by its random part (the first 12 characters are the
    prefix shown to identify it, which may be logged)."""
    found = {"IIN": SURVIVOR_IIN, "surname": SURVIVOR_SURNAME, "given name": SURVIVOR_GIVEN_NAME,
             "address": ADDRESS, "reason": REASON, "webhook secret": journey.secret}
    for who, system in (("police", journey.police), ("crisis", journey.crisis)):
        found[f"{who} token"] = system.token[12:]
    return found


@contextmanager
def raw_records() -> Iterator[list[str]]:
    """Every record as it was logged, before any handler's filter redacted it: its message
    and its extra fields."""
    found: list[str] = []
    make = logging.getLogRecordFactory()

    def record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        made = make(*args, **kwargs)
        found.append(f"{made.name} {made.getMessage()} {made.__dict__}")
        return made

    logging.setLogRecordFactory(record)
    try:
        yield found
    finally:
        logging.setLogRecordFactory(make)


def test_the_journey_writes_no_personal_data_or_token_to_the_log(
        app, world, journey_receiver, capsys):
    with raw_records() as logged:
        journey = run_journey(app, world, journey_receiver)
    written = capsys.readouterr()
    lines, records = written.out + written.err, "\n".join(logged)
    assert "/api/v1/" in lines and "/api/v1/" in records  # the capture worked
    leaks = [f"{what} in the {where}" for what, value in _secrets(journey).items()
             for where, text in (("lines written", lines), ("records logged", records))
             if value in text]
    assert not leaks, leaks


def test_the_journey_puts_no_personal_data_in_urls_or_webhooks(app, world, journey_receiver):
    journey = run_journey(app, world, journey_receiver)
    personal = {"IIN": SURVIVOR_IIN, "surname": SURVIVOR_SURNAME,
                "given name": SURVIVOR_GIVEN_NAME, "address": ADDRESS, "reason": REASON}
    urls = journey.police.log + journey.crisis.log + [r.path for r in journey.receiver.requests]
    bodies = [r.body for r in journey.receiver.requests]
    assert urls and bodies
    leaks: list[Any] = [(what, text) for what, value in personal.items()
                        for text in urls + bodies if value.lower() in text.lower()]
    assert not leaks, leaks
