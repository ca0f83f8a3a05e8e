"""Build hook: make the wheel complete, so an installed app runs outside the repository.

- templates/ and migrations/ stay top-level in the repository; the wheel carries them inside
  the package (referral/templates, referral/migrations), where referral/paths.py looks first.
- Compiled catalogues (.mo) are not in git, and an installed wheel has no `make translations`
  to run, so every referral/translations/*/LC_MESSAGES/*.po is compiled (fuzzy entries
  included, as `pybabel compile -f` does for development) into a temporary folder and added.
The source tree is left untouched. Editable installs skip all of it: they run from the
checkout, where `make translations` compiles in place.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

CATALOGUES = "referral/translations"
MAPPED = {"templates": "referral/templates", "migrations": "referral/migrations"}


class CustomBuildHook(BuildHookInterface):
    """Adds the mapped folders and the compiled catalogues to a standard wheel."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root)
        for source, target in MAPPED.items():
            for path in sorted((root / source).rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                    relative = path.relative_to(root / source).as_posix()
                    build_data["force_include"][str(path)] = f"{target}/{relative}"
        self._compile_catalogues(root, build_data)

    def _compile_catalogues(self, root: Path, build_data: dict[str, Any]) -> None:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        sources = sorted((root / CATALOGUES).glob("*/LC_MESSAGES/*.po"))
        if not sources:
            raise RuntimeError(f"no catalogues under {CATALOGUES}: the wheel would be English-only")
        self._tmp = Path(tempfile.mkdtemp(prefix="referral-mo-"))
        for po in sources:
            relative = po.relative_to(root).with_suffix(".mo")
            target = self._tmp / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as source:
                catalog = read_po(source, locale=po.parent.parent.name)
            with target.open("wb") as out:
                write_mo(out, catalog, use_fuzzy=True)
            build_data["force_include"][str(target)] = relative.as_posix()

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        tmp = getattr(self, "_tmp", None)
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
