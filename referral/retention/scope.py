"""Who sees legal holds: exactly those who see their case (default deny, as every case child)."""

from __future__ import annotations

from referral.cases.scope import scope_via_case
from referral.retention.models import LegalHold

scope_via_case(LegalHold)
