"""The shape every package keeps (docs/architecture.md, "The shape of a domain").

Each check reads the source with ``ast`` and lists every offender with its place, so a failure
says what to change. The layering:

- the kernel (``KERNEL``) is imported by everyone and imports no domain;
- ``referral.web`` holds the helpers every view uses; only its wiring modules (``WEB_WIRING``)
  reach into the domains, to register them and to load the signed-in user;
- a domain imports the kernel, ``referral.web`` and domains before it in
  ``referral.domains.DOMAINS``, never one after it;
- a plug point (``PLUG_POINTS``) is a registry other domains plug into (home panels, health
  checks, notification kinds, reminder rules, case hooks): any domain may import it, whichever
  package it lives in;
- the top-level wiring modules (``TOP_WIRING``) may import anything and only the web wiring
  imports them.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from referral.domains import DOMAINS

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "referral"
MAX_MODULE_LINES = 400
MAX_VIEW_LINES = 20

KERNEL = frozenset({
    "access", "audit", "events", "errors", "extensions", "models_base", "paths", "settings",
    "setting_kinds", "config", "bulk", "replica", "sealing",
})
WEB_WIRING = frozenset({
    "referral.web",  # registers every domain's blueprint and commands (referral.domains)
    "referral.web.hooks",  # loads the signed-in user and their actor (accounts)
    "referral.web.labels",  # the labels templates show for domain codes
})
TOP_WIRING = frozenset({
    "referral", "referral.cli", "referral.demo", "referral.devserver", "referral.domains",
    "referral.models", "referral.settings_reference",
})
PLUG_POINTS = frozenset({
    "referral.home.panels", "referral.home.health", "referral.notifications.kinds",
    "referral.notifications.links", "referral.notifications.mailer",
    "referral.notifications.rules", "referral.cases.hooks",
})

# Raw SQL naming a scoped table bypasses the scope listener, so it lives only in these named
# helpers, each tested against the rule it must agree with.
RAW_SQL_HELPERS = {
    "referral/coordination/stats/month_rows.py":
        "rebuilds the month figures of referrals outside restricted cases, as the triggers do "
        "(tests/coordination/test_month_rows.py)",
}

ROUTE_DECORATORS = frozenset({"route", "get", "post", "put", "patch", "delete"})


@dataclass(frozen=True)
class Module:
    name: str
    path: Path

    @property
    def rel(self) -> str:
        return str(self.path.relative_to(ROOT))

    @property
    def unit(self) -> str:
        """What the layering places: the first-level package or top-level module (``cases``
        for ``referral.cases.models``, ``config`` for ``referral.config``)."""
        parts = self.name.split(".")
        return parts[1] if len(parts) > 1 else ""


@cache
def modules() -> dict[str, Module]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = Module(".".join(parts), path)
    return found


@cache
def tree(module: Module) -> ast.Module:
    return ast.parse(module.path.read_text(encoding="utf-8"), filename=str(module.path))


def _resolve(name: str) -> str | None:
    """The module an imported name lives in: the name itself, or its nearest parent module."""
    mods = modules()
    while name and name not in mods:
        name = name.rpartition(".")[0]
    return name or None


@cache
def imports(name: str) -> dict[str, int]:
    """Every referral module ``name`` imports, at module level or inside functions, with the
    line of the first import. ``from a.b import c`` counts as importing ``a.b.c`` when that is
    a module, else ``a.b``; a parent package is not counted (it holds no code of the child)."""
    module = modules()[name]
    package = name if module.path.name == "__init__.py" else name.rpartition(".")[0]
    found: dict[str, int] = {}
    for node in ast.walk(tree(module)):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [_resolve(a.name) or "" for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                targets.append(full if full in modules() else _resolve(base) or "")
        for target in targets:
            if target.startswith("referral") and target != name:
                found.setdefault(target, node.lineno)
    return found


def _cycles() -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(start: str) -> None:
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(imports(start))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(imports(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))

    for name in sorted(modules()):
        if name not in index:
            visit(name)
    return sorted(groups)


def _report(title: str, offenders: list[str]) -> str:
    return f"{title} ({len(offenders)}):\n  " + "\n  ".join(offenders)


def test_no_import_cycle_between_modules() -> None:
    offenders = []
    for group in _cycles():
        members = set(group)
        edges = [f"{a} -> {b} (line {line})" for a in group
                 for b, line in sorted(imports(a).items()) if b in members]
        offenders.append("cycle: " + ", ".join(group) + "\n    " + "\n    ".join(edges))
    assert not offenders, _report("modules that import each other, directly or round a "
                                  "circle (function-level imports count)", offenders)


def _layer_offence(source: Module, target: Module) -> str | None:
    a, b = source.unit, target.unit
    if source.name in TOP_WIRING:
        return None
    if target.name in TOP_WIRING:
        return None if source.name in WEB_WIRING else "imports a top-level wiring module"
    if a == b or b in KERNEL:
        return None
    if a in KERNEL:
        return f"the kernel ({a}) imports {b}"
    if a == "web":
        return None if source.name in WEB_WIRING else "a web helper imports a domain"
    if b == "web" or target.name in PLUG_POINTS:
        return None
    if a not in DOMAINS or b not in DOMAINS:
        return f"{a if a not in DOMAINS else b} is neither kernel, web nor in DOMAINS"
    if DOMAINS.index(b) > DOMAINS.index(a):
        return f"{a} imports {b}, which comes after it in DOMAINS"
    return None


def test_packages_import_only_downwards() -> None:
    mods = modules()
    offenders = []
    for name in sorted(mods):
        for target, line in sorted(imports(name).items()):
            why = _layer_offence(mods[name], mods[target])
            if why:
                offenders.append(f"{mods[name].rel}:{line} imports {target}: {why}")
    assert not offenders, _report("imports against the layering", offenders)


def test_no_module_over_400_lines() -> None:
    offenders = []
    for module in modules().values():
        count = len(module.path.read_text(encoding="utf-8").splitlines())
        if count > MAX_MODULE_LINES:
            offenders.append(f"{module.rel}: {count} lines")
    assert not offenders, _report(f"modules over {MAX_MODULE_LINES} lines", sorted(offenders))


def _is_route(decorator: ast.expr) -> bool:
    return (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
            and decorator.func.attr in ROUTE_DECORATORS)


def view_functions() -> Iterator[tuple[Module, ast.FunctionDef]]:
    for module in modules().values():
        for node in ast.walk(tree(module)):
            if isinstance(node, ast.FunctionDef) and any(map(_is_route, node.decorator_list)):
                yield module, node


def test_no_view_function_over_20_lines() -> None:
    offenders = []
    for module, node in view_functions():
        length = (node.end_lineno or node.lineno) - node.lineno + 1
        if length > MAX_VIEW_LINES:
            offenders.append(f"{module.rel}:{node.lineno} {node.name}: {length} lines")
    assert not offenders, _report(f"view functions over {MAX_VIEW_LINES} lines (def to last "
                                  "line; use referral.web.submit.submit_form)", sorted(offenders))


def test_the_view_check_sees_views() -> None:
    """Guards the check above: it must find the app's routes, not pass on finding none."""
    names = {(m.name, node.name) for m, node in view_functions()}
    assert ("referral.home.views", "index") in names
    assert len(names) > 50


