"""Coordinator workspace: overdue review, case conferences, coverage and statistics.

- ``models``, ``scope``: conferences, their agenda, attendance and actions, and who sees them;
- ``service/``: conferences, conference actions and the overdue review;
- ``stats/``: agency performance, coverage and the statistics export, and their definitions;
- ``views/``: the Blueprint (``views/__init__``) and its route modules; ``forms``;
- ``notify`` (notification kinds, the action reminder rule), ``panels`` (home page), ``cli``,
  ``demo``;
- ``coordinators`` (who coordinates which region) and ``local_time`` (the display zone's days).
"""
