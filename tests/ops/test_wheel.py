"""The built wheel is complete: installed on its own, it migrates and serves from outside the repo.

Templates and migrations are top-level in the repository and compiled catalogues are not in git;
the wheel must carry all of them inside the package (hatch_build.py). The wheel is installed
without dependencies into a fresh venv that sees this venv's packages through a .pth line (no
network, no repository on sys.path), then run from a temporary directory: `flask db upgrade` on
a new SQLite file and gunicorn serving /login in Russian with its stylesheet.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from referral.paths import PROJECT_ROOT

PROBE = """
import json, referral, referral.paths as p
print(json.dumps({"file": referral.__file__, "templates": str(p.TEMPLATES_DIR),
                  "migrations": str(p.MIGRATIONS_DIR)}))
"""


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A venv holding only the wheel; dependencies come from this venv's site-packages."""
    tmp = tmp_path_factory.mktemp("wheel")
    # hatchling is in the test lock, so the build needs no network (no isolated build env).
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
          "--wheel-dir", str(tmp / "dist"), str(PROJECT_ROOT)])
    wheels = list((tmp / "dist").glob("referral-*.whl"))
    assert len(wheels) == 1, wheels
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
          "--no-deps", "--no-index", str(wheels[0])])
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(_run([str(python), "-c", purelib]).stdout.strip())
    # A plain path line: this venv's own .pth files (the editable checkout) are not processed.
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def _env(tmp: Path) -> dict[str, str]:
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(REFERRAL_ENV="development", REFERRAL_INSTANCE_PATH=str(tmp / "instance"),
               DATABASE_URL=f"sqlite:///{tmp / 'app.sqlite'}", PYTHONDONTWRITEBYTECODE="1")
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, **headers: str) -> tuple[int, str]:
    assert url.startswith("http://127.0.0.1:")
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (checked above)
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status, response.read().decode("utf-8")


def test_installed_wheel_migrates_and_serves_outside_the_repository(installed, tmp_path):
    python = str(installed / "bin" / "python")
    run_dir = tmp_path / "elsewhere"
    run_dir.mkdir()
    env = _env(tmp_path)

    probe = json.loads(_run([python, "-c", PROBE], cwd=run_dir, env=env).stdout)
    package = Path(probe["file"]).parent
    assert package.is_relative_to(installed), probe
    assert Path(probe["templates"]) == package / "templates"
    assert Path(probe["migrations"]) == package / "migrations"
    for lang in ("ru", "kk"):
        assert (package / "translations" / lang / "LC_MESSAGES" / "messages.mo").is_file(), lang

    _run([python, "-m", "flask", "--app", "referral", "db", "upgrade"], cwd=run_dir, env=env)
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    head = ScriptDirectory.from_config(config).get_current_head()
    with sqlite3.connect(tmp_path / "app.sqlite") as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(head,)]
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"users", "cases"} <= tables, sorted(tables)

    port = _free_port()
    server = subprocess.Popen(
        [python, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "referral:create_app()"], cwd=run_dir, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                status, page = _get(f"{base}/login", **{"Accept-Language": "ru"})
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not answer within 30 s")
        assert status == 200
        assert "<h1>Войти</h1>" in page  # "Log in" from the compiled Russian catalogue
        stylesheets = re.findall(r'href="(/static/[^"]+\.css[^"]*)"', page)
        assert stylesheets, page[:2000]
        status, css = _get(base + stylesheets[0].replace("&amp;", "&"))
        assert status == 200 and "{" in css
    finally:
        server.terminate()
        server.wait(timeout=10)
