"""schemathesis against /api/v1/openapi.json: every operation, called with a token, answers no
5xx and only what its document promises (status codes, media types, body schemas).

One test per token's role. The world is seeded once per test (a case of Police A and a
referral to Crisis A), and each operation is fuzzed from three strategies: valid inputs with
generated ids (mostly 404s), valid inputs with the seeded records' ids (so that the answers
about real records are checked against their schemas too), and invalid inputs; then each
integer parameter once with a number too big for any column. Every failure of
every operation is collected (one per operation and check, with a curl line to replay it) and
reported at once, so one broken operation does not hide the others. Bounded, and seeded
so that both CI passes stay fast and stable.

The operations are walked with hypothesis directly (``APIOperation.as_strategy``) rather than
with schemathesis' pytest plugin, whose lazy fixture loader sets pytest node attributes that
pytest 9 no longer has.
"""

from __future__ import annotations

import zlib
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import Failure

from tests.api.conftest import settle
from tests.api.helpers import token_for

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
MAX_EXAMPLES = 12  # per operation and role
TOO_BIG = 2**63
ROLES = ("officer", "crisis", "coordinator")
# A fixed seed per role and operation (not ``derandomize``, which would give every role the
# same inputs): the same calls on every run, different ones for each role.
SETTINGS = settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                    phases=(Phase.explicit, Phase.generate), print_blob=False,
                    suppress_health_check=list(HealthCheck))


class Caller:
    """Sends generated cases through the app's isolated test client with the role's token and
    keeps every distinct failure. Should an operation revoke the token itself (a token route),
    a new one is minted, so that the operations after it still authenticate. (A 401 for a
    mangled Authorization header, from the invalid-input strategy, leaves the token as it is.)"""

    def __init__(self, app: Any, user: Any) -> None:
        self.app, self.user = app, user
        self.token = token_for(user, name="schemathesis")
        self.failures: dict[tuple[str, str], str] = {}
        self.statuses: Counter[tuple[str, int]] = Counter()

    def send(self, case: Any) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            response = case.call(session=self.app.test_client(), headers=headers)
        except Exception as exc:  # noqa: BLE001 - the app raised: a 500 in production
            self.statuses[(case.operation.label, 500)] += 1
            self._keep(case, exc)
            return
        self.statuses[(case.operation.label, response.status_code)] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - a FailureGroup is no Exception
            self._keep(case, exc)
        sent = response.request.headers.get("Authorization")
        if response.status_code == 401 and sent == headers["Authorization"]:
            settle()  # our own token was refused: an operation revoked it
            self.token = token_for(self.user, name="schemathesis again")
            settle()

    def _keep(self, case: Any, exc: BaseException) -> None:
        found = exc.exceptions if isinstance(exc, BaseExceptionGroup) else (exc,)
        for failure in found:
            title = (failure.title if isinstance(failure, Failure)
                     else f"Server error: {type(failure).__name__}")
            key = (case.operation.label, title)
            if key not in self.failures:
                message = failure.message if isinstance(failure, Failure) else str(failure)
                self.failures[key] = (f"{case.operation.label} — {title}\n    {message[:600]}"
                                      f"\n    {case.as_curl_command()}")


def _known_ids(w: dict[str, Any], r: dict[str, Any]) -> dict[str, int]:
    """Path parameter names -> ids of seeded records a token of Police A or Crisis A reaches."""
    ids = {f"{name}_id": r[name].id for name in ("case", "participant", "note", "assessment",
                                                  "referral")}
    ids.update(agency_id=w["police"].id, user_id=w["officer"].id)
    return ids


def _strategy(operation: Any, known: dict[str, int]) -> Any:
    names = {p.name for p in operation.path_parameters}
    fixed = {name: known[name] for name in names if name in known}
    options = [operation.as_strategy(GenerationMode.POSITIVE)]
    if fixed:
        options.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=fixed))
    if names or operation.query or operation.body:
        options.append(operation.as_strategy(GenerationMode.NEGATIVE))
    return st.one_of(options)


def _integers(schema: Any, operation: Any) -> list[tuple[str, str]]:
    """(``path``/``query``, name) of the operation's integer parameters."""
    spec = schema.raw_schema["paths"][operation.path][operation.method.lower()]
    found = []
    for param in spec.get("parameters", []):
        kinds = [param["schema"], *param["schema"].get("anyOf", [])]
        if param["in"] in ("path", "query") and any(k.get("type") == "integer" for k in kinds):
            found.append((param["in"], param["name"]))
    return found


def _probes(schema: Any, operation: Any) -> list[Any]:
    """One case per integer parameter holding a number beyond any database column (2**63):
    fuzzing finds those only by luck, and an unbounded one is a 500 (an integer overflow)."""
    probes = []
    for where, name in _integers(schema, operation):
        fixed = {"path_parameters" if where == "path" else "query": {name: TOO_BIG}}
        probes.append(operation.as_strategy(GenerationMode.POSITIVE, **fixed))
    return probes


def _run(strategy: Any, caller: Caller, key: str, examples: int) -> None:
    @seed(zlib.crc32(key.encode()))
    @settings(SETTINGS, max_examples=examples)
    @given(case=strategy)
    def run(case: Any) -> None:
        caller.send(case)

    run()


def _walk(schema: Any, caller: Caller, known: dict[str, int], role: str) -> list[str]:
    """Run every operation's examples; returns what could not even be generated."""
    unusable = []
    for result in schema.get_all_operations():
        operation = result.ok()
        key = f"{role} {operation.label}"
        try:
            _run(_strategy(operation, known), caller, key, MAX_EXAMPLES)
            for index, probe in enumerate(_probes(schema, operation)):
                _run(probe, caller, f"{key} {index}", 1)
        except Exception as exc:  # noqa: BLE001 - an operation whose inputs cannot be generated
            unusable.append(f"{operation.label}: {type(exc).__name__}: {exc}"[:400])
    return unusable


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_keeps_its_document(app, world, api_records, role):
    """Police A's officer (the sender), Crisis A's officer (the receiver), the coordinator."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    caller = Caller(app, world[role])
    known = _known_ids(world, api_records)
    settle()
    unusable = _walk(schema, caller, known, role)
    print(f"\n{role}: answers per operation and status", *sorted(caller.statuses.items()),
          sep="\n  ")
    assert any(200 <= status < 300 for _op, status in caller.statuses), "no call succeeded"
    problems = [*caller.failures.values(), *unusable]
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
