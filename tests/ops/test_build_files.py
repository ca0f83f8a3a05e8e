"""The hashed lock files match pyproject.toml, and make test, CI and the image install from them.

A dependency added to (or tightened in) pyproject.toml without re-locking fails here, naming the
command that refreshes the locks.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from referral.paths import PROJECT_ROOT

RELOCK = "run `make lock` (scripts/lock) and commit requirements.lock and requirements-test.lock"
# The lock's target (scripts/lock): markers are judged as there.
TARGET = {"python_version": "3.11", "python_full_version": "3.11.0", "sys_platform": "linux",
          "platform_system": "Linux", "platform_machine": "x86_64", "os_name": "posix",
          "implementation_name": "cpython", "platform_python_implementation": "CPython"}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def _project() -> dict:
    return tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text("utf-8"))["project"]


def _declared(lock: str) -> list[Requirement]:
    project = _project()
    names = list(project["dependencies"])
    if lock == "requirements-test.lock":
        names += project["optional-dependencies"]["test"]
    return [Requirement(r) for r in names]


def _entries(lock: str) -> dict[str, tuple[Version, str]]:
    """name → (pinned version, the entry's text with its hashes)."""
    text = (PROJECT_ROOT / lock).read_text("utf-8")
    entries: dict[str, tuple[Version, str]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = PIN.match(block)
        if match:
            entries[canonicalize_name(match.group(1))] = (Version(match.group(2)), block)
    return entries


def _extra_requirements(requirement: Requirement, version: Version) -> list[Requirement]:
    """What ``name[extra]`` adds, read from the installed distribution when it is the pinned one."""
    try:
        dist = metadata.distribution(requirement.name)
    except metadata.PackageNotFoundError:
        return []
    if Version(dist.version) != version:
        return []
    found = []
    for line in dist.requires or []:
        extra_requirement = Requirement(line)
        for extra in requirement.extras:
            if extra_requirement.marker and extra_requirement.marker.evaluate(
                    {**TARGET, "extra": extra}) and not extra_requirement.marker.evaluate(
                    {**TARGET, "extra": ""}):
                found.append(extra_requirement)
    return found


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-test.lock"])
def test_every_declared_dependency_is_locked_within_its_specifier(lock):
    entries = _entries(lock)
    problems = []
    queue = [r for r in _declared(lock) if not r.marker or r.marker.evaluate(TARGET)]
    while queue:
        requirement = queue.pop()
        name = canonicalize_name(requirement.name)
        if name not in entries:
            problems.append(f"{requirement} is not in {lock}")
            continue
        version = entries[name][0]
        if not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{lock} pins {name}=={version}, outside {requirement}")
        queue += _extra_requirements(requirement, version)
    assert not problems, "\n".join(problems) + f"\n→ {RELOCK}"


def test_every_dependency_has_an_upper_bound():
    """A new major version is taken on purpose (raise the bound, re-lock, run the tests)."""
    data = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text("utf-8"))
    names = (data["project"]["dependencies"] + data["project"]["optional-dependencies"]["test"]
             + data["build-system"]["requires"])
    bounding = ("<", "<=", "~=", "==")
    unbounded = [name for name in names
                 if not any(s.operator in bounding for s in Requirement(name).specifier)]
    assert not unbounded, f"give these an upper bound on the major version: {unbounded}"


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-test.lock"])
def test_every_pin_is_exact_and_hashed_and_no_mirror_is_written(lock):
    text = (PROJECT_ROOT / lock).read_text("utf-8")
    entries = _entries(lock)
    assert entries
    unhashed = [name for name, (_, block) in entries.items()
                if not re.search(r"--hash=sha256:[0-9a-f]{64}", block)]
    assert not unhashed, f"{unhashed} have no hash in {lock}: {RELOCK}"
    assert "://" not in text and "--index-url" not in text and "--find-links" not in text, (
        "the lock must not name an index or mirror (scripts/lock writes none)")
    assert "-e " not in text and canonicalize_name("referral") not in entries


def test_runtime_lock_is_the_test_lock_without_the_test_tools():
    runtime, test = _entries("requirements.lock"), _entries("requirements-test.lock")
    differ = {name: (version, test.get(name, (None,))[0])
              for name, (version, _) in runtime.items() if test.get(name, (None,))[0] != version}
    assert not differ, f"runtime and test pins differ {differ}: {RELOCK}"


def _makefile_rule(target: str) -> str:
    text = (PROJECT_ROOT / "Makefile").read_text("utf-8")
    match = re.search(rf"^{re.escape(target)}:.*\n(?:\t.*\n)*", text, re.M)
    assert match, target
    return match.group(0)


def test_make_test_installs_from_the_hashed_lock():
    rule = _makefile_rule("$(TEST_STAMP)")
    assert "$(TEST_LOCK)" in rule.splitlines()[0], "the venv is re-installed when the lock moves"
    assert "--require-hashes -r $(TEST_LOCK)" in rule
    assert "--no-deps -e ." in rule
    assert "TEST_LOCK := requirements-test.lock" in (PROJECT_ROOT / "Makefile").read_text("utf-8")
    assert "scripts/lock" in _makefile_rule("lock")
    assert (PROJECT_ROOT / "scripts" / "lock").stat().st_mode & 0o111


def _dockerfile_lines() -> list[str]:
    text = (PROJECT_ROOT / "Dockerfile").read_text("utf-8").replace("\\\n", " ")
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def test_the_image_installs_the_lock_with_hashes_then_the_wheel_without_dependencies():
    lines = _dockerfile_lines()
    stages = [i for i, line in enumerate(lines) if line.startswith("FROM ")]
    assert len(stages) == 2 and lines[stages[0]].endswith(" AS build")
    build, runtime = lines[stages[0]:stages[1]], lines[stages[1]:]
    assert any(re.search(r"^RUN pip wheel --no-deps --wheel-dir /dist \.$", line) for line in build)
    assert "COPY requirements.lock /tmp/requirements.lock" in runtime
    runs = [line for line in runtime if line.startswith("RUN ")]
    lock_at = next(i for i, line in enumerate(runs)
                   if "pip install --require-hashes -r /tmp/requirements.lock" in line)
    wheel_at = next(i for i, line in enumerate(runs)
                    if re.search(r"pip install --no-deps /tmp/dist/referral-\*\.whl", line))
    assert lock_at < wheel_at
    assert "COPY --from=build /dist/ /tmp/dist/" in runtime
    # No source tree in the runtime image: the installed wheel must stand on its own.
    copied = [line for line in runtime if line.startswith("COPY ") and "--from=" not in line]
    assert not [line for line in copied if re.search(r"\b(referral|templates|migrations)\b", line)]
