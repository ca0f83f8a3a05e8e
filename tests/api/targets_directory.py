"""Cross-agency targets of the HSDS directory and FHIR operations of the API (gathered by
tests/api/cross_agency.py for tests/test_cross_agency_404.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from referral.agencies.models import Agency
from referral.api import hsds_mapping as m
from referral.extensions import db
from tests.test_cross_agency_404 import OUTSIDERS, Target

# The directory is no agency's secret: every user who may read it reads every active agency
# (a crisis centre's address aside, which the location leaves out; tests/api/test_api_hsds.py).
PUBLIC = {o: "the HSDS directory is public to every user who may read the directory (as the "
             "directory page)" for o in OUTSIDERS}


def _directory(param: str, ident: Callable[[Any], str]) -> Callable[[dict, dict], Target]:
    """Police A's own record in the directory: real (the officer reads it), and read by all."""
    return lambda w, r: Target({param: ident(w["police"])}, exempt=dict(PUBLIC))


def _referral(w: dict[str, Any], r: dict[str, Any]) -> Target:
    return Target({"referral_id": r["referral"].id})


TARGETS: dict[str, Callable[[dict, dict], Target]] = {
    "api.fhir_task": _referral,
    "api.fhir_service_request": _referral,
    "api.hsds_organization": _directory("organization_id", m.organization_id),
    "api.hsds_location": _directory("location_id", m.location_id),
}


def _service(w: dict[str, Any], r: dict[str, Any]) -> Target:
    """The service of the agency Police A referred to (Health A, "medical")."""
    health = db.session.get(Agency, r["referral"].receiver_agency_id)
    return Target({"service_id": m.service_id(health, "medical")}, exempt=dict(PUBLIC))


TARGETS["api.hsds_service"] = _service
