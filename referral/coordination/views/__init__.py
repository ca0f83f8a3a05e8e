"""Coordination pages: the overdue review (``review``), figures (``figures``), case conferences
(``conferences``) and conference actions (``actions``); the Blueprint is in ``blueprint``."""

from referral.coordination.views import actions, conferences, figures, review  # noqa: F401 - routes
from referral.coordination.views.blueprint import bp

__all__ = ["bp"]
