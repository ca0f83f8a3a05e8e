"""API targets for tests/test_cross_agency_404.py, gathered from ``tests/api/targets_*.py``
(one module per part of the API, each with a ``TARGETS`` dict)."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

TARGETS: dict[str, Any] = {}
for _path in sorted(Path(__file__).parent.glob("targets_*.py")):
    TARGETS.update(importlib.import_module(f"tests.api.{_path.stem}").TARGETS)
