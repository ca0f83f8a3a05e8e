"""What each event kind says and to whom: the one table of notification kinds.

Audiences name people by their relation to the event, never by address:
- ``receiver_agency`` / ``sender_agency``: active officers and managers of that agency (and its
  shared duty mailbox when ``mailbox`` is set);
- ``sender_user``, ``assignee``, ``user``, ``requester_user``: one user (subject row or event);
- ``owner_agency_managers``: the managers of the agency that owns the subject (access requests);
- ``region_coordinators``: coordinators of the case's region;
- ``case_owner_agency``: the lead agency of the case (staff and duty mailbox);
- ``administrators``: every active administrator.
Survivors and other people in a case are never an audience: the app does not message them.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Kind:
    name: str
    title: object          # lazy string with %(reference)s: in-app line and e-mail subject
    sentence: object       # lazy string: what happened, for the e-mail body
    audiences: tuple[str, ...]
    email: bool = True
    mailbox: bool = False
    detail: object | None = None  # lazy string formatted with the event's ids and counts
    # Account mail (a password reset, an invitation): no in-app line, and sent even to a user
    # who turned notification e-mail off; without it they could not get into the app at all.
    in_app: bool = True
    always_email: bool = False


_KINDS: dict[str, Kind] = {}


def register_kind(name: str, title: object, sentence: object, audiences: tuple[str, ...], *,
                  email: bool = True, mailbox: bool = False, detail: object | None = None,
                  in_app: bool = True, always_email: bool = False) -> Kind:
    """Add (or replace) a kind; domains and tests may register their own."""
    kind = Kind(name, title, sentence, tuple(audiences), email, mailbox, detail, in_app,
                always_email)
    _KINDS[name] = kind
    return kind


def get_kind(name: str) -> Kind | None:
    return _KINDS.get(name)


def all_kinds() -> dict[str, Kind]:
    return dict(_KINDS)


def title_text(kind: Kind, reference: str) -> str:
    return str(kind.title) % {"reference": reference}


def detail_text(kind: Kind, data: dict) -> str:
    """The kind's detail line filled from the event's ids and counts ("" when not applicable)."""
    if kind.detail is None:
        return ""
    try:
        return str(kind.detail) % data
    except (KeyError, TypeError, ValueError):
        return ""


# --- referrals -----------------------------------------------------------------------------------
register_kind("referral.sent", _l("New referral %(reference)s"),
              _l("A new referral was sent to your agency and waits for an answer."),
              ("receiver_agency",), mailbox=True)
register_kind("referral.accepted", _l("Referral %(reference)s accepted"),
              _l("The receiving agency accepted your referral."), ("sender_user",))
register_kind("referral.declined", _l("Referral %(reference)s declined"),
              _l("The receiving agency declined your referral. Please choose another service."),
              ("sender_user",))
register_kind("referral.cancelled", _l("Referral %(reference)s cancelled"),
              _l("The sending agency cancelled this referral."), ("receiver_agency",))
register_kind("referral.expired", _l("Referral %(reference)s expired without an answer"),
              _l("The referral was not accepted before its deadline and has expired."),
              ("sender_user", "region_coordinators"))
register_kind("referral.in_progress", _l("Referral %(reference)s in progress"),
              _l("The receiving agency started work on the referral."), ("sender_user",),
              email=False)
register_kind("referral.on_hold", _l("Referral %(reference)s on hold"),
              _l("The receiving agency put the referral on hold."), ("sender_user",))
register_kind("referral.completed", _l("Referral %(reference)s completed"),
              _l("The receiving agency completed the referral."), ("sender_user",))
register_kind("referral.failed", _l("Referral %(reference)s could not be completed"),
              _l("The receiving agency reports that the referral could not be completed."),
              ("sender_user", "region_coordinators"))
register_kind("referral.entered_in_error", _l("Referral %(reference)s was sent by mistake"),
              _l("The sending agency says this referral was sent by mistake; no answer is "
                 "needed."), ("receiver_agency",))
register_kind("referral.reassigned", _l("Referral %(reference)s redirected to your agency"),
              _l("A coordinator redirected a referral to your agency; it waits for an answer."),
              ("receiver_agency", "sender_user"), mailbox=True)
register_kind("referral.deadline_extended", _l("Deadline of referral %(reference)s extended"),
              _l("The deadline for answering this referral was extended."),
              ("receiver_agency",), email=False)
register_kind("referral.escalated", _l("Referral %(reference)s escalated"),
              _l("A referral was escalated by the coordinator and needs the manager's attention."),
              ("receiver_agency_managers", "region_coordinators"))
register_kind("referral.consent_recorded", _l("Consent recorded for referral %(reference)s"),
              _l("The survivor consented to share information with your agency for this "
                 "referral."), ("receiver_agency",), email=False)
register_kind("referral.consent_withdrawn", _l("Consent withdrawn for referral %(reference)s"),
              _l("The survivor withdrew consent to share information for this referral."),
              ("receiver_agency",), mailbox=True)
# Progress notes (referrals/progress.py): in the app only; the note is read on the page.
register_kind("referral.progress_note", _l("New progress note on referral %(reference)s"),
              _l("The receiving agency added a progress note to your referral."),
              ("sender_agency",), email=False)
register_kind("referral.sender_note", _l("New note from the sending agency on referral "
                                         "%(reference)s"),
              _l("The sending agency added a note to a referral your agency works on."),
              ("assignee",), email=False)

# --- cases ---------------------------------------------------------------------------------------
register_kind("case.high_risk", _l("Case %(reference)s assessed as high risk"),
              _l("A case in your region was assessed as high risk."), ("region_coordinators",))
register_kind("case.repeat", _l("Repeat incident in case %(reference)s"),
              _l("A repeat incident was recorded in a case in your region."),
              ("region_coordinators",), email=False)
register_kind("measure.issued", _l("Protective measure recorded in case %(reference)s"),
              _l("A protective order or special requirement was recorded in a case led by your "
                 "agency."), ("case_owner_agency",), email=False)
register_kind("measure.breach", _l("Breach of a protective measure in case %(reference)s"),
              _l("A breach of a protective order or special requirement was recorded."),
              ("case_owner_agency", "region_coordinators"), mailbox=True)
# An access request names no case to the requester: its reference is the request's own.
register_kind("access_request.created", _l("Access request %(reference)s waits for a decision"),
              _l("Another agency asks for access to a case your agency leads."),
              ("owner_agency_managers",))
register_kind("access_request.granted", _l("Access request %(reference)s granted"),
              _l("Your request for access was granted."), ("requester_user",))
register_kind("access_request.refused", _l("Access request %(reference)s refused"),
              _l("Your request for access was refused."), ("requester_user",))

# --- reminders, escalation, digest (emitted by the sweep) ---------------------------------------
register_kind("reminder.referral_pending", _l("Reminder: referral %(reference)s awaits an answer"),
              _l("A referral to your agency is still waiting for an answer; its deadline is "
                 "approaching."), ("receiver_agency",), mailbox=True)
register_kind("reminder.referral_no_progress",
              _l("Reminder: no progress recorded on referral %(reference)s"),
              _l("No progress has been recorded on a referral assigned to you for several days."),
              ("assignee",))
register_kind("reminder.protective_measure_ending",
              _l("Protective measure ending soon in case %(reference)s"),
              _l("A protective order or special requirement in a case led by your agency ends "
                 "soon."), ("case_owner_agency",), mailbox=True)
register_kind("escalation.high_risk_unaccepted",
              _l("High-risk case %(reference)s has no accepted referral"),
              _l("A high-risk case still has no accepted referral."), ("region_coordinators",))
register_kind("digest.daily", _l("Daily summary for %(reference)s"),
              _l("Your daily summary of overdue referrals and cases needing attention."),
              ("user",),
              detail=_l("Overdue referrals: %(overdue)s. High-risk cases without an accepted "
                        "referral: %(attention)s."))

# --- the system itself ---------------------------------------------------------------------------
register_kind("system.delivery_failed", _l("E-mail delivery %(reference)s failed"),
              _l("An e-mail notification could not be delivered."), ("administrators",),
              email=False)
