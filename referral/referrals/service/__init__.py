"""Referral rules: send, answer, work and close a referral; coordinators' moves.

Every move goes through ``moves.apply_move``: a check against the lifecycle table, a conditional
``UPDATE … WHERE status = <seen>`` checked by row count, then history, audit and outbox event in
the same transaction. Callers commit (see referral.web.transaction.run_action for the boundary).
The reminders and the expiry of an unanswered referral are in referral.referrals.notify
(``expire_overdue_referrals`` is re-exported here with the other moves).

The modules by who acts: ``sending`` (the sending agency), ``answering`` (the receiving agency's
answer and work, the sender's cancellation), ``consent``, ``coordinating`` (coordinators), and
``deadlines`` (the answer window). Every public name is importable from here.
"""

from referral.referrals.codes import PROGRAMME_SERVICE
from referral.referrals.notify import expire_overdue_referrals
from referral.referrals.queries import (
    case_timeline_for,
    count_new_for,
    get_consent_for,
    get_referral_for,
    list_case_referrals_for,
    list_history_for,
    list_inbox_for,
    list_outbox_for,
    list_region_referrals_for,
    load_referral,
)
from referral.referrals.service.answering import (
    accept_referral,
    cancel_referral,
    complete_referral,
    decline_referral,
    enter_in_error,
    fail_referral,
    put_on_hold,
    record_programme_event,
    start_progress,
)
from referral.referrals.service.consent import (
    ConsentInput,
    consent_in_force,
    record_consent,
    withdraw_consent,
)
from referral.referrals.service.coordinating import (
    escalate_referral,
    extend_deadline,
    reassign_referral,
)
from referral.referrals.service.deadlines import (
    DEFAULT_DEADLINES,
    deadline_for,
    deadline_labels,
    default_urgency,
)
from referral.referrals.service.moves import sides_for, successor_of
from referral.referrals.service.sending import (
    Capacity,
    ReferralInput,
    capacity_of,
    load_case_for_sending,
    refer_elsewhere,
    send_referral,
)

__all__ = [
    "DEFAULT_DEADLINES",
    "PROGRAMME_SERVICE",
    "Capacity",
    "ConsentInput",
    "ReferralInput",
    "accept_referral",
    "cancel_referral",
    "capacity_of",
    "case_timeline_for",
    "complete_referral",
    "consent_in_force",
    "count_new_for",
    "deadline_for",
    "deadline_labels",
    "decline_referral",
    "default_urgency",
    "enter_in_error",
    "escalate_referral",
    "expire_overdue_referrals",
    "extend_deadline",
    "fail_referral",
    "get_consent_for",
    "get_referral_for",
    "list_case_referrals_for",
    "list_history_for",
    "list_inbox_for",
    "list_outbox_for",
    "list_region_referrals_for",
    "load_case_for_sending",
    "load_referral",
    "put_on_hold",
    "reassign_referral",
    "record_consent",
    "record_programme_event",
    "refer_elsewhere",
    "send_referral",
    "sides_for",
    "start_progress",
    "successor_of",
    "withdraw_consent",
]
