"""Line counts of the filter and directory code (issue 13's "smaller and clearer"), at git revisions or in the tree.

    python benches/line_counts.py                  # the working tree
    python benches/line_counts.py 2169f36 9d41aab  # last stop's figures: 2,875 -> 3,034 and 4,983 -> 5,185

Python: ``python/scimcore/filter/*.py``, the shared code generator ``_codegen.py``, ``_directory_plan.py``,
``directory.py``, ``sql/translate.py`` and the pure-Python directory (``_directory_python.py``, renamed
``store/memory.py``). Rust: every ``rust/**/*.rs`` but the generated ``fold_table.rs`` and the tests (``tests.rs``,
``tests/``). A line is a newline, as ``wc -l`` counts.
"""

from __future__ import annotations

import subprocess
import sys
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = [
    "python/scimcore/filter/*.py",
    "python/scimcore/_codegen.py",
    "python/scimcore/_directory_plan.py",
    "python/scimcore/_directory_python.py",
    "python/scimcore/store/memory.py",
    "python/scimcore/directory.py",
    "python/scimcore/sql/translate.py",
]


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout


def _is_python(path: str) -> bool:
    folder, _, name = path.rpartition("/")
    return any(folder == where and fnmatch(name, names) for where, _, names in (p.rpartition("/") for p in PYTHON))


def _is_rust(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return (
        path.startswith("rust/")
        and path.endswith(".rs")
        and name not in ("fold_table.rs", "tests.rs")
        and ("/tests/" not in path)
    )


def counts(revision: str | None) -> dict[str, dict[str, int]]:
    """``{"python": {path: lines}, "rust": {path: lines}}`` at ``revision`` (``None``: the working tree)."""
    listing = (
        _git("ls-tree", "-r", "--name-only", revision) if revision else _git("ls-files", "-co", "--exclude-standard")
    )
    out: dict[str, dict[str, int]] = {"python": {}, "rust": {}}
    for path in sorted(set(listing.split())):
        kind = "python" if _is_python(path) else "rust" if _is_rust(path) else None
        if kind is None:
            continue
        if revision:
            text = _git("show", f"{revision}:{path}")
        elif (ROOT / path).is_file():
            text = (ROOT / path).read_text(encoding="utf-8")
        else:
            continue  # deleted in the working tree
        out[kind][path] = text.count("\n")
    return out


def main(revisions: list[str]) -> None:
    for revision in revisions or [None]:
        found = counts(revision)
        print(f"== {revision or 'working tree'}")
        for kind, files in found.items():
            for path, lines in files.items():
                print(f"{lines:>7}  {path}")
            print(f"{sum(files.values()):>7,}  {kind} total\n")


if __name__ == "__main__":
    if any(arg.startswith("-") for arg in sys.argv[1:]):
        sys.exit(__doc__)
    try:
        main(sys.argv[1:])
    except subprocess.CalledProcessError as error:
        sys.exit(f"line_counts: git {' '.join(error.cmd[1:])} failed: {error.stderr.strip()}")
