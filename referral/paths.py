"""Where the project's folders are.

In the repository templates/ and migrations/ sit beside the package; the wheel carries them
inside it (referral/templates, referral/migrations, mapped in at build time by pyproject.toml),
so an installed app runs from any directory. The copy inside the package wins when present.
"""

import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent

# Installed from a wheel: templates/ is inside the package.
INSTALLED = (PACKAGE_DIR / "templates").is_dir()

TEMPLATES_DIR = (PACKAGE_DIR if INSTALLED else PROJECT_ROOT) / "templates"
MIGRATIONS_DIR = (PACKAGE_DIR if INSTALLED else PROJECT_ROOT) / "migrations"
# Flask's own default for an installed package (REFERRAL_INSTANCE_PATH overrides both).
INSTANCE_DIR = (Path(sys.prefix) / "var" / "referral-instance" if INSTALLED
                else PROJECT_ROOT / "instance")
