"""The public names (``scimcore/__init__.pyi``, read by type checkers and, lazily, by ``scimcore/__init__.py``)."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import scimcore

STUB = Path(scimcore.__file__).with_name("__init__.pyi")


def _stub_lines() -> list[str]:
    return [line for line in STUB.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]


def test_every_line_of_the_stub_is_one_public_name_or_the_version():
    for line in _stub_lines():
        words = line.split()
        assert line == "__version__: str" or (
            len(words) == 6 and words[0::2] == ["from", "import", "as"] and words[3] == words[5]
        ), line


def test_every_public_name_resolves_to_what_its_module_defines():
    names = []
    for line in _stub_lines():
        if line.startswith("from "):
            _, module, _, name, _, _ = line.split()
            names.append(name)
            assert getattr(scimcore, name) is getattr(importlib.import_module(module, "scimcore"), name)
    assert scimcore.__all__ == sorted([*names, "__version__"]) == dir(scimcore)
    assert len(set(names)) == len(names)


def test_unknown_names_are_attribute_errors():
    try:
        scimcore.no_such_name  # noqa: B018
    except AttributeError as error:
        assert "no_such_name" in str(error)
    else:
        raise AssertionError("no AttributeError")


def test_star_import_gives_every_public_name():
    code = "from scimcore import *; import scimcore; print(all(n in globals() for n in scimcore.__all__))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"


def _unannotated(qualname: str, function: object) -> list[str]:
    try:
        signature = inspect.signature(function)  # type: ignore[arg-type]
    except (TypeError, ValueError):  # a builtin without a signature
        return []
    missing = [
        f"{qualname}({parameter.name})"
        for parameter in signature.parameters.values()
        if parameter.name not in ("self", "cls") and parameter.annotation is inspect.Parameter.empty
    ]
    if signature.return_annotation is inspect.Signature.empty and not qualname.endswith(".__init__"):
        missing.append(f"{qualname} -> ?")
    return missing


def test_public_signatures_are_annotated():
    """Every public function, and every public method of a public class, annotates its parameters and result."""
    missing = []
    for name in scimcore.__all__:
        value = getattr(scimcore, name)
        if inspect.isfunction(value):
            missing += _unannotated(name, value)
        elif inspect.isclass(value):
            for attribute, member in vars(value).items():
                function = member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
                public = not attribute.startswith("_") or attribute == "__init__"
                if public and inspect.isfunction(function) and function.__module__.startswith("scimcore"):
                    missing += _unannotated(f"{name}.{attribute}", function)
    assert not missing, "not annotated: " + ", ".join(missing)
