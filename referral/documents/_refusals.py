"""Why a file is refused, in the user's language (sanitize.Refused; shared by its helpers)."""

from __future__ import annotations

from flask_babel import gettext as _

from referral.errors import DomainError


class Refused(DomainError):
    """The file is not accepted; the message (translated) says why."""


def damaged() -> Refused:
    """The bytes claim a type whose structure they do not have."""
    return Refused(_("The file could not be read: it is damaged, or its contents are not what "
                     "its type says."))
