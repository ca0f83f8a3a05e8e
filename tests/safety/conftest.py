"""The notification tests' real SMTP server, for the re-assessment e-mails."""

from tests.notifications.conftest import smtp  # noqa: F401
