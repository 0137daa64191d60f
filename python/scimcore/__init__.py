"""scimcore: the SCIM 2.0 core (RFC 7643 schema, RFC 7644 protocol) for Python identity servers.

The public names are the ``from .module import Name as Name`` lines of ``__init__.pyi``, the package's type
stub: type checkers read them there, and this module reads the same lines to import each name from its module
on first use, so that ``import scimcore`` stays cheap (grammars, schemas and decoders are built when first
needed). Adding a public name is adding its line to ``__init__.pyi``.
"""

from __future__ import annotations

import os
from importlib import import_module

__version__ = "0.2.0"

_exports: dict[str, str] = {}  # public name -> the module that defines it, read from __init__.pyi on first use


def _public() -> dict[str, str]:
    if not _exports:
        with open(os.path.join(os.path.dirname(__file__), "__init__.pyi"), encoding="utf-8") as stub:
            for line in stub:
                words = line.split()
                if len(words) == 6 and words[0::2] == ["from", "import", "as"] and words[3] == words[5]:
                    _exports[words[3]] = words[1]
    return _exports


def __getattr__(name: str) -> object:
    if name == "__all__":
        return __dir__()
    module = _public().get(name)
    if module is None:
        raise AttributeError(f"module 'scimcore' has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*_public(), "__version__"])
