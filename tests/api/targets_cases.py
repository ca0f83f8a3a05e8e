"""Cross-agency targets of the case API's id routes (tests/test_cross_agency_404.py): records of
Police A, each with a valid body, so that an outsider's 404 is about the record, not the body."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.cases import factories as cf
from tests.test_cross_agency_404 import Target


def _target(values: dict[str, Any], json: Any = None) -> Target:
    return Target(values, json=json)


def _case(w: dict[str, Any], r: dict[str, Any]) -> Target:
    return _target({"case_id": r["case"].id}, {"address": "Flat 2", "status": "monitoring"})


def _people(w: dict[str, Any], r: dict[str, Any]) -> Target:
    return _target({"case_id": r["case"].id}, {
        "surname": "Walkova", "given_name": "Asel", "role": "witness", "confirmed_new": True})


def _person(w: dict[str, Any], r: dict[str, Any]) -> Target:
    return _target({"participant_id": r["participant"].id}, {"phone": "+7 700 000 0000"})


def _incidents(w: dict[str, Any], r: dict[str, Any]) -> Target:
    when = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    return _target({"case_id": r["case"].id}, {
        "occurred_at": when, "reported_by": "police_call", "physical": True})


def _assessments(w: dict[str, Any], r: dict[str, Any]) -> Target:
    answers = {code: {"answer": a.value} for code, a in cf.answers(2).items()}
    return _target({"case_id": r["case"].id}, {"answers": answers})


def _assessment(w: dict[str, Any], r: dict[str, Any]) -> Target:
    return _target({"assessment_id": r["assessment"].id})


TARGETS: dict[str, Callable[[dict, dict], Target]] = {
    "api.get_case": _case,
    "api.update_case": _case,
    "api.list_people": _people,
    "api.add_person": _people,
    "api.get_person": _person,
    "api.update_person": _person,
    "api.list_incidents": _incidents,
    "api.record_incident": _incidents,
    "api.list_assessments": _assessments,
    "api.create_assessment": _assessments,
    "api.get_assessment": _assessment,
}
