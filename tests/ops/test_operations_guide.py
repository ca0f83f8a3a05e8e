"""The commands docs/operations.md tells an operator to run are real: each is taken from the
guide's text and run as written (less `docker compose run --rm <service>`) against a fresh
database in production configuration, and prints what the guide says it prints."""

from __future__ import annotations

import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "operations.md"
PREFIX = re.compile(r"^docker compose run --rm (?:web|migrate) (flask --app referral .*)$")


def _section(title: str) -> str:
    """The guide's section whose heading ends with ``title``."""
    text = GUIDE.read_text(encoding="utf-8")
    match = re.search(rf"\n## [^\n]*{re.escape(title)}\n", text)
    assert match, title
    end = text.find("\n## ", match.end())
    return text[match.start():end if end > 0 else None]


def _commands(section: str) -> list[tuple[list[str], list[str]]]:
    """(argv, the comment lines after it) for each `docker compose run … flask` line of the
    section's shell blocks, continuation lines joined."""
    found: list[tuple[list[str], list[str]]] = []
    for block in re.findall(r"```bash\n(.*?)```", section, flags=re.S):
        joined = re.sub(r"\\\n\s*", "", block)
        for line in joined.splitlines():
            line = line.strip()
            match = PREFIX.match(line.split("   #")[0].strip())
            if match:
                found.append((shlex.split(match.group(1)), []))
            elif line.startswith("# ") and found:
                found[-1][1].append(line[2:])
    return found


def _run(argv: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess:
    # `flask` in the container is this Python's flask.
    command = [sys.executable, "-m", "flask", *argv[1:]]
    return subprocess.run(command, env=env, input=stdin, capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def production_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One migrated database for the module: the guide's steps build on each other."""
    tmp_path = tmp_path_factory.mktemp("guide")
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERRAL_")}
    env.update(REFERRAL_ENV="production", SECRET_KEY=secrets.token_urlsafe(48),
               REFERRAL_DOCUMENTS_KEY="7eo/eY//Em8tBNr5fiqkSFOlqOz7YibvnOSJenKc5dM=",
               REFERRAL_INSTANCE_PATH=str(tmp_path),
               DATABASE_URL=f"sqlite:///{tmp_path / 'guide.sqlite'}")
    env.pop("REDIS_URL", None)
    migrated = _run(["flask", "--app", "referral", "db", "upgrade"], env)
    assert migrated.returncode == 0, migrated.stderr
    return env


def test_first_administrator_commands_work_as_written(production_env: dict[str, str]) -> None:
    commands = _commands(_section("The first administrator"))
    names = [argv[3] for argv, _ in commands]
    assert names == ["load-regions", "create-agency", "create-user"]
    password = "Guide-Tested-Passphrase-2026"
    for argv, expected in commands:
        result = _run(argv, production_env, stdin=f"{password}\n{password}\n")
        assert result.returncode == 0, (argv, result.stdout, result.stderr)
        printed = [line for line in expected if not line.startswith(("Password", "("))]
        for line in printed:
            assert line in result.stdout, (argv, line, result.stdout)
    assert "--role" in commands[-1][0] and "administrator" in commands[-1][0]


def test_demo_is_refused_in_production(production_env: dict[str, str]) -> None:
    result = _run(["flask", "--app", "referral", "seed-demo"], production_env)
    assert result.returncode != 0
    assert "refused in production configuration" in result.stderr
    assert "refused in production configuration" in _flat(_section("The first administrator"))


def test_retention_and_audit_commands_of_the_guide(production_env: dict[str, str]) -> None:
    commands = _commands(_section("etention and legal holds"))
    assert ["retention", "run", "--dry-run"] in [argv[3:] for argv, _ in commands]
    for argv, _ in commands:
        assert argv[3:5] == ["retention", "run"]
        result = _run(argv, production_env)
        assert result.returncode == 0, (argv, result.stderr)
        if "--dry-run" in argv:
            assert "would purge 0 case(s)" in result.stdout
    verify = _run(["flask", "--app", "referral", "audit", "verify"], production_env)
    assert verify.returncode == 0 and "audit chain intact" in verify.stdout
    assert "flask --app referral audit verify" in _flat(GUIDE.read_text(encoding="utf-8"))


def test_incident_commands_of_the_guide(production_env: dict[str, str]) -> None:
    """Runs after the first administrator exists (module order): the leaked-account commands
    shut them out from the server."""
    commands = _commands(_section("Incident response"))
    assert [argv[3:5] for argv, _ in commands] == [["accounts", "deactivate"],
                                                  ["accounts", "reset-second-factor"]]
    for argv, expected in commands:
        result = _run(argv, production_env)
        assert result.returncode == 0, (argv, result.stdout, result.stderr)
        shape = re.sub(r"\d+", "N", expected[0])
        assert re.sub(r"\d+", "N", result.stdout.strip()) == shape, (result.stdout, expected)
    verify = _run(["flask", "--app", "referral", "audit", "verify"], production_env)
    assert verify.returncode == 0, verify.stderr
