"""Layering the store work relies on: ``errors`` and ``policy`` are leaves (they import nothing of the package),
and the shared store front knows no backend (it imports none of them, and no backend imports another)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "python" / "scimcore"


def _package_imports(path: Path) -> set[str]:
    """The package modules ``path`` imports, anywhere in it (top level or inside functions), as dotted names
    relative to ``scimcore``."""
    module = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
    package = module.rsplit(".", 1)[0] if "." in module else ""
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                found.add(".".join([*base, *(node.module.split(".") if node.module else [])]))
            elif node.module and node.module.split(".")[0] == "scimcore":
                found.add(node.module.removeprefix("scimcore").lstrip("."))
        elif isinstance(node, ast.Import):
            found.update(
                a.name.removeprefix("scimcore").lstrip(".") for a in node.names if a.name.startswith("scimcore")
            )
    return found


@pytest.mark.parametrize("leaf", ["errors.py", "policy.py"])
def test_leaves_import_nothing_of_the_package(leaf):
    assert _package_imports(PACKAGE / leaf) == set()


def test_the_front_knows_no_backend():
    backends = {"store.memory", "store.native", "sql.directory", "directory"}
    assert not _package_imports(PACKAGE / "store" / "front.py") & backends
    for backend in ("store/memory.py", "store/native.py", "sql/directory.py"):
        assert not (_package_imports(PACKAGE / backend) & backends), backend


def test_the_import_check_sees_imports():
    """The helper above finds relative and absolute imports, also local ones (so the leaf test can fail)."""
    found = _package_imports(PACKAGE / "store" / "front.py")
    assert {"errors", "policy", "query", "store.contract"} <= found
