"""Words for the audit log's codes: actions, object types and outcomes.

The log stores codes (``case.view``, ``referral.accept``) so that it reads the same in every
language and its hash chain never depends on a translation; the viewer shows these labels.
tests/test_i18n_rendered.py finds every code the code base records and checks it has a label
here. A code recorded by a newer version than this table falls back to the code itself.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

OBJECT_LABELS: dict[str, object] = {
    "access_request": _l("access request"),
    "agency": _l("agency"),
    "api_token": _l("API token"),
    "case": _l("case"),
    "conference": _l("case conference"),
    "conference_action": _l("conference action"),
    "delivery": _l("e-mail delivery"),
    "directory": _l("service directory"),
    "district": _l("district"),
    "document": _l("document"),
    "emergency_access": _l("emergency access"),
    "incident": _l("incident"),
    "import": _l("import"),
    "legal_hold": _l("legal hold"),
    "measure": _l("protective measure"),
    "note": _l("note"),
    "notification": _l("notification"),
    "offence": _l("offence"),
    "participant": _l("person in a case"),
    "person": _l("person"),
    "referral": _l("referral"),
    "region": _l("region"),
    "risk_assessment": _l("risk assessment"),
    "safety_plan": _l("safety plan"),
    "school": _l("school"),
    "school_notice": _l("school notice"),
    "user": _l("user"),
    "webhook_delivery": _l("webhook delivery"),
    "webhook_endpoint": _l("webhook endpoint"),
}

OUTCOME_LABELS: dict[str, object] = {
    "success": _l("Success"),
    "failure": _l("Failure"),
    "denied": _l("Denied"),
    "locked": _l("Locked"),
}

ACTION_LABELS: dict[str, object] = {
    "login": _l("Logged in"),
    "login.second_factor": _l("Second login step"),
    "second_factor.enrol": _l("Second login factor set up"),
    "second_factor.remove": _l("Second login factor removed"),
    "second_factor.reset": _l("Second login factor reset"),
    "second_factor.recovery_codes_issued": _l("Recovery codes issued"),
    "second_factor.recovery_code_used": _l("Recovery code used"),
    "logout": _l("Logged out"),
    "user.create": _l("User created"),
    "user.update": _l("User changed"),
    "user.activate": _l("User activated"),
    "user.deactivate": _l("User deactivated"),
    "user.invitation_accept": _l("Invitation accepted"),
    "user.language": _l("Language changed"),
    "user.password_change": _l("Password changed"),
    "user.password_reset": _l("Password reset"),
    "user.password_reset_request": _l("Password reset requested"),
    "user.password_reset_complete": _l("New password set after a reset"),
    "user.session_end": _l("Session ended"),
    "user.sessions_end_others": _l("Other sessions ended"),
    "api_token.create": _l("API token created"),
    "api_token.revoke": _l("API token revoked"),
    "agency.create": _l("Agency created"),
    "agency.update": _l("Agency changed"),
    "agency.activate": _l("Agency activated"),
    "agency.deactivate": _l("Agency deactivated"),
    "district.save": _l("District saved"),
    "import.dry_run": _l("Import file checked (dry run)"),
    "import.commit": _l("Import file imported"),
    "case.create": _l("Case opened"),
    "case.list": _l("Case list viewed"),
    "case.search": _l("Cases searched"),
    "case.view": _l("Case viewed"),
    "case.update": _l("Case details changed"),
    "case.status": _l("Case status changed"),
    "case.restrict": _l("Case access restriction changed"),
    "case.emergency_access": _l("Emergency access to a case"),
    "case.emergency_view": _l("Case viewed with emergency access"),
    "case.emergency_write": _l("Case change tried with emergency access"),
    "case.emergency_access_reviewed": _l("Emergency access reviewed"),
    "legal_hold.place": _l("Legal hold placed"),
    "legal_hold.release": _l("Legal hold released"),
    "legal_hold.list": _l("Legal holds viewed"),
    "school.contact_set": _l("School safeguarding contact named"),
    "school.children_view": _l("Children's schools viewed"),
    "school.child_linked": _l("Child's school recorded"),
    "school_notice.create": _l("School notice sent"),
    "school_notice.view": _l("School notice viewed"),
    "school_notice.list": _l("School notices listed"),
    "school_notice.received": _l("School notice received"),
    "closure.view": _l("Closure checklist viewed"),
    "closure.update": _l("Closure checklist saved"),
    "closure.sign_off": _l("Closure checklist signed off"),
    "closure.sign_off_spent": _l("Case closed on a signed-off checklist"),
    "retention.report": _l("Retention report viewed"),
    "retention.purge": _l("Personal data purged after the retention period"),
    "document.add": _l("Document attached"),
    "document.list": _l("Documents listed"),
    "document.download": _l("Document opened"),
    "document.thumbnail": _l("Document thumbnail viewed"),
    "document.version": _l("New version of a document attached"),
    "document.withdraw": _l("Document withdrawn"),
    "document.share": _l("Documents sent with a referral changed"),
    "database.backup": _l("Database backed up"),
    "database.restore": _l("Database restored from a backup"),
    "access_request.create": _l("Access to a case requested"),
    "access_request.granted": _l("Access to a case granted"),
    "access_request.refused": _l("Access to a case refused"),
    "participant.add": _l("Person added to a case"),
    "participant.update": _l("Person in a case changed"),
    "participant.view": _l("Person in a case viewed"),
    "person.duplicate_check": _l("Checked for the same person in other cases"),
    "person.iin_match": _l("Checked for the same IIN in other cases"),
    "safe_contact.save": _l("Safe contact saved"),
    "incident.create": _l("Incident recorded"),
    "offence.add": _l("Offence added"),
    "offence.update": _l("Offence changed"),
    "measure.issue": _l("Protective measure recorded"),
    "measure.revoke": _l("Protective measure revoked"),
    "measure.breach": _l("Breach of a protective measure recorded"),
    "note.add": _l("Note added"),
    "note.edit": _l("Note changed"),
    "risk.assess": _l("Risk assessed"),
    "referral.send": _l("Referral sent"),
    "referral.open": _l("Referral opened by the receiving agency"),
    "referral.view": _l("Referral viewed"),
    "referral.list": _l("Referral list viewed"),
    "referral.accept": _l("Referral accepted"),
    "referral.decline": _l("Referral declined"),
    "referral.cancel": _l("Referral cancelled"),
    "referral.expire": _l("Referral expired"),
    "referral.start": _l("Work on a referral started"),
    "referral.hold": _l("Referral put on hold"),
    "referral.complete": _l("Referral completed"),
    "referral.fail": _l("Referral could not be completed"),
    "referral.reassign": _l("Referral redirected to another agency"),
    "referral.reassigned_in": _l("Referral received by redirection"),
    "referral.extend_deadline": _l("Referral deadline extended"),
    "referral.escalate": _l("Referral escalated"),
    "referral.withdraw_consent": _l("Consent withdrawn"),
    "referral.record_consent": _l("Consent recorded"),
    "referral.programme": _l("Programme progress recorded"),
    "referral.progress_note": _l("Progress note added to a referral"),
    "referral.enter_in_error": _l("Referral marked as sent by mistake"),
    "referral.overflow": _l("Referral accepted over capacity"),
    "referral.sent_without_consent": _l("Referral sent without consent"),
    "directory.view": _l("Service directory viewed"),
    "conference.schedule": _l("Case conference scheduled"),
    "conference.view": _l("Case conference viewed"),
    "conference.agenda_add": _l("Case added to a conference agenda"),
    "conference.agenda_remove": _l("Case removed from a conference agenda"),
    "conference.attendance": _l("Conference attendance recorded"),
    "conference.summary": _l("Conference discussion summary saved"),
    "conference.held": _l("Case conference marked as held"),
    "conference.minutes_view": _l("Conference minutes viewed"),
    "conference_action.assign": _l("Conference action assigned"),
    "conference_action.complete": _l("Conference action completed"),
    "conference_action.cancel": _l("Conference action cancelled"),
    "coordination.coverage": _l("Service coverage viewed"),
    "coordination.overdue_review": _l("Overdue review viewed"),
    "coordination.performance": _l("Agency performance viewed"),
    "statistics.export": _l("Statistics exported"),
    "notifications.preferences": _l("Notification settings changed"),
    "notifications.delivery_retry": _l("E-mail delivery retried"),
    "webhook.create": _l("Webhook endpoint added"),
    "webhook.update": _l("Webhook endpoint changed"),
    "webhook.disable": _l("Webhook endpoint disabled"),
    "webhook.enable": _l("Webhook endpoint enabled"),
    "webhook.roll_secret": _l("Webhook secret rolled"),
    "webhook.test": _l("Webhook test event sent"),
    "webhook.redeliver": _l("Webhook delivery sent again"),
    "safety_plan.save": _l("Safety plan saved (new version)"),
    "safety_plan.view": _l("Safety plan viewed"),
    "safety_plan.print": _l("Safety plan printed"),
}

# ``<object type>.access``: an attempt to open something out of the actor's scope.
ACCESS_SUFFIX = ".access"


def action_label(code: str | None) -> str:
    if not code:
        return ""
    if code in ACTION_LABELS:
        return str(ACTION_LABELS[code])
    kind, dot, rest = code.partition(".")
    if dot + rest == ACCESS_SUFFIX and kind in OBJECT_LABELS:
        return _("Tried to open: %(object)s", object=OBJECT_LABELS[kind])
    return code


def object_label(object_type: str | None, object_id: object | None) -> str:
    """"case 14" in words: the type's label and the id, or the raw type when unknown."""
    if not object_type:
        return str(object_id or "")
    label = str(OBJECT_LABELS.get(object_type, object_type))
    return f"{label} #{object_id}" if object_id not in (None, "") else label


def outcome_label(code: str | None) -> str:
    return str(OUTCOME_LABELS.get(code or "", code or ""))