def test_every_model_declares_its_scope() -> None:
    from referral.access.scope import unmarked_models
    from referral.models import all_models

    problems = unmarked_models(all_models())
    assert not problems, _report("models without a scope decision", problems)


def test_notifications_import_no_domain_by_string() -> None:
    offenders = []
    for module in modules().values():
        if module.unit != "notifications":
            continue
        for node in ast.walk(tree(module)):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Name) and node.id == "__import__":
                names = ["__import__"]
            if any(n.split(".")[0] in ("importlib", "__import__") for n in names):
                offenders.append(f"{module.rel}:{node.lineno}")
    assert not offenders, _report("importlib in referral/notifications (domains register "
                                  "with it instead)", offenders)


_SQL = re.compile(r"\b(select\b[\s\S]*\bfrom|update\s+\w+\s+set|delete\s+from|insert\s+into|"
                  r"join|truncate|create\s+(or\s+replace\s+)?(trigger|function|view|index)|"
                  r"alter\s+table)\b", re.IGNORECASE)


def _docstrings(module_tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(module_tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def raw_sql_naming(tables: set[str]) -> list[str]:
    """Every string in referral/ (docstrings aside) that reads as SQL and names one of
    ``tables``, as ``path:line table``."""
    names = re.compile(r"(?<![\w.:'\"])(" + "|".join(sorted(tables, key=len, reverse=True))
                       + r")(?!\w)")
    found = []
    for module in modules().values():
        docs = _docstrings(tree(module))
        for node in ast.walk(tree(module)):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and id(node) not in docs and _SQL.search(node.value)):
                named = sorted(set(names.findall(node.value)))
                if named:
                    found.append(f"{module.rel}:{node.lineno} {', '.join(named)}")
    return sorted(found)


def test_raw_sql_on_scoped_tables_only_in_named_helpers() -> None:
    from referral.access.scope import scoped_models
    from referral.models import all_models

    all_models()
    tables = {model.__table__.name for model in scoped_models()}  # type: ignore[attr-defined]
    assert {"cases", "referrals", "people"} <= tables
    offenders = [hit for hit in raw_sql_naming(tables)
                 if hit.partition(":")[0] not in RAW_SQL_HELPERS]
    assert not offenders, _report("raw SQL naming a scoped table outside RAW_SQL_HELPERS "
                                  "(it bypasses the scope listener)", offenders)


def test_the_raw_sql_scan_finds_sql() -> None:
    """Guards the scan: the allowed helper's statement is found, a docstring is not."""
    hits = raw_sql_naming({"referrals", "cases"})
    assert any(h.startswith(next(iter(RAW_SQL_HELPERS))) for h in hits), hits
    assert _SQL.search("SELECT id FROM cases WHERE x") and not _SQL.search("the cases we see")
