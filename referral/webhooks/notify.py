"""The notification kinds of webhooks: an endpoint disabled after failures, told to its owner."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from referral.notifications.kinds import register_kind
from referral.notifications.links import register_target

register_kind("webhook.endpoint_disabled", _l("Webhook endpoint %(reference)s was disabled"),
              _l("A webhook endpoint of your agency kept failing and was disabled. Check the "
                 "receiving system, then enable the endpoint again."),
              ("owner_agency_managers",))
register_kind("webhook.system_endpoint_disabled",
              _l("Webhook endpoint %(reference)s was disabled"),
              _l("A system webhook endpoint kept failing and was disabled. Check the receiving "
                 "system, then enable the endpoint again."),
              ("administrators",))
register_target("webhook_endpoint", "webhooks.detail", "endpoint_id")
