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


# The domains register their own kinds beside the rules that emit them (each domain's
# notify.py); these are the kinds of this package: the digest and its own failures.
# --- the daily digest (digest.py) -----------------------------------------------------------------
register_kind("digest.daily", _l("Daily summary for %(reference)s"),
              _l("Your daily summary of overdue referrals and cases needing attention."),
              ("user",),
              detail=_l("Overdue referrals: %(overdue)s. High-risk cases without an accepted "
                        "referral: %(attention)s."))

# --- the system itself ---------------------------------------------------------------------------
register_kind("system.delivery_failed", _l("E-mail delivery %(reference)s failed"),
              _l("An e-mail notification could not be delivered."), ("administrators",),
              email=False)
