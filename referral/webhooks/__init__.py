"""Signed webhooks (Standard Webhooks): partners learn of referral events without logging in."""
