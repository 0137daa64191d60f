"""The README cannot drift: its ``>>>`` examples run as doctests, its command-line examples as shell commands.

Python: every ```` ```python ```` block, in order, in one namespace (as a reader types them into one session),
run by :mod:`doctest` from the repository root with ``ELLIPSIS`` (``...`` elides long output). Console: every
```` ```console ```` block is a ``$ command`` and its output (standard error and standard output as a terminal
shows them); the command runs with ``bash`` from the repository root and must print exactly that. Two kinds of
console block are not run: installation commands (``pip ...``), and ``scimcore bench``, whose figures are
timings of the machine the README was written on.
"""

from __future__ import annotations

import doctest
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"^```(python|console)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
NOT_RUN = ("pip ", "scimcore bench")


def _blocks(kind: str) -> list[tuple[int, str]]:
    """(line number, text) of every block of ``kind``."""
    return [(README.count("\n", 0, m.start()) + 1, m.group(2)) for m in BLOCK.finditer(README) if m.group(1) == kind]


def test_python_examples(monkeypatch):
    monkeypatch.chdir(ROOT)
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    namespace: dict[str, object] = {}
    blocks = _blocks("python")
    assert blocks
    for line, text in blocks:
        test = parser.get_doctest(text, namespace, "README.md", "README.md", line)
        runner.run(test, clear_globs=False)
        namespace = test.globs  # the next block goes on in the same session
    assert runner.failures == 0, f"{runner.failures} README example(s) failed: see the output above"


CONSOLE = [(line, text) for line, text in _blocks("console") if not text.startswith(tuple(f"$ {c}" for c in NOT_RUN))]


@pytest.mark.parametrize("line, text", CONSOLE, ids=[f"README.md:{line}" for line, _ in CONSOLE])
def test_console_example(line, text):
    command, _, expected = text.partition("\n")
    assert command.startswith("$ "), f"README.md:{line}: a console block starts with '$ '"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env["PYTHONIOENCODING"] = "utf-8"
    done = subprocess.run(
        ["bash", "-c", f"{{ {command[2:]}; }} 2>&1"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.stdout == expected, f"README.md:{line}: {command}"
