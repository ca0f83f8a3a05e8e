"""The catalogue of services agencies offer and referrals ask for: code -> label."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

SERVICES = {
    "shelter": _l("Shelter / crisis accommodation"),
    "psychological": _l("Psychological support"),
    "legal_aid": _l("Legal aid"),
    "medical": _l("Medical care"),
    "social_support": _l("Social support and benefits"),
    "child_protection": _l("Child protection"),
    "family_support_plan": _l("Family support center work plan"),
    "police_protection": _l("Police protection (protective order follow-up)"),
    "correctional_programme": _l("Correctional programme for the alleged offender"),
}

