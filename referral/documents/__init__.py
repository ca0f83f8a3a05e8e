"""Documents on cases and referrals: files checked by their content, stripped of metadata,
encrypted at rest, shared with a referral only within consent."""
