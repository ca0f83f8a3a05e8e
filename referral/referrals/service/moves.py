"""How every referral move is made: checked against the lifecycle table, applied by a
conditional ``UPDATE … WHERE status = <seen>`` checked by row count, then recorded (history,
timeline, audit, outbox event) in the same transaction. Callers commit (see
referral.web.transaction.run_action for the boundary).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import select, update

from referral.access.permissions import Permission, role_can
from referral.access.scope import Actor
from referral.accounts.models import User
from referral.agencies.models import Agency, AgencyService
from referral.errors import DomainError, IllegalTransition
from referral.extensions import db
from referral.models_base import utcnow
from referral.referrals.lifecycle import SHARED_STATES, Action, Side, check_move, status_label
from referral.referrals.models import Referral
from referral.referrals.queries import load_referral
from referral.referrals.recording import Move, record_moves


def sides_for(actor: Actor, referral: Referral) -> set[Side]:
    """The parts ``actor`` plays in ``referral``: what the lifecycle table lets them do."""
    sides: set[Side] = set()
    if actor.is_system:
        sides.add(Side.SYSTEM)
    if actor.agency_id == referral.sender_agency_id and role_can(actor.role,
                                                                  Permission.REFERRAL_SEND):
        sides.add(Side.SENDER)
    if actor.agency_id == referral.receiver_agency_id and role_can(actor.role,
                                                                    Permission.REFERRAL_RESPOND):
        sides.add(Side.RECEIVER)
    if role_can(actor.role, Permission.REFERRAL_COORDINATE):
        sides.add(Side.COORDINATOR)  # scope already limits them to their regions' referrals
    return sides


def conflict(referral_id: int, action: Action) -> IllegalTransition:
    """Someone else moved the referral first: say who and what, from a fresh read."""
    current = load_referral(referral_id, fresh=True)
    if action == Action.ACCEPT and current.status in SHARED_STATES and current.accepted_by_id:
        who = db.session.get(User, current.accepted_by_id)
        return IllegalTransition(_(
            "%(name)s already accepted this referral at %(time)s.",
            name=who.full_name if who else "?", time=format_datetime(current.accepted_at, "short")
        ))
    return IllegalTransition(_("Someone else changed this referral just now; it is now "
                               "%(status)s. Nothing was saved.",
                               status=status_label(current.status).lower()))


def apply_move(actor: Actor, referral_id: int, action: Action, *,
               values: dict[str, Any] | None = None, reason_code: str | None = None,
               note: str = "", now: datetime | None = None,
               extra_event: dict[str, Any] | None = None) -> Referral:
    """Check and make one move with a conditional UPDATE; record it everywhere."""
    now = now or utcnow()
    referral = load_referral(referral_id)
    seen = referral.status
    move = check_move(action, seen, sides_for(actor, referral))
    values = dict(values or {})
    if move.target is not None:
        values["status"] = move.target
    result = db.session.execute(
        update(Referral).where(Referral.id == referral_id, Referral.status == seen)
        .values(version=Referral.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise conflict(referral_id, action)
    referral = load_referral(referral_id, fresh=True)
    record_move(actor, referral, action.value, seen, referral.status, move.event, now=now,
                reason_code=reason_code, note=note, extra_event=extra_event)
    return referral


def record_move(actor: Actor, referral: Referral, action: str, from_status: str | None,
                to_status: str | None, event: str, *, now: datetime,
                reason_code: str | None = None, note: str = "",
                extra_event: dict[str, Any] | None = None) -> None:
    record_moves(actor, [Move(referral, action, from_status, to_status, event, reason_code,
                              note, dict(extra_event or {}))], now=now)


def check_coded(table: dict, code: str | None, text: str, field_name: str) -> None:
    """A coded reason from ``table``; "other" needs the words too."""
    if code not in table:
        raise DomainError(_("Choose a reason."), field=field_name)
    if code == "other" and not text.strip():
        raise DomainError(_("Explain the reason."), field="text")


def agency_offering(agency_id: int, service_code: str, field_name: str) -> Agency:
    """The active agency a referral may go to: one that offers the service."""
    agency = db.session.execute(
        select(Agency).where(Agency.id == agency_id, Agency.is_active.is_(True))
    ).scalar_one_or_none()
    if agency is None:
        raise DomainError(_("Choose an agency from the directory."), field=field_name)
    offered = db.session.execute(
        select(AgencyService).where(AgencyService.agency_id == agency_id,
                                    AgencyService.service_code == service_code)
    ).first()
    if offered is None:
        raise DomainError(_("This agency does not offer the chosen service."), field=field_name)
    return agency


def successor_of(referral_id: int) -> Referral | None:
    """The referral that replaced this one (a reassignment or a referral elsewhere), if any."""
    return db.session.execute(
        select(Referral).where(Referral.previous_referral_id == referral_id)
        .order_by(Referral.id).limit(1)
    ).scalar_one_or_none()


def claim_for_successor(referral: Referral) -> None:
    """Take the ended referral for one successor: a conditional UPDATE on its status and
    version (a second reassignment or referral elsewhere at the same moment waits for the row
    and then finds the version moved), then the check that none exists yet."""
    claimed = db.session.execute(
        update(Referral).where(Referral.id == referral.id, Referral.status == referral.status,
                               Referral.version == referral.version)
        .values(version=Referral.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise conflict(referral.id, Action.REASSIGN)
    found = successor_of(referral.id)
    if found is not None:
        raise IllegalTransition(_("This referral was already replaced by %(ref)s.",
                                  ref=found.reference))
