"""The referral lifecycle in one table: which move goes from which states to which, and who may.

The service applies a move with a conditional ``UPDATE … WHERE status IN (from)``; nothing else
changes ``Referral.status``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from referral.errors import IllegalTransition


class Status(enum.StrEnum):
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    COMPLETED = "completed"
    FAILED = "failed"
    # Sent by mistake (FHIR's entered-in-error): terminal, and counted in no figure.
    ENTERED_IN_ERROR = "entered_in_error"


STATUS_LABELS = {
    Status.SENT: _l("Awaiting answer"),
    Status.ACCEPTED: _l("Accepted"),
    Status.DECLINED: _l("Declined"),
    Status.CANCELLED: _l("Cancelled"),
    Status.EXPIRED: _l("Expired"),
    Status.IN_PROGRESS: _l("In progress"),
    Status.ON_HOLD: _l("On hold"),
    Status.COMPLETED: _l("Completed"),
    Status.FAILED: _l("Failed"),
    Status.ENTERED_IN_ERROR: _l("Entered in error"),
}

# States in which the receiving agency works with the case (and so sees it, within consent).
SHARED_STATES = frozenset({Status.ACCEPTED, Status.IN_PROGRESS, Status.ON_HOLD, Status.COMPLETED})
OPEN_STATES = frozenset({Status.SENT, Status.ACCEPTED, Status.IN_PROGRESS, Status.ON_HOLD})
CLOSED_STATES = frozenset(set(Status) - OPEN_STATES)
# A referral that ended without help offers "refer elsewhere".
REFER_ELSEWHERE_FROM = frozenset({Status.DECLINED, Status.EXPIRED, Status.FAILED})
# A coordinator's reassignment of a referral the agency refused or let expire sends a new
# referral, linked to this one, which keeps its status (FHIR: rejected is terminal), so that the
# agency's declines and expiries stay counted; an unanswered one ("sent") is redirected as is.
REASSIGN_AS_NEW_FROM = frozenset({Status.DECLINED, Status.EXPIRED})
# Referrals no figure counts (performance, month figures, coverage, exports): never meant.
UNCOUNTED_STATES = frozenset({Status.ENTERED_IN_ERROR})


class Side(enum.StrEnum):
    SENDER = "sender"
    RECEIVER = "receiver"
    COORDINATOR = "coordinator"
    SYSTEM = "system"


class Action(enum.StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    CANCEL = "cancel"
    EXPIRE = "expire"
    START = "start"
    HOLD = "hold"
    COMPLETE = "complete"
    FAIL = "fail"
    REASSIGN = "reassign"
    EXTEND = "extend_deadline"
    ESCALATE = "escalate"
    WITHDRAW_CONSENT = "withdraw_consent"
    RECORD_CONSENT = "record_consent"
    PROGRAMME = "programme"
    ENTER_IN_ERROR = "enter_in_error"


# The moves that give a sent referral a fresh answer window (a new ``deadline_at`` counted from
# the move): its reminders (notify.py) measure the window from the last of them, else from
# ``sent_at``.
WINDOW_RESTARTS = (Action.REASSIGN, Action.EXTEND)


@dataclass(frozen=True)
class Move:
    sources: frozenset[Status]
    target: Status | None  # None: the status stays as it is
    sides: frozenset[Side]
    event: str  # outbox kind suffix: "referral.<event>"


def _m(sources: set[Status], target: Status | None, sides: set[Side], event: str) -> Move:
    return Move(frozenset(sources), target, frozenset(sides), event)


S = Status
TRANSITIONS: dict[Action, Move] = {
    Action.ACCEPT: _m({S.SENT}, S.ACCEPTED, {Side.RECEIVER}, "accepted"),
    Action.DECLINE: _m({S.SENT}, S.DECLINED, {Side.RECEIVER}, "declined"),
    Action.CANCEL: _m({S.SENT, S.ACCEPTED, S.IN_PROGRESS, S.ON_HOLD}, S.CANCELLED,
                      {Side.SENDER}, "cancelled"),
    Action.EXPIRE: _m({S.SENT}, S.EXPIRED, {Side.SYSTEM}, "expired"),
    Action.START: _m({S.ACCEPTED, S.ON_HOLD}, S.IN_PROGRESS, {Side.RECEIVER}, "in_progress"),
    Action.HOLD: _m({S.ACCEPTED, S.IN_PROGRESS}, S.ON_HOLD, {Side.RECEIVER}, "on_hold"),
    Action.COMPLETE: _m({S.IN_PROGRESS}, S.COMPLETED, {Side.RECEIVER}, "completed"),
    Action.FAIL: _m({S.ACCEPTED, S.IN_PROGRESS, S.ON_HOLD}, S.FAILED, {Side.RECEIVER}, "failed"),
    # Coordinators redirect a referral nobody has taken up. Its status stays: an unanswered one
    # is redirected as it is (still "sent"); a declined or expired one stays so, and a new
    # referral, "sent" to the new agency, replaces it (REASSIGN_AS_NEW_FROM).
    Action.REASSIGN: _m({S.SENT, S.EXPIRED, S.DECLINED}, None, {Side.COORDINATOR},
                        "reassigned"),
    Action.EXTEND: _m({S.SENT, S.EXPIRED}, S.SENT, {Side.COORDINATOR}, "deadline_extended"),
    Action.ESCALATE: _m(set(OPEN_STATES) | {S.EXPIRED}, None, {Side.COORDINATOR}, "escalated"),
    Action.WITHDRAW_CONSENT: _m(set(Status), None, {Side.SENDER, Side.RECEIVER},
                                "consent_withdrawn"),
    # After a reassignment, or a withdrawal the survivor takes back: consent for the agency
    # that holds the referral now, recorded by the agency that sent it.
    Action.RECORD_CONSENT: _m({S.SENT, S.ACCEPTED, S.IN_PROGRESS, S.ON_HOLD}, None, {Side.SENDER},
                              "consent_recorded"),
    Action.PROGRAMME: _m({S.ACCEPTED, S.IN_PROGRESS}, S.IN_PROGRESS, {Side.RECEIVER},
                         "programme_progress"),
    # Sent by mistake (wrong case, wrong agency, a duplicate): the requester says so, with a
    # reason (FHIR: the requester marks a request entered-in-error). Not once it has ended: an
    # answer given (declined, completed …) stays in the receiving agency's figures.
    Action.ENTER_IN_ERROR: _m(set(OPEN_STATES), S.ENTERED_IN_ERROR, {Side.SENDER},
                              "entered_in_error"),
}

_ACTION_LABELS = {
    Action.ACCEPT: _l("accepted"),
    Action.DECLINE: _l("declined"),
    Action.CANCEL: _l("cancelled"),
    Action.EXPIRE: _l("expired"),
    Action.START: _l("started"),
    Action.HOLD: _l("put on hold"),
    Action.COMPLETE: _l("completed"),
    Action.FAIL: _l("closed as failed"),
    Action.REASSIGN: _l("reassigned"),
    Action.EXTEND: _l("given a new deadline"),
    Action.ESCALATE: _l("escalated"),
    Action.WITHDRAW_CONSENT: _l("changed (consent withdrawn)"),
    Action.RECORD_CONSENT: _l("given new consent"),
    Action.PROGRAMME: _l("updated with programme progress"),
    Action.ENTER_IN_ERROR: _l("marked as entered in error"),
}

_SIDE_MESSAGES = {
    Side.SENDER: _l("Only the sending agency can do this."),
    Side.RECEIVER: _l("Only the receiving agency can do this."),
    Side.COORDINATOR: _l("Only a coordinator of the region can do this."),
    Side.SYSTEM: _l("This happens automatically when the deadline passes."),
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(Status(status), status))


def check_move(action: Action, current: str, sides: set[Side]) -> Move:
    """The move for ``action`` from ``current`` by an actor on ``sides``, or IllegalTransition."""
    move = TRANSITIONS[action]
    if not (move.sides & sides):
        allowed = sorted(move.sides)[0]
        raise IllegalTransition(str(_SIDE_MESSAGES[Side(allowed)]))
    if Status(current) not in move.sources:
        raise IllegalTransition(
            _("This referral is %(status)s; it cannot be %(action)s.",
              status=status_label(current).lower(), action=_ACTION_LABELS[action])
        )
    return move


def allowed_actions(current: str, sides: set[Side]) -> set[Action]:
    """Moves the actor could make now (for showing buttons; the service checks again)."""
    return {
        action for action, move in TRANSITIONS.items()
        if move.sides & sides and Status(current) in move.sources
    }
