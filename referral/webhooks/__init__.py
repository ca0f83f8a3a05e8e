"""Signed webhooks (Standard Webhooks): partners learn of referral events without logging in."""

from referral.events.service import on_emit
from referral.webhooks.fanout import fan_out, fan_out_many

on_emit(fan_out, batch=fan_out_many)
