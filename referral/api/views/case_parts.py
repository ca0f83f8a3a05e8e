"""Incidents and risk assessments of a case through the API: read them, record new ones.

Recording goes through ``referral.cases.incidents.record_incident`` and
``referral.cases.risk.record_assessment``, as the pages do, so the case hooks fire (school
notices, re-assessment due, the high-risk flag) and the level is the service's, never the
caller's.
"""

from __future__ import annotations

from typing import Any

from flask import url_for

from referral.access.permissions import Permission
from referral.access.scope import Actor, current_actor
from referral.api.schemas.case_parts import (
    AssessmentCreate,
    AssessmentList,
    AssessmentOut,
    AssessmentSummary,
    IncidentCreate,
    IncidentList,
    IncidentOut,
    InstrumentOut,
)
from referral.api.spec import Reply, operation
from referral.api.views.cases import committed
from referral.cases import incidents, risk
from referral.cases import service as cases
from referral.cases.scope import visible_categories
from referral.errors import NotVisible
from referral.web.transaction import run_action


def readable_case(actor: Actor, case_id: int, category: str) -> Any:
    """The case (its read audited), when the caller reads ``category`` of it: the page shows
    that section only then; else 404."""
    case = cases.get_case_for(actor, case_id)
    if category not in visible_categories(actor, case):
        raise NotVisible("case", case_id)
    return case


# --- incidents -----------------------------------------------------------------------------------


@operation("GET", "/cases/<int:case_id>/incidents", summary="The incidents of a case",
           tag="incidents", response=IncidentList, permission=Permission.CASE_READ)
def list_incidents(case_id: int) -> IncidentList:
    """Newest first, as the case page shows them (404 without the incident details)."""
    actor = current_actor()
    case = readable_case(actor, case_id, "incident_details")
    rows = incidents.list_incidents(actor, case.id)
    return committed(lambda: IncidentList(items=[IncidentOut.of(i) for i in rows]))


@operation("POST", "/cases/<int:case_id>/incidents", summary="Record an incident",
           tag="incidents", body=IncidentCreate, response=IncidentOut, status=201,
           permission=Permission.CASE_WRITE, idempotent=True, errors=(403,))
def record_incident(case_id: int, body: IncidentCreate) -> Reply:
    """Record an incident as the incident form does: classified by the service, marked repeat
    when the same person had another within 12 months, and the case's hooks run."""
    actor = current_actor()
    cases.writable_case(actor, case_id, "incident_details")
    data = body.input()
    incident = run_action(lambda: incidents.record_incident(actor, case_id, data))
    return Reply(IncidentOut.of(incident), status=201, headers={
        "Location": url_for("api.list_incidents", case_id=case_id)})


# --- risk assessments ----------------------------------------------------------------------------


@operation("GET", "/risk-instrument", summary="The risk questions", tag="assessments",
           response=InstrumentOut, permission=Permission.CASE_READ)
def risk_instrument() -> InstrumentOut:
    """The current instrument: the question codes a new assessment answers, in the caller's
    language, and the thresholds the level is computed with."""
    return InstrumentOut.current()


@operation("GET", "/cases/<int:case_id>/assessments", summary="The risk assessments of a case",
           tag="assessments", response=AssessmentList, permission=Permission.CASE_READ)
def list_assessments(case_id: int) -> AssessmentList:
    """Newest first, as the case page lists them (404 without the risk assessments)."""
    actor = current_actor()
    case = readable_case(actor, case_id, "risk_assessment")
    rows = risk.list_assessments(actor, case.id)
    return committed(lambda: AssessmentList(items=[AssessmentSummary.of(a) for a in rows]))


@operation("GET", "/assessments/<int:assessment_id>", summary="A risk assessment",
           tag="assessments", response=AssessmentOut, permission=Permission.CASE_READ)
def get_assessment(assessment_id: int) -> AssessmentOut:
    """The questions asked, the answers and why the level is what it is, as its page shows."""
    actor = current_actor()
    found = risk.get_assessment_for(actor, assessment_id)
    cases.get_case_for(actor, found.case_id)  # the page's own read of the case, audited
    return committed(lambda: AssessmentOut.build(found))


@operation("POST", "/cases/<int:case_id>/assessments", summary="Assess the risk", tag="assessments",
           body=AssessmentCreate, response=AssessmentOut, status=201,
           permission=Permission.CASE_WRITE, idempotent=True, errors=(403,))
def create_assessment(case_id: int, body: AssessmentCreate) -> Reply:
    """Answer the current instrument's questions; the service computes the level (a high one
    flags the case for the coordinator), as the risk form does."""
    actor = current_actor()
    cases.writable_case(actor, case_id, "risk_assessment")
    answers = body.answer_map()
    saved = run_action(lambda: risk.record_assessment(
        actor, case_id, answers, override_level=body.override_level,
        override_reason=body.override_reason,
        survivor_participant_id=body.survivor_participant_id))
    return Reply(AssessmentOut.build(saved), status=201, headers={
        "Location": url_for("api.get_assessment", assessment_id=saved.id)})
