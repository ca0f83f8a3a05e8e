"""Cross-agency targets of the notification routes kept beside their tests (see
tests/test_cross_agency_404.py)."""

from __future__ import annotations

from tests.test_cross_agency_404 import Target

# The development mailbox is not configured in the tests' app: 404 to everyone, administrators
# included (its own tests configure it: test_notifications_devmail.py).
TARGETS = {
    "notifications.dev_mail": Target({"key": "1.1.0123456789abcdef"}, insider=None),
}
