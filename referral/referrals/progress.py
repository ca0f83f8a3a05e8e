"""Progress notes: how the work on a live referral goes, written by either agency, kept forever.

Notes are dated and signed (user and agency) and append-only: a mistake is put right by a new
note naming the one it corrects, so what the other agency read stays on record. Who reads them
is the scope rule's business (referral.referrals.scope.progress_note_visible): the receiving
agency all of them, the sending agency its own and, within the survivor's consent, the
receiver's. Each note is audited and tells the other agency in the app, with ids only.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from referral.access import scoped
from referral.access.permissions import Permission, role_can
from referral.access.scope import Actor
from referral.audit import service as audit
from referral.cases.models import Case
from referral.cases.scope import visible_categories
from referral.errors import DomainError, NotVisible
from referral.events import service as events
from referral.extensions import db
from referral.models_base import utcnow
from referral.referrals.lifecycle import Side, Status
from referral.referrals.models import Referral, ReferralConsent, ReferralProgressNote
from referral.referrals.queries import load_referral

# A referral the receiving agency works on: notes are written while it lasts.
LIVE_STATES = frozenset({Status.ACCEPTED, Status.IN_PROGRESS, Status.ON_HOLD})
MAX_NOTE_LENGTH = 2000


def note_side(actor: Actor, referral: Referral) -> Side | None:
    """The side the actor writes on, or None (coordinators and other agencies write none)."""
    if actor.agency_id is None:
        return None
    if (actor.agency_id == referral.receiver_agency_id
            and role_can(actor.role, Permission.REFERRAL_RESPOND)):
        return Side.RECEIVER
    if (actor.agency_id == referral.sender_agency_id
            and role_can(actor.role, Permission.REFERRAL_SEND)):
        return Side.SENDER
    return None


def can_add_note(actor: Actor, referral: Referral) -> bool:
    """Whether the page offers the form (the service checks again)."""
    return referral.status in LIVE_STATES and note_side(actor, referral) is not None


def _checked_text(text: str) -> str:
    body = (text or "").strip()
    if not body:
        raise DomainError(_("Write the note."), field="text")
    if len(body) > MAX_NOTE_LENGTH:
        raise DomainError(ngettext("A note holds at most %(num)d character.",
                                   "A note holds at most %(num)d characters.",
                                   MAX_NOTE_LENGTH), field="text")
    return body


def _not_live(status: str) -> DomainError:
    if status == Status.SENT:
        return DomainError(_("Progress notes can be added once the referral is accepted."))
    return DomainError(_("This referral is closed; no more progress notes can be added."))


def _corrected(actor: Actor, referral_id: int, corrects_id: int) -> ReferralProgressNote:
    note = db.session.execute(
        select(ReferralProgressNote).where(ReferralProgressNote.id == corrects_id,
                                           ReferralProgressNote.referral_id == referral_id)
    ).scalar_one_or_none()
    if note is None or note.agency_id != actor.agency_id:
        raise DomainError(_("Choose a note your agency wrote on this referral."),
                          field="corrects_id")
    return note


def _consent_in_force(referral: Referral, now: datetime) -> bool:
    consent = db.session.execute(
        select(ReferralConsent).where(ReferralConsent.referral_id == referral.id)
    ).scalar_one_or_none()
    return (consent is not None and consent.shared_with_agency_id == referral.receiver_agency_id
            and consent.is_active(now))


@scoped
def add_progress_note(actor: Actor, *, referral_id: int, text: str,
                      corrects_id: int | None = None,
                      now: datetime | None = None) -> ReferralProgressNote:
    """Add a note to a live referral, as the receiving or the sending agency.

    The receiver's note counts as progress (``last_progress_at``, which the stalled-referral
    reminder and review read); the sender's does not. The referral's row is moved by a
    conditional UPDATE on its status, so a note never lands on a referral closed meanwhile.
    """
    now = now or utcnow()
    referral = load_referral(referral_id)
    side = note_side(actor, referral)
    if side is None:
        raise NotVisible("referral", referral_id)
    body = _checked_text(text)
    if referral.status not in LIVE_STATES:
        raise _not_live(referral.status)
    corrected = _corrected(actor, referral_id, corrects_id) if corrects_id else None
    values: dict[str, object] = {"version": Referral.version + 1}
    if side == Side.RECEIVER:
        values["last_progress_at"] = now
    moved = db.session.execute(
        update(Referral).where(Referral.id == referral_id,
                               Referral.status.in_(sorted(LIVE_STATES)))
        .values(**values).execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise _not_live(load_referral(referral_id, fresh=True).status)
    note = ReferralProgressNote(referral_id=referral_id, agency_id=actor.agency_id,
                                author_user_id=actor.user_id, body=body,
                                corrects_id=corrected.id if corrected else None, created_at=now)
    db.session.add(note)
    db.session.flush()
    audit.record("referral.progress_note", object_type="referral", object_id=referral_id,
                 details={"case_id": referral.case_id, "note_id": note.id,
                          "corrects_id": note.corrects_id, "side": side.value})
    ids = {"case_id": referral.case_id, "note_id": note.id,
           "sender_agency_id": referral.sender_agency_id,
           "receiver_agency_id": referral.receiver_agency_id}
    if side == Side.SENDER:
        events.emit("referral.sender_note", subject_type="referral", subject_id=referral_id,
                    **ids)
    elif _consent_in_force(referral, now):
        # The sending agency hears of a note only when it may read it.
        events.emit("referral.progress_note", subject_type="referral",
                    subject_id=referral_id, **ids)
    return note


@scoped
def list_progress_notes_for(actor: Actor, referral: Referral) -> list[ReferralProgressNote]:
    """The notes of a referral the actor may read, oldest first (the page's read is audited).

    A sending agency that itself reads only part of the case (it got the case by a referral or
    an access request) reads the receiver's notes only when it reads every category the
    survivor consented to share with the receiver: the notes come from those data.
    """
    notes = list(db.session.execute(
        select(ReferralProgressNote).where(ReferralProgressNote.referral_id == referral.id)
        .options(joinedload(ReferralProgressNote.author), joinedload(ReferralProgressNote.agency))
        .order_by(ReferralProgressNote.created_at, ReferralProgressNote.id)
    ).scalars())
    if (actor.agency_id == referral.receiver_agency_id
            or all(n.agency_id == actor.agency_id for n in notes)):
        return notes
    if _sender_reads_consented(actor, referral):
        return notes
    return [n for n in notes if n.agency_id == actor.agency_id]


def _sender_reads_consented(actor: Actor, referral: Referral) -> bool:
    case = db.session.execute(select(Case).where(Case.id == referral.case_id)).scalar_one_or_none()
    if case is None:
        return False
    consented = db.session.execute(
        select(ReferralConsent.categories).where(ReferralConsent.referral_id == referral.id)
    ).scalar_one_or_none() or []
    return set(consented) <= visible_categories(actor, case)
