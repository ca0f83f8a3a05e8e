"""Referrals through the API: send, the inbox and the outbox, one referral, its history and notes.

The same service functions as the referral pages (referral.referrals.service), run as the
token's actor, so the same scope, lifecycle, consent rules and audit rows apply. What a referral
shows is what its page shows the caller (``referral_resource``).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from flask import request, url_for
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from referral.access.permissions import Permission
from referral.access.scope import Actor, current_actor
from referral.api.auth import current_token
from referral.api.etag import etag_header
from referral.api.paging import Page, decode_cursor, encode_cursor, invalid_cursor
from referral.api.schemas import referrals as s
from referral.api.spec import Reply, operation
from referral.audit import service as audit
from referral.cases.models import Case
from referral.cases.scope import visible_categories
from referral.extensions import db
from referral.models_base import utcnow
from referral.referrals import progress, service
from referral.referrals.lifecycle import (
    OPEN_STATES,
    REFER_ELSEWHERE_FROM,
    SHARED_STATES,
    Action,
    Side,
    Status,
    allowed_actions,
    status_label,
)
from referral.referrals.models import Referral
from referral.referrals.templating import history_label
from referral.web.transaction import run_action

TAG = "referrals"


# --- what a referral shows ------------------------------------------------------------------


def _agency(agency: Any) -> s.AgencyRef:
    return s.AgencyRef(id=agency.id, name=agency.name)


def _consent(referral: Referral, consent: Any) -> s.ConsentOut | None:
    if consent is None:
        return None
    return s.ConsentOut(
        consented=consent.consented, categories=list(consent.categories or []),
        valid_until=consent.valid_until, withdrawn_at=consent.withdrawn_at,
        legal_ground=consent.legal_ground, legal_ground_text=consent.legal_ground_text or "",
        in_force=service.consent_in_force(consent, referral, utcnow()))


def _case_part(actor: Actor, referral: Referral, sides: set[Side]) -> tuple[int | None, list[str]]:
    """The case as the page links it, and the data categories of it the caller reads."""
    if not ({Side.SENDER, Side.COORDINATOR} & sides or referral.status in SHARED_STATES):
        return None, []
    case = db.session.execute(select(Case).where(Case.id == referral.case_id)).scalar_one_or_none()
    if case is None:
        return None, []
    return case.id, sorted(visible_categories(actor, case))


def referral_resource(actor: Actor, referral: Referral) -> s.Referral:
    """The referral as its page shows it to ``actor`` (the same decisions as the page's)."""
    sides = service.sides_for(actor, referral)
    successor = (service.successor_of(referral.id)
                 if referral.status in REFER_ELSEWHERE_FROM else None)
    actions = allowed_actions(referral.status, sides)
    if successor is not None:
        actions.discard(Action.REASSIGN)
    case_id, categories = _case_part(actor, referral, sides)
    r = referral
    return s.Referral(
        id=r.id, reference=r.reference, status=r.status, status_label=status_label(r.status),
        service=r.service_code, subject=r.subject, urgency=r.urgency, risk_level=r.risk_level,
        sender_agency=_agency(r.sender_agency), receiver_agency=_agency(r.receiver_agency),
        case_id=case_id, case_categories=categories, reason=r.reason,
        need_to_know=r.need_to_know, sent_at=r.sent_at, deadline_at=r.deadline_at,
        received_at=r.received_at, accepted_at=r.accepted_at,
        assignee_user_id=r.assignee_user_id, review_at=r.review_at, closed_at=r.closed_at,
        escalated_at=r.escalated_at,
        closing=s.Closing(outcome=r.outcome, outcome_text=r.outcome_text or "",
                          decline_reason=r.decline_reason, decline_text=r.decline_text or "",
                          status_reason=r.status_reason, status_text=r.status_text or ""),
        consent=_consent(r, service.get_consent_for(actor, r.id)),
        previous_referral_id=r.previous_referral_id,
        successor_id=successor.id if successor else None,
        sides=sorted(str(side) for side in sides),
        allowed_actions=sorted(actions), version=r.version)


def referral_reply(actor: Actor, referral: Referral, status: int = 200,
                   headers: dict[str, str] | None = None) -> Reply:
    """The referral with its ETag (the version an update must name in If-Match)."""
    return Reply(referral_resource(actor, referral), status=status,
                 headers={**etag_header(referral.version), **(headers or {})})


# --- sending --------------------------------------------------------------------------------


def _idempotency_key() -> str:
    """The service's key for a send: the caller's Idempotency-Key, bound to the token (the
    column is per user, and one user may hold several tokens), else a fresh one."""
    given = request.headers.get("Idempotency-Key", "").strip()
    if not given:
        return "api-" + secrets.token_urlsafe(24)
    digest = hashlib.sha256(f"{current_token().id}:{given}".encode()).hexdigest()
    return "api-" + digest[:56]


def _referral_input(body: s.SendReferral) -> service.ReferralInput:
    if body.consent is not None:
        consent = service.ConsentInput(
            consented=True, categories=tuple(str(c) for c in body.consent.categories),
            valid_until=body.consent.valid_until)
    else:
        ground = body.legal_ground
        assert ground is not None  # the model requires one of the two
        consent = service.ConsentInput(consented=False, legal_ground=str(ground.code),
                                       legal_ground_text=ground.explanation)
    return service.ReferralInput(
        case_id=body.case_id, receiver_agency_id=body.receiver_agency_id,
        service_code=str(body.service), urgency=str(body.urgency) if body.urgency else None,
        reason=body.reason, need_to_know=body.need_to_know,
        subject_participant_id=body.subject_participant_id,
        idempotency_key=_idempotency_key(), previous_referral_id=body.previous_referral_id,
        consent=consent)


def _send(actor: Actor, data: service.ReferralInput) -> Referral:
    service.load_case_for_sending(actor, data.case_id)  # the form's audited read of the case
    return service.send_referral(actor, data=data)


@operation("POST", "/referrals", summary="Send a referral", tag=TAG, body=s.SendReferral,
           response=s.Referral, status=201, permission=Permission.REFERRAL_SEND,
           idempotent=True, errors=(403, 409))
def send_referral(body: s.SendReferral) -> Reply:
    """Send a referral from a case, with the survivor's consent (the data categories the
    receiving agency may read) or, without it, a legal ground. As the web's send form: the same
    checks, the same audit; the same Idempotency-Key sent again gives the same referral."""
    actor = current_actor()
    referral = run_action(lambda: _send(actor, _referral_input(body)))
    location = url_for("api.get_referral", referral_id=referral.id)
    return referral_reply(actor, referral, 201, {"Location": location})


# --- the inbox and the outbox ---------------------------------------------------------------


def _position(cursor: str | None) -> tuple[datetime, int] | None:
    found = decode_cursor(cursor)
    if found is None:
        return None
    try:
        sent, last = datetime.fromisoformat(found["s"]), int(found["i"])
    except (KeyError, TypeError, ValueError):
        sent = None
    if sent is None or sent.tzinfo is None:
        raise invalid_cursor()
    return sent, last


def _filtered(stmt: Any, query: s.ReferralListQuery, other: Any, default: Any) -> Any:
    statuses = [str(v) for v in query.status] if query.status else default
    if statuses:
        stmt = stmt.where(Referral.status.in_(sorted(statuses)))
    if query.overdue is not None:
        overdue = and_(Referral.status == Status.SENT, Referral.deadline_at <= utcnow())
        stmt = stmt.where(overdue if query.overdue else ~overdue)
    if query.service:
        stmt = stmt.where(Referral.service_code == str(query.service))
    if query.urgency:
        stmt = stmt.where(Referral.urgency == str(query.urgency))
    if query.agency_id:
        stmt = stmt.where(other == query.agency_id)
    return stmt


def _summary(r: Referral, now: datetime) -> s.ReferralSummary:
    return s.ReferralSummary(
        id=r.id, reference=r.reference, status=r.status, status_label=status_label(r.status),
        service=r.service_code, urgency=r.urgency, sender_agency=_agency(r.sender_agency),
        receiver_agency=_agency(r.receiver_agency), sent_at=r.sent_at, deadline_at=r.deadline_at,
        overdue=r.status == Status.SENT and r.deadline_at <= now, received_at=r.received_at,
        closed_at=r.closed_at, version=r.version)


def _page(actor: Actor, query: s.ReferralListQuery, name: str) -> Page[s.ReferralSummary]:
    """Newest first by (sent_at, id): a referral sent while a client pages lands before the
    first page, so the pages after it neither repeat nor skip a line."""
    inbox = name == "inbox"
    mine, other = ((Referral.receiver_agency_id, Referral.sender_agency_id) if inbox
                   else (Referral.sender_agency_id, Referral.receiver_agency_id))
    stmt = (select(Referral).options(joinedload(Referral.sender_agency),
                                     joinedload(Referral.receiver_agency))
            .where(mine == actor.agency_id)
            .order_by(Referral.sent_at.desc(), Referral.id.desc()).limit(query.limit + 1))
    stmt = _filtered(stmt, query, other, sorted(OPEN_STATES) if inbox else None)
    position = _position(query.cursor)
    if position is not None:
        sent, last = position
        stmt = stmt.where(or_(Referral.sent_at < sent,
                              and_(Referral.sent_at == sent, Referral.id < last)))
    rows = list(db.session.execute(stmt).unique().scalars())
    more, rows = len(rows) > query.limit, rows[:query.limit]
    audit.record("referral.list", object_type="referral",
                 details={"list": f"api_{name}", "count": len(rows)})
    now = utcnow()
    cursor = (encode_cursor({"s": rows[-1].sent_at.isoformat(), "i": rows[-1].id})
              if more and rows else None)
    return Page[s.ReferralSummary](items=[_summary(r, now) for r in rows], next_cursor=cursor)


@operation("GET", "/referrals/inbox", summary="Referrals to the caller's agency", tag=TAG,
           query=s.ReferralListQuery, response=Page[s.ReferralSummary],
           permission=Permission.REFERRAL_RESPOND)
def referral_inbox(query: s.ReferralListQuery) -> Page[s.ReferralSummary]:
    """Referrals sent to the caller's agency, newest first, a page at a time (open ones unless
    ``status`` says otherwise). The list is audited as the inbox page is."""
    actor = current_actor()
    return run_action(lambda: _page(actor, query, "inbox"))


@operation("GET", "/referrals/outbox", summary="Referrals the caller's agency sent", tag=TAG,
           query=s.ReferralListQuery, response=Page[s.ReferralSummary],
           permission=Permission.REFERRAL_SEND)
def referral_outbox(query: s.ReferralListQuery) -> Page[s.ReferralSummary]:
    """Referrals the caller's agency sent, newest first, a page at a time. Audited as the
    outbox page is."""
    actor = current_actor()
    return run_action(lambda: _page(actor, query, "outbox"))


# --- one referral ---------------------------------------------------------------------------


@operation("GET", "/referrals/<int:referral_id>", summary="One referral", tag=TAG,
           response=s.Referral, permission=Permission.CASE_READ)
def get_referral(referral_id: int) -> Reply:
    """The referral as its page shows it to the caller, with its ETag. The read is audited; the
    first read by the receiving agency marks it opened (as the page does)."""
    actor = current_actor()
    referral = run_action(lambda: service.get_referral_for(actor, referral_id))
    return referral_reply(actor, referral)


def _history(actor: Actor, referral_id: int) -> s.History:
    service.get_referral_for(actor, referral_id)
    return s.History(items=[
        s.HistoryEntry(id=h.id, action=h.action, label=history_label(h),
                       from_status=h.from_status, to_status=h.to_status,
                       reason_code=h.reason_code, note=h.note or "",
                       actor_user_id=h.actor_user_id, actor_agency_id=h.actor_agency_id, at=h.at)
        for h in service.list_history_for(actor, referral_id)])


@operation("GET", "/referrals/<int:referral_id>/history", summary="A referral's history",
           tag=TAG, response=s.History, permission=Permission.CASE_READ)
def referral_history(referral_id: int) -> s.History:
    """Who did what to the referral, when and why, oldest first (the page's history table)."""
    actor = current_actor()
    return run_action(lambda: _history(actor, referral_id))


def _notes(actor: Actor, referral_id: int) -> s.ProgressNotes:
    referral = service.get_referral_for(actor, referral_id)
    return s.ProgressNotes(items=[
        s.ProgressNote(id=n.id, agency=_agency(n.agency), author_user_id=n.author_user_id,
                       author_name=n.author.full_name, body=n.body, corrects_id=n.corrects_id,
                       created_at=n.created_at)
        for n in progress.list_progress_notes_for(actor, referral)])


@operation("GET", "/referrals/<int:referral_id>/progress-notes",
           summary="A referral's progress notes", tag=TAG, response=s.ProgressNotes,
           permission=Permission.CASE_READ)
def referral_progress_notes(referral_id: int) -> s.ProgressNotes:
    """The progress notes the caller reads, oldest first: the receiving agency every note, the
    sending agency its own and, within the survivor's consent, the receiver's."""
    actor = current_actor()
    return run_action(lambda: _notes(actor, referral_id))
