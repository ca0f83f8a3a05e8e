"""The referrals Blueprint its route modules share, its menu entries and template helpers."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from referral.access.permissions import Permission
from referral.referrals import templating
from referral.web.nav import add_nav

bp = Blueprint("referrals", __name__)

add_nav("referrals.inbox", _l("Referrals"), Permission.REFERRAL_RESPOND, 20)
add_nav("referrals.outbox", _l("Sent referrals"), Permission.REFERRAL_SEND, 21)
add_nav("referrals.region", _l("Referrals"), Permission.REFERRAL_COORDINATE, 20)
add_nav("referrals.directory", _l("Service directory"), Permission.DIRECTORY_READ, 25)

templating.register(bp)
