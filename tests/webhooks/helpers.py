"""Factories for the webhook tests: endpoints, a case full of personal data, referral moves."""

from __future__ import annotations

import json
from typing import Any

from referral.access.permissions import Role
from referral.extensions import db
from referral.referrals import service as referrals
from referral.webhooks import service
from referral.webhooks.catalogue import EVENT_TYPES
from tests.cases import factories as cf
from tests.fixtures import actor, make_user
from tests.referrals.factories import consent, send

REFERRAL_TYPES = [t for t in EVENT_TYPES if t.startswith("referral.")]
# Words that must never leave the app in a webhook body.
NOTE = "Zhanar hides at her sister's in Kosshy"
ADDRESS = "Dostyk street 77, flat 13, Astana"


def manager_of(agency: Any) -> Any:
    user = make_user(agency, Role.AGENCY_MANAGER)
    db.session.commit()
    return user


def endpoint_for(user: Any, url: str, types: list[str] | None = None) -> tuple[Any, str]:
    """An endpoint made through the service (as the pages do); (endpoint, secret)."""
    made = service.create_endpoint(actor(user), service.EndpointInput(
        url=url, description="partner", event_types=types or REFERRAL_TYPES))
    db.session.commit()
    return made


def sensitive_case(world: dict[str, Any]) -> tuple[Any, list[str]]:
    """A case with names, IINs, an address and a note; and the words to look for."""
    who = actor(world["officer"])
    case = cf.open_case(who, address=ADDRESS)
    cf.add_person(who, case, cf.SURVIVOR, "survivor", relationship_to_offender="former_spouse",
                  phone="+7 700 111 2233")
    cf.add_person(who, case, cf.OFFENDER, "alleged_offender", relationship_to_offender="self")
    from referral.cases import notes

    notes.add_note(who, case.id, NOTE)
    db.session.commit()
    words = [cf.SURVIVOR.surname, cf.SURVIVOR.given_name, cf.SURVIVOR.iin, cf.OFFENDER.iin,
             cf.OFFENDER.surname, ADDRESS, "Dostyk", NOTE, "Kosshy", "+7 700 111 2233"]
    return case, words


def send_and_accept(world: dict[str, Any], case: Any) -> Any:
    referral = send(world["officer"], case, world["crisis_agency"], consent_input=consent(),
                    reason=NOTE)
    db.session.commit()
    referrals.accept_referral(actor(world["crisis"]), referral_id=referral.id,
                              overflow_reason="the test overflows")
    db.session.commit()
    return referral


def bodies(receiver: Any) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in receiver.requests]


def run_due(**kwargs: Any) -> int:
    """What the beat and a worker do, here: the test's own read transaction ended first (on
    SQLite a transaction that read before a request wrote could not write)."""
    from referral.webhooks import jobs
    from tests.fixtures import fresh

    fresh()
    return jobs.run_due(**kwargs)
