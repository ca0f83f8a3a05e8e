"""LICENSE is the full text of the licence pyproject.toml declares; the guides exist and the
README links them."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_license_is_the_declared_licence_in_full() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]["text"]
    assert declared == "AGPL-3.0-or-later"
    text = (ROOT / "LICENSE").read_text(encoding="ascii")
    lines = text.splitlines()
    assert lines[0].strip() == "GNU AFFERO GENERAL PUBLIC LICENSE"
    assert lines[1].strip() == "Version 3, 19 November 2007"
    # The FSF's agpl-3.0.txt, verbatim: 661 lines, from the preamble to section 17 and the
    # appendix on how to apply it ("or later" is the project's choice, in pyproject.toml).
    assert len(lines) == 661
    assert "  13. Remote Network Interaction; Use with the GNU General Public License." in lines
    assert lines[-1] == "<http://www.gnu.org/licenses/>."
    assert hashlib.md5(text.encode(), usedforsecurity=False).hexdigest() == (
        "73f1eb20517c55bf9493b7dd6e480788")


def test_readme_links_the_guides() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("docs/operations.md", "SECURITY.md", "CHANGELOG.md", "LICENSE"):
        assert f"({name})" in readme, name
        assert (ROOT / name).is_file(), name


def test_changelog_has_the_packaged_version() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{version}] - 2026-12-05" in changelog


def test_security_policy_gives_a_private_channel_and_the_scope() -> None:
    policy = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    assert "Report a vulnerability" in policy  # GitHub's private vulnerability reporting
    assert "Do not open a public issue" in policy
    for heading in ("## Supported versions", "## In scope", "## Out of scope", "## Safe harbour"):
        assert heading in policy, heading
    for kind in ("Authorization bypass", "Data leaks", "Audit tampering", "CSRF, XSS",
                 "Cryptography"):
        assert kind in policy, kind


def test_every_page_offers_the_source_when_the_operator_says_where(app, client) -> None:
    """AGPL-3.0 section 13: the footer links SOURCE_URL; unset, no dead link is shown."""
    assert "Source code" not in client.get("/login").get_data(as_text=True)
    app.config["SOURCE_URL"] = "https://example.org/referral/src"
    page = client.get("/login", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert '<a href="https://example.org/referral/src" rel="noopener">Исходный код</a>' in page
