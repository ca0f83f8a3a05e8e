"""Where the project's folders are (templates and migrations sit beside the package)."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
