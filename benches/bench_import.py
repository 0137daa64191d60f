"""What ``import scimcore`` costs: a fresh interpreter importing it, against a fresh interpreter doing nothing.

The public names are imported on first use (``scimcore/__init__.py``), so that a server or a command-line tool
that needs only part of the package does not pay for grammars, schemas and decoders. Both commands run in the
same run, interleaved, best of 10 (``timing.py``). Measured 1.3x-1.6x here (about 8 ms over a 20 ms interpreter
start); importing every module eagerly instead costs about 100 ms more, so the bound of 3x catches it.
"""

from __future__ import annotations

import subprocess
import sys

from timing import ratio, require

MAX_RATIO = 3.0


def _python(code: str):
    return lambda: subprocess.run([sys.executable, "-c", code], check=True)


def test_import_cost_against_an_empty_interpreter():
    require(
        "python -c 'import scimcore' vs python -c 'pass'",
        lambda: ratio(_python("import scimcore"), _python("pass"), rounds=10),
        at_most=MAX_RATIO,
    )
