"""The coordination services: case conferences (``conferences``, what qualifies a case for one in
``agenda_criteria``, the actions agreed there in ``actions``), and the overdue review
(``review``, its statements in ``review_queries``, its one-button row moves in
``review_actions``). The figures (performance, coverage, export) are in ``coordination.stats``.

Every public service takes the actor first and runs as it (``referral.access.scoped``); callers
commit.
"""
