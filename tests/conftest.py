"""Shared fixtures: every parser test runs under both backends (ARCHITECTURE habit 6).

``backend`` is parametrised over ``"python"`` (Lark) and ``"native"`` (Rust). The native case is skipped only
when ``scimcore._native`` cannot be imported *and* the environment variable ``CI`` is unset; in CI a missing
native module is a failure, so a broken build cannot pass as a skip.

Property tests (hypothesis) run under a settings profile chosen by ``SCIMCORE_HYPOTHESIS_PROFILE``:

- ``ci`` (the default): ``derandomize=True``, so every run draws the same examples (a test's examples depend
  only on the test), no example database, no deadline and no health check that depends on timing, and 100
  examples per property. A test that wants more writes ``max_examples=settings.default.max_examples * k``.
- ``stress``: the same, deterministic too, with 20 times the examples (2,000 per property where ``ci`` has
  100), for long runs: ``SCIMCORE_HYPOTHESIS_PROFILE=stress pytest tests/test_filter_parity.py``.
"""

from __future__ import annotations

import importlib
import os

import pytest
from hypothesis import HealthCheck, settings

BACKENDS = ("python", "native")

_DETERMINISTIC = {
    "derandomize": True,
    "database": None,
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow],
}
settings.register_profile("ci", max_examples=100, **_DETERMINISTIC)
settings.register_profile("stress", max_examples=2000, **_DETERMINISTIC)
settings.load_profile(os.environ.get("SCIMCORE_HYPOTHESIS_PROFILE", "ci"))


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
