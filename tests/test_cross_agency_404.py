"""Every route that takes an id answers 404 to users of other agencies (ASVS 8.2.2).

The test walks ``app.url_map``: each rule with a parameter (any converter) must have a target
below, built from records owned by agency A ("Police A", KZ-75), or from a domain's own
``tests/<domain>/cross_agency.py`` (a ``TARGETS`` dict of the same shape, which overrides the
entries here). A route with no target fails the test: a new route needs a policy before it ships.

Each route is requested with every method it accepts (POST with an empty form; CSRF is off in
tests) by each outsider; API routes (endpoint ``api.*``) with the outsider's API token, the
target's ``json`` as the body and no session cookie. The outsiders are: an officer and a
manager of a police unit in another region, an officer of another agency in the same region,
a coordinator of another region, and an administrator. ``exempt`` names outsiders for whom
another answer is the policy, with the reason.
Where a route has a GET, an insider of agency A must not get 404 (the target is real).
API routes without an id parameter are not walked, as pages without one are not.
"""

from __future__ import annotations

import importlib
import importlib.util
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from referral.access.permissions import Role
from referral.extensions import db
from tests.api.helpers import token_for
from tests.fixtures import actor, fresh, login, make_agency, make_user


@dataclass
class Target:
    values: dict[str, Any]
    insider: str | None = "officer"  # a world key whose GET must not be 404
    exempt: dict[str, str] = field(default_factory=dict)  # outsider -> why not 404
    # API routes: a valid JSON body for the call, so that a 404 is about the record, not the body.
    json: Any = None


OUTSIDERS = ("other", "other_manager", "crisis", "other_coordinator", "admin")
ADMIN_MANAGES_ALL = {"admin": "administrators manage every agency's users and agencies"}


def _records(w: dict[str, Any]) -> dict[str, Any]:
    """Records owned by Police A: a case with its children, a referral, a conference."""
    from referral.access.scope import acting_as, system_actor
    from referral.cases import access_requests, incidents, measures, notes, risk
    from referral.events.service import emit
    from tests.cases import factories as cf

    police = actor(w["officer"])
    case, members = cf.family_case(police)
    out: dict[str, Any] = {"case": case, "participant": members["survivor"]}
    out["note"] = notes.add_note(police, case.id, "note")
    out["assessment"] = risk.record_assessment(police, case.id, cf.answers(3))
    out["measure"] = measures.issue_measure(police, case.id, measures.MeasureInput(
        measure_type="protective_order", starts_on=datetime.now(UTC).date()))
    incidents.record_incident(police, case.id, cf.incident_input())
    # an access request to Police A from a third agency (KZ-71), pending
    third = make_agency("police", "KZ-71", name="Police C")
    third_user = make_user(third, Role.OFFICER)
    third_case = cf.open_case(actor(third_user), "KZ-71")
    [out["access_request"]] = access_requests.request_access(
        actor(third_user), from_case_id=third_case.id, agency_id=w["police"].id,
        person=cf.OFFENDER, reason="r")
    # a referral from Police A to a health agency of the region (not an outsider's agency)
    health = make_agency("health", "KZ-75", name="Health A", services=("medical",))
    with acting_as(system_actor("test setup")):
        from tests.coordination import factories as co

        out["referral"] = co.make_referral(case, w["officer"], health)
        out.update(_conference(w, case))
        event = emit("case.opened", subject_type="case", subject_id=case.id)
        out.update(_notification(w, event))
    return out


def _conference(w: dict[str, Any], case: Any) -> dict[str, Any]:
    from referral.coordination.models import (
        AgendaItem,
        CaseConference,
        ConferenceAction,
        ConferenceAttendance,
    )

    conference = CaseConference(region_code="KZ-75", scheduled_at=datetime.now(UTC)
                                + timedelta(days=3), created_by_id=w["coordinator"].id)
    db.session.add(conference)
    db.session.flush()
    db.session.add(ConferenceAttendance(conference_id=conference.id, agency_id=w["police"].id,
                                        attended=True))
    item = AgendaItem(conference_id=conference.id, case_id=case.id,
                      case_reference=case.reference, reason="high_risk",
                      added_by_id=w["coordinator"].id)
    db.session.add(item)
    db.session.flush()
    action = ConferenceAction(conference_id=conference.id, agenda_item_id=item.id,
                              case_id=case.id, case_reference=case.reference,
                              region_code="KZ-75", agency_id=w["police"].id,
                              description="Visit", due_on=datetime.now(UTC).date(),
                              created_by_id=w["coordinator"].id)
    db.session.add(action)
    db.session.flush()
    return {"conference": conference, "agenda_item": item, "action": action}


