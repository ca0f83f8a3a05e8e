"""The case pages, on one Blueprint (``bp``, made in ``blueprint.py``): each route module
imported here adds its routes to it. Thin: form → one service call → commit."""

from referral.cases.views import access, case, emergency, offences, people, work
from referral.cases.views.blueprint import bp
from referral.cases.views.helpers import _do, render_and_commit

__all__ = ["_do", "access", "bp", "case", "emergency", "offences", "people",
           "render_and_commit", "work"]
