"""Where other sources join the case rule: case ids shared with an agency, and the data
categories a sharing gives (accepted referrals, granted access requests, emergency access).

A module of its own so that sources, in cases/ and in later domains, register without importing
the rule that reads them (referral.cases.scope).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Select

from referral.access.scope import Actor, clear_rule_cache

SharingSource = Callable[[Actor], Select[tuple[int]]]
CategorySource = Callable[[Actor, int], set[str]]

# What parts of a case a user may read once they see it. Owners, coordinators of the region and
# named members read everything; an agency that sees the case through a sharing reads only the
# categories its source gives (for a referral, those the survivor consented to).
DATA_CATEGORIES = ("identity_contact", "incident_details", "risk_assessment", "children")

SHARING: list[SharingSource] = []
# Sources that let the actor read a case and never change it (emergency access): the case rule
# shows their cases like any shared case; ``referral.cases.scope.read_only_reach`` tells writes
# apart.
READ_ONLY_SHARING: list[SharingSource] = []
CATEGORY_SOURCES: list[CategorySource] = []
READ_ONLY_CATEGORY_SOURCES: list[CategorySource] = []


def register_case_sharing(source: SharingSource) -> SharingSource:
    """Add a source of case ids shared with the actor's agency (e.g. accepted referrals)."""
    SHARING.append(source)
    clear_rule_cache()
    return source


def register_read_only_sharing(source: SharingSource) -> SharingSource:
    """Add a source of case ids the actor may read but not change (emergency access)."""
    READ_ONLY_SHARING.append(source)
    return register_case_sharing(source)


def register_category_source(source: CategorySource, *, read_only: bool = False
                             ) -> CategorySource:
    """``read_only``: the categories it gives are read, never written (emergency access)."""
    CATEGORY_SOURCES.append(source)
    if read_only:
        READ_ONLY_CATEGORY_SOURCES.append(source)
    return source