def _notification(w: dict[str, Any], event: Any) -> dict[str, Any]:
    from referral.notifications.models import Delivery, Notification

    notification = Notification(event_id=event.id, user_id=w["officer"].id, kind=event.kind,
                                subject_type="case", subject_id=event.subject_id)
    delivery = Delivery(event_id=event.id, recipient="user", user_id=w["officer"].id,
                        status="failed")
    db.session.add_all([notification, delivery])
    db.session.flush()
    return {"notification": notification, "delivery": delivery}


def _invitation_token(w: dict[str, Any]) -> str:
    return uuid.uuid4().hex  # any token: an unknown one must not reveal anything either


def targets(w: dict[str, Any], r: dict[str, Any]) -> dict[str, Target]:
    case, part = {"case_id": r["case"].id}, {"participant_id": r["participant"].id}
    t: dict[str, Target] = {
        # foundation
        "accounts.accept_invitation": Target(
            {"token": _invitation_token(w)}, insider=None,
            exempt={o: "an invitation is a bearer secret; an unknown one shows the same "
                    "'invalid invitation' page to everyone" for o in OUTSIDERS}),
        "admin.edit_user": Target({"user_id": w["officer"].id}, insider="manager",
                                  exempt=ADMIN_MANAGES_ALL),
        "admin.reset_password": Target({"user_id": w["officer"].id}, insider=None,
                                       exempt=ADMIN_MANAGES_ALL),
        "admin.set_active": Target({"user_id": w["officer"].id, "active": 0}, insider=None,
                                   exempt=ADMIN_MANAGES_ALL),
        "agencies.edit": Target({"agency_id": w["police"].id}, insider=None,
                                exempt=ADMIN_MANAGES_ALL),
        "agencies.set_active": Target({"agency_id": w["police"].id, "active": 0}, insider=None,
                                      exempt=ADMIN_MANAGES_ALL),
        # cases
        "cases.detail": Target(case),
        "cases.edit": Target(case),
        "cases.change_status": Target(case),
        "cases.restriction": Target(case),
        "cases.add_person": Target(case),
        "cases.request_access": Target(case),
        "cases.new_incident": Target(case),
        "cases.new_assessment": Target(case),
        "cases.new_measure": Target(case),
        "cases.add_note": Target(case),
        "cases.edit_person": Target(part),
        "cases.safe_contact": Target(part),
        "cases.assessment": Target({"assessment_id": r["assessment"].id}),
        "cases.record_breach": Target({"measure_id": r["measure"].id}),
        "cases.revoke_measure": Target({"measure_id": r["measure"].id}),
        "cases.edit_note": Target({"note_id": r["note"].id}),
        "cases.decide_access": Target({"request_id": r["access_request"].id}, insider=None),
        # notifications
        "notifications.mark_read": Target({"notification_id": r["notification"].id},
                                          insider=None),
        "notifications.open_notification": Target({"notification_id": r["notification"].id},
                                                  insider=None),
        "notifications.retry_delivery": Target(
            {"delivery_id": r["delivery"].id}, insider=None,
            exempt={"admin": "administrators run system health for every agency"}),
    }
    ref = {"referral_id": r["referral"].id}
    for name in ("accept", "cancel", "complete", "decline", "escalate", "extend", "fail", "hold",
                 "programme", "reassign", "record_consent", "start", "withdraw_consent"):
        t[f"referrals.{name}"] = Target(ref, insider=None)
    t["referrals.detail"] = Target(ref)
    conf = {"conference_id": r["conference"].id}
    for name in ("add_agenda", "attendance", "held"):
        t[f"coordination.{name}"] = Target(conf, insider=None)
    t["coordination.conference"] = Target(conf, insider="coordinator")
    t["coordination.minutes"] = Target(conf, insider="coordinator")
    item = {"item_id": r["agenda_item"].id}
    for name in ("new_action", "remove_item", "summary"):
        t[f"coordination.{name}"] = Target(item, insider=None)
    t["coordination.complete_action"] = Target({"action_id": r["action"].id}, insider=None)
    t["coordination.add_to_conference"] = Target(case, insider=None)
    for name in ("escalate", "extend", "reassign"):
        t[f"coordination.{name}"] = Target(ref, insider="coordinator")
    return t


