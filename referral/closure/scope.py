"""Who sees a case's closure checklist: exactly those who see the case."""

from __future__ import annotations

from referral.cases.scope import scope_via_case
from referral.closure.models import ClosureChecklist

scope_via_case(ClosureChecklist)
