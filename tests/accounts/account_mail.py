"""Helpers of the account e-mail tests: send what the outbox holds through the real mail path."""

from __future__ import annotations

import re

from referral.notifications import jobs
from tests.fixtures import fresh

LINK = re.compile(r"http://localhost(/[\w/.-]+)")


def send_outbox() -> int:
    """Publish the outbox and deliver each e-mail to the SMTP server (as the worker would)."""
    fresh()
    delivery_ids: list[int] = []
    jobs.publish(delivery_ids.append)
    for delivery_id in delivery_ids:
        jobs.deliver(delivery_id)
    fresh()
    return len(delivery_ids)


def link_path(body: str) -> str:
    """The one link of an account e-mail, as a path of the app."""
    [path] = LINK.findall(body)
    return path
