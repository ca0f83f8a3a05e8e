"""The moves on a referral through the API: accept, decline, start, a progress note, complete,
cancel. Each a POST naming the version it acts on (If-Match), answered with the referral and its
new ETag.

The order of every action: the referral is loaded through the scoped read first (an outsider
gets 404, never 428 or 412), then If-Match is checked against its version, then the same service
function as the page's form runs in one transaction (an illegal move: 409; a refused input: 422).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _

from referral.access.permissions import Permission
from referral.access.scope import Actor, current_actor
from referral.api.etag import check_if_match, expected_version
from referral.api.problems import Problem
from referral.api.schemas import referrals as s
from referral.api.spec import Reply, operation
from referral.api.views.referrals import TAG, referral_reply
from referral.referrals import progress, service
from referral.referrals.queries import load_referral
from referral.web.transaction import run_action

MOVE_ERRORS = (409, 412, 428)


def act(referral_id: int, call: Callable[[Actor], Any]) -> Reply:
    """Load (404 if not visible), check If-Match (428/412), then ``call`` in one transaction."""
    actor = current_actor()
    check_if_match(load_referral(referral_id).version)
    expected = expected_version()

    def action() -> Any:
        if load_referral(referral_id, fresh=True).version != expected:
            raise Problem(412, _("The record has changed"),
                          _("Someone else changed the record; read it again and retry."))
        return call(actor)

    run_action(action)
    return referral_reply(actor, load_referral(referral_id, fresh=True))


@operation("POST", "/referrals/<int:referral_id>/accept", summary="Accept a referral", tag=TAG,
           body=s.AcceptBody, response=s.Referral, permission=Permission.REFERRAL_RESPOND,
           if_match=True, errors=MOVE_ERRORS)
def accept_referral(referral_id: int, body: s.AcceptBody) -> Reply:
    """The receiving agency accepts (exactly one acceptance wins; a shelter takes a place)."""
    return act(referral_id, lambda actor: service.accept_referral(
        actor, referral_id=referral_id, assignee_user_id=body.assignee_user_id,
        overflow_reason=body.overflow_reason, text=body.note))


@operation("POST", "/referrals/<int:referral_id>/decline", summary="Decline a referral",
           tag=TAG, body=s.DeclineBody, response=s.Referral,
           permission=Permission.REFERRAL_RESPOND, if_match=True, errors=MOVE_ERRORS)
def decline_referral(referral_id: int, body: s.DeclineBody) -> Reply:
    """The receiving agency declines with a coded reason ("other" needs the note)."""
    return act(referral_id, lambda actor: service.decline_referral(
        actor, referral_id=referral_id, reason_code=str(body.reason_code), text=body.note))


@operation("POST", "/referrals/<int:referral_id>/start", summary="Start work on a referral",
           tag=TAG, body=s.NoteBody, response=s.Referral, permission=Permission.REFERRAL_RESPOND,
           if_match=True, errors=MOVE_ERRORS)
def start_referral(referral_id: int, body: s.NoteBody) -> Reply:
    """Start (or resume after a hold) the work on an accepted referral."""
    return act(referral_id, lambda actor: service.start_progress(
        actor, referral_id=referral_id, text=body.note))


@operation("POST", "/referrals/<int:referral_id>/progress-notes",
           summary="Add a progress note to a referral", tag=TAG, body=s.ProgressNoteBody,
           response=s.Referral, permission=Permission.CASE_READ, if_match=True,
           errors=MOVE_ERRORS)
def add_referral_progress_note(referral_id: int, body: s.ProgressNoteBody) -> Reply:
    """A dated, signed note on a live referral, by either agency; notes are never changed (a
    correction names the note it corrects)."""
    return act(referral_id, lambda actor: progress.add_progress_note(
        actor, referral_id=referral_id, text=body.text, corrects_id=body.corrects_id))


@operation("POST", "/referrals/<int:referral_id>/complete", summary="Complete a referral",
           tag=TAG, body=s.CompleteBody, response=s.Referral,
           permission=Permission.REFERRAL_RESPOND, if_match=True, errors=MOVE_ERRORS)
def complete_referral(referral_id: int, body: s.CompleteBody) -> Reply:
    """The receiving agency records the coded outcome; the sending agency reads it."""
    return act(referral_id, lambda actor: service.complete_referral(
        actor, referral_id=referral_id, outcome=str(body.outcome), text=body.note))


@operation("POST", "/referrals/<int:referral_id>/cancel", summary="Cancel a referral", tag=TAG,
           body=s.CancelBody, response=s.Referral, permission=Permission.REFERRAL_SEND,
           if_match=True, errors=MOVE_ERRORS)
def cancel_referral(referral_id: int, body: s.CancelBody) -> Reply:
    """The sending agency cancels with a coded reason ("other" needs the note)."""
    return act(referral_id, lambda actor: service.cancel_referral(
        actor, referral_id=referral_id, reason_code=str(body.reason_code), text=body.note))
