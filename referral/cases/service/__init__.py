"""Case rules: open, read, change, find cases; the timeline. Callers commit.

Every function takes the actor first and runs its queries as that actor
(``referral.access.scoped``), so the one scope rule of referral.cases.scope applies. The rules
live in modules by subject; every public name is importable from here, as
``referral.cases.service``. Participants, incidents, risk, measures and notes have their own
modules beside this package.
"""

from referral.cases.service.changes import (
    CLOSED_REASONS,
    LANGUAGES,
    STATUS_TRANSITIONS,
    CaseInput,
    case_member_ids,
    change_status,
    find_case_by_token,
    new_creation_token,
    next_reference,
    open_case,
    restriction_candidates,
    set_restriction,
    update_case,
)
from referral.cases.service.days import local_date, local_day_start, local_today
from referral.cases.service.listing import (
    PAGE_SIZE,
    SORTS,
    CaseFilters,
    CasePage,
    count_cap,
    list_cases_for,
)
from referral.cases.service.reading import (
    can_contribute,
    check_version,
    get_case_for,
    get_participant,
    is_owner,
    list_participants,
    load_case,
    open_case_page,
    record_emergency_read,
    refuse_read_only,
    writable_case,
)
from referral.cases.service.timeline import add_timeline_entry, list_timeline, timeline_values

__all__ = [
    "CLOSED_REASONS",
    "LANGUAGES",
    "PAGE_SIZE",
    "SORTS",
    "STATUS_TRANSITIONS",
    "CaseFilters",
    "CaseInput",
    "CasePage",
    "add_timeline_entry",
    "can_contribute",
    "case_member_ids",
    "change_status",
    "check_version",
    "count_cap",
    "find_case_by_token",
    "get_case_for",
    "get_participant",
    "is_owner",
    "list_cases_for",
    "list_participants",
    "list_timeline",
    "load_case",
    "local_date",
    "local_day_start",
    "local_today",
    "new_creation_token",
    "next_reference",
    "open_case",
    "open_case_page",
    "record_emergency_read",
    "refuse_read_only",
    "restriction_candidates",
    "set_restriction",
    "timeline_values",
    "update_case",
    "writable_case",
]
