"""The referral page's progress notes: what the page shows of them, and the POST that adds one.

Routes live on the referrals blueprint (imported by referral.referrals.views); the POST goes
through ``_act`` like every action on the page: one transaction, the form kept on a refusal.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from referral.access.permissions import Permission, require
from referral.access.scope import Actor, current_actor
from referral.referrals import progress
from referral.referrals.models import Referral
from referral.referrals.views import _act, bp
from referral.web.templating import format_local_datetime


def page_context(actor: Actor, referral: Referral, form: Any) -> dict[str, Any]:
    """Notes the actor reads, the form (its "corrects" choices: the agency's own notes), and
    which notes a later one corrects."""
    notes = progress.list_progress_notes_for(actor, referral)
    form.corrects_id.choices = [("", "—")] + [
        (n.id, f"{format_local_datetime(n.created_at, 'short')} · {n.author.full_name}")
        for n in notes if n.agency_id == actor.agency_id]
    return {"progress_notes": notes, "progress_form": form,
            "can_add_progress_note": progress.can_add_note(actor, referral),
            "corrected_note_ids": {n.corrects_id for n in notes if n.corrects_id}}


@bp.post("/referrals/<int:referral_id>/progress-notes")
@login_required
@require(Permission.CASE_READ)
def add_progress_note(referral_id: int) -> str | Response:
    return _act(referral_id, "progress", lambda form: progress.add_progress_note(
        current_actor(), referral_id=referral_id, text=form.text.data or "",
        corrects_id=form.corrects_id.data), _("Progress note added."))
