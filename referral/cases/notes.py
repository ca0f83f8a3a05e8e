"""Case notes: append-only. An edit keeps the earlier text as a revision."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from referral.access import scoped
from referral.access.scope import Actor, acting_as
from referral.audit import service as audit
from referral.cases import service as cases
from referral.cases.models import CaseNote, CaseNoteRevision
from referral.cases.scope import DATA_CATEGORIES, visible_categories
from referral.errors import DomainError, NotVisible
from referral.extensions import db
from referral.models_base import utcnow

MAX_NOTE = 20_000


def _check(body: str) -> str:
    text = body.strip()
    if not text:
        raise DomainError(_("Write the note."), field="body")
    if len(text) > MAX_NOTE:
        raise DomainError(_("A note can be at most %(n)d characters.", n=MAX_NOTE), field="body")
    return text


@scoped
def add_note(actor: Actor, case_id: int, body: str) -> CaseNote:
    case = cases.writable_case(actor, case_id, "notes")
    note = CaseNote(case_id=case.id, body=_check(body), author_id=actor.user_id,
                    agency_id=actor.agency_id)
    db.session.add(note)
    db.session.flush()
    audit.record("note.add", object_type="note", object_id=note.id, details={"case_id": case.id})
    cases.add_timeline_entry(actor, case.id, "note.added", category="notes",
                             object_type="note", object_id=note.id)
    return note


@scoped
def get_note_for(actor: Actor, note_id: int) -> CaseNote:
    with acting_as(actor):
        note = db.session.execute(select(CaseNote).where(CaseNote.id == note_id)
                                  ).scalar_one_or_none()
    if note is None:
        raise NotVisible("note", note_id)
    case = cases.get_case_for(actor, note.case_id)
    if note not in list_notes(actor, case):
        raise NotVisible("note", note_id)
    return note


@scoped
def edit_note(actor: Actor, note_id: int, body: str, *, expected_version: int) -> CaseNote:
    """Only the author edits; the earlier text is kept as a revision."""
    note = get_note_for(actor, note_id)
    if note.author_id != actor.user_id:
        raise DomainError(_("Only the author can correct a note. Add a new note instead."))
    cases.check_version(note, expected_version, what=_("note"))
    text = _check(body)
    if text == note.body:
        return note
    db.session.add(CaseNoteRevision(case_id=note.case_id, note_id=note.id, body=note.body,
                                    replaced_by_id=actor.user_id))
    note.body = text
    note.edited_at = utcnow()
    db.session.flush()
    audit.record("note.edit", object_type="note", object_id=note.id,
                 details={"case_id": note.case_id})
    cases.add_timeline_entry(actor, note.case_id, "note.edited", category="notes",
                             object_type="note", object_id=note.id)
    return note


@scoped
def list_notes(actor: Actor, case) -> list[CaseNote]:  # noqa: ANN001
    """All notes for those who read the whole case; an agency reading part of it sees its own."""
    with acting_as(actor):
        query = select(CaseNote).where(CaseNote.case_id == case.id)
        if visible_categories(actor, case) != frozenset(DATA_CATEGORIES):
            query = query.where(CaseNote.agency_id == actor.agency_id)
        return list(db.session.execute(query.order_by(CaseNote.created_at.desc())).scalars())