def _domain_targets(w: dict[str, Any], r: dict[str, Any]) -> dict[str, Target]:
    """Targets a domain keeps beside its own tests (tests/<domain>/cross_agency.py)."""
    found: dict[str, Target] = {}
    for path in sorted(Path(__file__).parent.glob("*/cross_agency.py")):
        module = importlib.import_module(f"tests.{path.parent.name}.cross_agency")
        provided: dict[str, Callable[[dict, dict], Target] | Target] = module.TARGETS
        for endpoint, value in provided.items():
            found[endpoint] = value(w, r) if callable(value) else value
    return found


@pytest.fixture
def outsiders(world: dict[str, Any]) -> dict[str, Any]:
    extra = {
        "other_manager": make_user(world["other_agency"], Role.AGENCY_MANAGER),
        "other_coordinator": make_user(world["other_agency"], Role.COORDINATOR,
                                       regions=("KZ-43",)),
    }
    db.session.commit()
    return {**world, **extra}


def _is_api(rule: Any) -> bool:
    return rule.endpoint.startswith("api.")


def _tokens(w: dict[str, Any], who: tuple[str, ...]) -> dict[str, str]:
    """One API token per user named (minted and committed), as an integrator would hold."""
    return {name: token_for(w[name], name=f"walk {name}") for name in who}


def _call(client: Any, rule: Any, url: str, method: str, target: Target,
          token: str | None) -> Any:
    """A page with the session's cookie; an API route with the token alone, a valid body."""
    if _is_api(rule):
        body = {} if method == "GET" else {"json": target.json}
        return client.open(url, method=method, headers={"Authorization": f"Bearer {token}"},
                           **body)
    return client.open(url, method=method, data={})


def _id_rules(app: Any) -> list[Any]:
    return sorted((r for r in app.url_map.iter_rules() if r.arguments and r.endpoint != "static"),
                  key=lambda r: r.endpoint)


def test_every_id_route_answers_404_to_other_agencies(app, outsiders):
    w = outsiders
    records = _records(w)
    plan = {**targets(w, records), **_domain_targets(w, records)}
    db.session.commit()
    rules = _id_rules(app)
    missing = [r.endpoint for r in rules if r.endpoint not in plan]
    assert not missing, f"routes with an id but no cross-agency policy here: {missing}"
    failures: list[str] = []
    with app.test_request_context():
        from flask import url_for

        urls = {r.endpoint: url_for(r.endpoint, **plan[r.endpoint].values) for r in rules}
    tokens = _tokens(w, OUTSIDERS)
    for who in OUTSIDERS:
        client, api_client = app.test_client(), app.test_client()  # the API's: no cookie
        assert login(client, w[who]).status_code == 302
        for rule in rules:
            target = plan[rule.endpoint]
            if who in target.exempt:
                continue
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = _call(api_client if _is_api(rule) else client, rule,
                                 urls[rule.endpoint], method, target, tokens[who])
                if response.status_code != 404:
                    failures.append(f"{who} {method} {rule.endpoint}: {response.status_code}")
    fresh()
    assert not failures, "\n".join(failures)


def test_the_targets_point_at_real_records(app, outsiders):
    """An insider of agency A gets the page: the 404s above are not from a wrong id."""
    w = outsiders
    records = _records(w)
    plan = {**targets(w, records), **_domain_targets(w, records)}
    db.session.commit()
    with app.test_request_context():
        from flask import url_for

        urls = {r.endpoint: url_for(r.endpoint, **plan[r.endpoint].values)
                for r in _id_rules(app) if r.endpoint in plan}
    failures = []
    tokens = _tokens(w, tuple(sorted({t.insider for t in plan.values() if t.insider})))
    for rule in _id_rules(app):
        target = plan.get(rule.endpoint)
        if target is None or target.insider is None or "GET" not in rule.methods:
            continue
        client = app.test_client()
        if _is_api(rule):
            status = client.get(urls[rule.endpoint],
                                headers={"Authorization": f"Bearer {tokens[target.insider]}"}
                                ).status_code
        else:
            login(client, w[target.insider])
            status = client.get(urls[rule.endpoint]).status_code
        if status == 404:
            failures.append(f"{target.insider} GET {rule.endpoint}: 404")
    assert not failures, "\n".join(failures)
