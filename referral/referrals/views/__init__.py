"""Referral pages: inbox, outbox, region list and directory (``lists``), the send form
(``sending``), one referral's page (``detail``) and the actions on it (``actions``).

Each POST: validate the form, one service call in one transaction (``submit_form``), flash,
redirect; on a refusal the page is shown again with the form as typed.
"""

from referral.referrals.views import actions, detail, lists, sending  # noqa: F401 - routes on bp
from referral.referrals.views.blueprint import bp

__all__ = ["bp"]
