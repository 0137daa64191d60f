"""``tests/typing/user_script.py`` runs as well as type-checks (``mypy --strict tests/typing`` in ``.ci/run``)."""

from __future__ import annotations

import runpy
from pathlib import Path


def test_the_typing_script_runs():
    runpy.run_path(str(Path(__file__).with_name("typing") / "user_script.py"))
