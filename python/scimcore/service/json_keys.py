"""Request bodies that give one object the same member name twice are refused (RFC 8259 §4; docs/semantics.md
§Protocol): 400 ``invalidSyntax`` naming the key and the object (a JSON Pointer, RFC 6901).

RFC 8259 leaves repeated names to the parser (most keep the last value); a SCIM service provider that kept one of
two ``userName`` values would store something the client may not have meant, so the service does not choose.
Names are compared after unescaping (``"a"`` and ``"\\u0061"`` are the same name), case-sensitively (names that
differ only in case are the schema's concern: the codec refuses them). The scan runs on a body the JSON decoder
has accepted, so the decoder's depth, syntax and UTF-8 limits come first; it is iterative, whatever the depth.

The scan is ``scimcore._native.repeated_key`` (one pass over the bytes in Rust); without the compiled module, or
with ``SCIMCORE_BACKEND=python``, :func:`python_repeated_key` does the same walk over a regular expression's
tokens (names with escapes read by :func:`json.loads`), with the same answer.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from typing import Any

from ..errors import InvalidSyntax

__all__ = ["check_unique_keys", "python_repeated_key"]

Found = tuple[list[str | int], str] | None
"""``None``, or the steps (names and indexes) to the object that repeats a name, and that name."""

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],]', re.DOTALL)
_SHOWN = 120  # characters of a name or a pointer quoted in the detail


def python_repeated_key(text: bytes | str) -> Found:
    """The first name given twice in one object of ``text`` (valid JSON), in text order, or ``None``."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "surrogatepass")
    frames: list[list[Any]] = []  # [set of names, current name, expecting a name] or [None, index, False]
    for token in _TOKEN.finditer(text):
        lexeme = token.group()
        if lexeme[0] == '"':
            if frames and frames[-1][2]:
                frame = frames[-1]
                name = lexeme[1:-1] if "\\" not in lexeme else json.loads(lexeme)
                if name in frame[0]:
                    return [step[1] for step in frames[:-1]], name
                frame[0].add(name)
                frame[1] = name
                frame[2] = False
        elif lexeme == "{":
            frames.append([set(), "", True])
        elif lexeme == "[":
            frames.append([None, 0, False])
        elif lexeme == ",":
            if frames:
                frame = frames[-1]
                if frame[0] is None:
                    frame[1] += 1
                else:
                    frame[2] = True
        elif frames:  # } or ]
            frames.pop()
    return None


def _native_scan() -> Callable[[bytes | str], Any] | None:
    """``scimcore._native.repeated_key`` (names as UTF-8 bytes), unless it is not built or is switched off."""
    if os.environ.get("SCIMCORE_BACKEND", "").strip().lower() == "python":
        return None
    try:
        from .. import _native
    except ImportError:
        return None
    return _native.repeated_key


_scan: Callable[[bytes | str], Any] = _native_scan() or python_repeated_key
"""The scan this process uses: the compiled one, else :func:`python_repeated_key`."""


def _as_text(found: tuple[list[Any], Any]) -> tuple[list[str | int], str]:
    steps, name = found
    return [_text(step) if isinstance(step, bytes) else step for step in steps], _text(name)


def _text(name: bytes | str) -> str:
    """A name the native scan gives as generalized UTF-8 (lone surrogates kept), as ``str``."""
    return name.decode("utf-8", "surrogatepass") if isinstance(name, bytes) else name


def check_unique_keys(text: bytes | str, what: str = "request body") -> None:
    """Raise ``InvalidSyntax`` when an object of ``text`` (JSON the decoder accepted) repeats a name."""
    found = _scan(text)
    if found is None:
        return
    steps, name = _as_text(found)
    pointer = "".join("/" + (str(step) if isinstance(step, int) else _escaped(step)) for step in steps)
    where = f"the object at {_shown(pointer)}" if steps else "the top-level object"
    raise InvalidSyntax(f"the {what} gives the key {_shown(json.dumps(name))} twice in {where}")


def _escaped(name: str) -> str:
    """A name as a JSON Pointer reference token (RFC 6901 §3)."""
    return name.replace("~", "~0").replace("/", "~1")


def _shown(text: str) -> str:
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."
