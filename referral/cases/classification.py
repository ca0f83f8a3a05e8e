"""GBVIMS classification of an incident: one type, plus the case context.

The type is the highest of GBVIMS's ordered list that either the ticked facts or the chosen
offence give: any non-consensual penetration is rape whether or not "sexual" was ticked, and an
offence implies its own least type (120 rape, 121 sexual assault, 125-1 forced marriage), so
what the police qualified and what the form says can never disagree downwards. The context
(intimate-partner violence, child sexual abuse, early marriage, harmful traditional practice)
is what was ticked plus what the survivor's relationship and age on the day show.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

# GBVIMS's six core types, most serious first: an incident takes the first that applies.
GBV_ORDER = ("rape", "sexual_assault", "physical_assault", "forced_marriage",
             "denial_of_resources", "psychological_abuse")
GBV_TYPES = {
    "rape": _l("Rape"),
    "sexual_assault": _l("Sexual assault"),
    "physical_assault": _l("Physical assault"),
    "forced_marriage": _l("Forced marriage"),
    "denial_of_resources": _l("Denial of resources, opportunities or services"),
    "psychological_abuse": _l("Psychological / emotional abuse"),
    "non_gbv": _l("Not gender-based violence"),
}
CONTEXTS = {
    "intimate_partner": _l("Intimate-partner violence"),
    "child_sexual_abuse": _l("Child sexual abuse"),
    "early_marriage": _l("Early marriage (under 18)"),
    "harmful_practice": _l("Harmful traditional practice (e.g. bride kidnapping)"),
}
OFFENCE_KINDS = {
    "crime": _l("Crime"),
    "criminal_misdemeanour": _l("Criminal misdemeanour"),
    "administrative": _l("Administrative offence"),
    "": _l("Depends on the part"),
}
# Relationships of the survivor to the alleged offender that make it intimate-partner violence
# (the codes of referral.cases.models.RELATIONSHIP_LABELS; a common child implies a relationship).
INTIMATE_PARTNERS = frozenset({"spouse", "former_spouse", "partner", "former_partner",
                               "common_child_parent"})
ADULT_AGE = 18


@dataclass(frozen=True)
class Facts:
    """What the form says happened (the flags the type is derived from)."""

    physical: bool = False
    sexual: bool = False
    psychological: bool = False
    economic: bool = False
    penetration: bool = False
    forced_marriage: bool = False


def flag_types(facts: Facts) -> set[str]:
    """The GBVIMS types the ticked facts give. Penetration stands on its own: it is rape."""
    pairs = (("rape", facts.penetration), ("sexual_assault", facts.sexual),
             ("physical_assault", facts.physical), ("forced_marriage", facts.forced_marriage),
             ("denial_of_resources", facts.economic),
             ("psychological_abuse", facts.psychological))
    return {code for code, holds in pairs if holds}


def gbv_type(facts: Facts, offence_gbv_type: str = "") -> str:
    """The most serious type that the facts or the offence give, or "non_gbv" if none."""
    found = flag_types(facts) | ({offence_gbv_type} if offence_gbv_type else set())
    return next((code for code in GBV_ORDER if code in found), "non_gbv")


def derived_contexts(gbv: str, *, relationship: str | None, age: int | None,
                     forced_marriage: bool = False) -> set[str]:
    """The context the recorded facts already show (the user may add more, never remove)."""
    found: set[str] = set()
    if relationship in INTIMATE_PARTNERS:
        found.add("intimate_partner")
    if age is not None and age < ADULT_AGE:
        if gbv in ("rape", "sexual_assault"):
            found.add("child_sexual_abuse")
        if gbv == "forced_marriage" or forced_marriage:
            found.add("early_marriage")
    return found

