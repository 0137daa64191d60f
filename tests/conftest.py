"""Shared fixtures: every parser test runs under both backends (ARCHITECTURE habit 6).

``backend`` is parametrised over ``"python"`` (Lark) and ``"native"`` (Rust). The native case is skipped only
when ``scimcore._native`` cannot be imported *and* the environment variable ``CI`` is unset; in CI a missing
native module is a failure, so a broken build cannot pass as a skip.
"""

from __future__ import annotations

import importlib
import os

import pytest

BACKENDS = ("python", "native")


def native_missing_reason() -> str | None:
    """Why the native backend cannot run here, or ``None`` when it is importable."""
    try:
        importlib.import_module("scimcore._native")
    except ImportError as error:
        return f"scimcore._native is not built ({error})"
    return None


def require_native() -> None:
    """Skip (outside CI) or fail (in CI) when the native module is missing."""
    reason = native_missing_reason()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; in CI the native backend must be built")
    pytest.skip(reason)


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """The filter parser backend under test: ``"python"`` or ``"native"``."""
    if request.param == "native":
        require_native()
    return request.param
