"""Notifications: in-app (written with the change), e-mail through the outbox, reminders."""

from referral.events.service import on_emit
from referral.notifications.service import fan_out_many, fan_out_on_emit

on_emit(fan_out_on_emit, batch=fan_out_many)
