"""The package layout: one room per planning task, documented paths that import, no name clashes.

Rules (docs/development.md): every module imports; no public name of ``quartier`` is also the
name of a module; a module imports another room's public names only, never its private ones;
every ``quartier.<...>`` path written in the docs and the README resolves.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import quartier

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "quartier"
ROOMS = ("io", "reporting", "areas", "access", "planning", "output", "batch")


def _modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(quartier.__path__, "quartier."))


def _room(module: str) -> str | None:
    """The room of a dotted module name; None for the package root (the shared core)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[1] in ROOMS else None


def test_every_room_exists_and_every_module_imports():
    names = _modules()
    for room in ROOMS:
        assert f"quartier.{room}" in names, room
        assert (importlib.import_module(f"quartier.{room}").__doc__ or "").strip(), room
    for name in names:
        importlib.import_module(name)
    # the root holds only the core: settings, errors and shared private helpers
    root = {n.split(".")[1] for n in names if n.count(".") == 1} - set(ROOMS)
    assert root == {"errors", "settings", "_checks", "_report", "_overlay", "_optional"}, root


def test_no_public_name_is_also_a_module():
    module_names = {n.rsplit(".", 1)[-1] for n in _modules()}
    clashes = sorted(n for n in quartier.__all__ if n in module_names and n != "errors")
    assert clashes == [], f"public names that are also module names: {clashes}"
    assert "numbers" not in module_names  # would shadow the standard library's module


def _imports(path: Path) -> list[tuple[str, list[str], int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.module, [a.name for a in node.names], node.lineno))
        elif isinstance(node, ast.ImportFrom) and node.level:
            out.append(("." * node.level + (node.module or ""), [], node.lineno))
        elif isinstance(node, ast.Import):
            out.extend((a.name, [], node.lineno) for a in node.names)
    return out


def test_no_module_imports_another_rooms_private_names():
    bad = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC.parent).with_suffix("")
        here = ".".join(p for p in rel.parts if p != "__init__")
        for module, names, line in _imports(path):
            if module.startswith("."):
                bad.append(f"{path.name}:{line} relative import {module} (use quartier.<room>...)")
                continue
            if not module.startswith("quartier."):
                continue
            there = _room(module + ".x") if module.count(".") == 1 else _room(module)
            if there is None or there == _room(here):
                continue
            private = [p for p in module.split(".")[2:] if p.startswith("_")]
            private += [n for n in names if n.startswith("_")]
            if private:
                bad.append(f"{here}:{line} imports {module} {names} from room '{there}'")
    assert bad == [], "\n".join(bad)


_PATH = re.compile(r"(?<![\w/.])quartier(?:\.[A-Za-z_][A-Za-z0-9_]*)+")


def _resolve(dotted: str) -> object:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(dotted)


def _documented_paths() -> list[tuple[str, str]]:
    files = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
    found = []
    for f in files:
        for m in _PATH.finditer(f.read_text(encoding="utf-8")):
            path = m.group(0).rstrip(".")
            found.append((f.relative_to(REPO).as_posix(), path))
    return sorted(set(found))


@pytest.mark.parametrize(("where", "dotted"), _documented_paths())
def test_documented_paths_resolve(where, dotted):
    try:
        _resolve(dotted)
    except (ModuleNotFoundError, AttributeError) as exc:
        pytest.fail(f"{where} names {dotted}, which does not resolve: {exc}")
