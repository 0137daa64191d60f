"""Filter parse time of two commits, measured in one run: ``python benches/compare_commits.py [options]``.

A ratio taken on different days is no comparison on a machine shared with other work. This script builds the
``--base`` commit (by default the commit before the filter AST gained spans) into a virtual environment of its
own, and times its ``parse_filter`` against the ``--head`` version (by default the ``scimcore`` that the running
interpreter imports, e.g. this working tree after ``maturin develop --release``) on the same filters
(``bench_parse.FILTERS``), in one run:

- each version runs in its own worker process; the controller interleaves their timings (base native, base
  Lark, head native, head Lark, then the next filter; the order of the versions alternates by round), and each
  keeps its best of ``--rounds`` rounds, as ``timing.best_interleaved`` does within one process;
- it prints, per filter, the native parse time of each version, their ratio, and each version's speed-up over
  its own Lark parser; and over all the filters, the figure ``bench_parse.test_speedups`` asserts (the total
  time of Lark / that of the native parser);
- ``--new-paths`` times the filters of ``bench_parse.test_speedup_with_new_paths`` (every attribute path new)
  instead, ``--callgrind`` counts the instructions of each native parse with valgrind's callgrind instead of
  timing (the same count for the same build, input and environment, whatever else the machine does; the
  environment variables shift it a little, so compare counts taken in one run).

Before timing, the two versions must parse every filter to the same ``filter_to_json``. A commit is built once
(``maturin build --release``, fat LTO: a few minutes) under ``$TMPDIR/scimcore-commits/<sha>/`` and reused; its
environment gets the msgspec and Lark versions of the running interpreter, so that only scimcore differs.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Outside the repository: a commit's sources inside it would be taken for a member of its Cargo workspace.
COMMITS = Path(tempfile.gettempdir()) / "scimcore-commits"
DEFAULT_BASE = "2b17584^1"  # main before the merge that gave the filter AST its spans (issue 13)


# --- the worker: runs in each version's interpreter, imports only the standard library before `scimcore` ---


def worker() -> None:
    """Answers one JSON request per line on stdin: ``{"items": [[text, ...], ...]}`` once, then ``{"backend":
    "native" | "python", "index": i, "loops": n}``: the seconds that ``n`` passes of ``parse_filter`` over the
    texts of item ``i`` take."""
    from scimcore.filter.ast import filter_to_json
    from scimcore.filter.parse import BACKEND, parse_filter

    assert BACKEND == "native", "the native parser is not built in this environment"
    items = json.loads(sys.stdin.readline())["items"]
    texts = [text for item in items for text in item]
    encoded = [filter_to_json(parse_filter(text)).decode() for text in texts]
    lark = [filter_to_json(parse_filter(text, backend="python")).decode() for text in texts]
    assert encoded == lark, "the native and Lark parsers disagree"
    _answer({"json": encoded})
    gc.disable()  # as timing.best_interleaved: no collection charged to the wrong run
    for line in sys.stdin:
        request = json.loads(line)
        item, loops = items[request["index"]], range(request["loops"])
        if request["backend"] == "native":  # the default call, as users make it
            start = time.perf_counter()
            for _ in loops:
                for text in item:
                    parse_filter(text)
        else:
            start = time.perf_counter()
            for _ in loops:
                for text in item:
                    parse_filter(text, backend="python")
        _answer({"seconds": time.perf_counter() - start})


def _answer(data: dict) -> None:
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()


def counted(items: list[list[str]], index: int, loops: int) -> None:
    """What ``--callgrind`` runs: every text parsed once, then ``loops`` passes over the texts of item ``index``."""
    from scimcore.filter.parse import parse_filter

    for item in items:
        for text in item:
            parse_filter(text)
    for _ in range(loops):
        for text in items[index]:
            parse_filter(text)


# --- the controller ---


class Version:
    """One version of scimcore: an interpreter that imports it, and a worker process running there."""

    def __init__(self, label: str, python: Path, items: list[list[str]]) -> None:
        self.label, self.python = label, python
        self.process = subprocess.Popen(
            [str(python), __file__, "--worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.json = self.ask({"items": items})["json"]

    def ask(self, request: dict) -> dict:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.label} worker stopped (exit status {self.process.wait()})")
        return json.loads(line)

    def close(self) -> None:
        assert self.process.stdin
        self.process.stdin.close()
        self.process.wait()


def _run(command: list[str], **kwargs) -> None:
    print("+", " ".join(command), file=sys.stderr)
    subprocess.run(command, check=True, **kwargs)


def _installed_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def environment(revision: str) -> tuple[str, Path]:
    """The commit's full hash and an interpreter with that commit's scimcore installed (built once)."""
    sha = subprocess.run(
        ["git", "rev-parse", "--verify", f"{revision}^{{commit}}"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    place = COMMITS / sha
    python = place / "venv" / "bin" / "python"
    if (place / "ready").exists():
        return sha, python
    shutil.rmtree(place, ignore_errors=True)
    source, wheels = place / "source", place / "wheels"
    source.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", sha], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
    env = {**os.environ, "CARGO_TARGET_DIR": str(COMMITS / "target")}
    _run(["maturin", "build", "--release", "--out", str(wheels)], cwd=source, env=env)
    _run([sys.executable, "-m", "venv", str(place / "venv")])
    (wheel,) = wheels.glob("*.whl")
    pins = [f"msgspec=={_installed_version('msgspec')}", f"lark=={_installed_version('lark')}"]
    _run([str(python), "-m", "pip", "install", "-q", str(wheel), *pins])
    (place / "ready").write_text(revision + "\n")
    return sha, python


def _describe(python: Path) -> str:
    code = "import scimcore, os; print(os.path.dirname(scimcore.__file__))"
    return subprocess.run([str(python), "-c", code], check=True, capture_output=True, text=True).stdout.strip()


def timings(versions: list[Version], items: list[list[str]], rounds: int) -> dict:
    """``{(label, backend, index): best seconds per parse}`` of each item, all interleaved in one run."""
    best: dict = {}
    for round_ in range(rounds):
        ordered = versions if round_ % 2 == 0 else versions[::-1]
        for index, item in enumerate(items):
            for version in ordered:
                for backend, parses in (("native", 2000), ("python", 40)):
                    loops = max(1, parses // len(item))
                    seconds = version.ask({"backend": backend, "index": index, "loops": loops})["seconds"]
                    key = (version.label, backend, index)
                    best[key] = min(best.get(key, float("inf")), seconds / (loops * len(item)))
    return best


def _shown(item: list[str]) -> str:
    text = item[0] if len(item) == 1 else f"{len(item)} texts like {item[0]}"
    return text if len(text) <= 70 else text[:67] + "..."


def report_timings(best: dict, labels: list[str], items: list[list[str]]) -> None:
    base, head = labels
    print(f"\nper filter: native parse time (us) of {base} and {head}, {head}/{base} time, speed-up over Lark")
    print(f"{base:>8} {head:>8} {'time':>6} {'Lark x':>7} {'Lark x':>7}  filter")
    print(f"{'':>8} {'':>8} {head + '/':>6} {base:>7} {head:>7}")
    for index, item in enumerate(items):
        native = [best[(label, "native", index)] for label in labels]
        lark = [best[(label, "python", index)] / best[(label, "native", index)] for label in labels]
        print(
            f"{native[0] * 1e6:8.3f} {native[1] * 1e6:8.3f} {native[1] / native[0]:6.3f}"
            f" {lark[0]:6.1f}x {lark[1]:6.1f}x  {_shown(item)}"
        )
    print("\nall filters (as bench_parse.test_speedups: the total time of Lark / the total time of native)")
    totals = {}
    for label in labels:
        native = totals[label] = sum(best[(label, "native", i)] for i in range(len(items)))
        lark = sum(best[(label, "python", i)] for i in range(len(items)))
        print(f"  {label}: native {native * 1e6 / len(items):.3f} us per filter, {lark / native:.1f}x Lark")
    print(f"  {head}/{base} native time: {totals[head] / totals[base]:.3f}")


def instructions(python: Path, items: list[list[str]], index: int, loops: int) -> int:
    """Callgrind's instruction count of a run of :func:`counted`."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "callgrind.out"
        code = f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import compare_commits as c; "
        code += f"c.counted({items!r}, {index}, {loops})"
        subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", str(python), "-c", code],
            check=True,
            capture_output=True,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        return int(re.findall(r"^(?:summary|totals): (\d+)", out.read_text(), re.MULTILINE)[0])


def report_instructions(pythons: dict, items: list[list[str]], loops: int) -> None:
    base, head = labels = list(pythons)
    print(f"\ninstructions per native parse (callgrind: (count with {loops} passes - count with none) / parses)")
    print(f"{base:>9} {head:>9} {head + '/' + base:>9}  filter")
    start = {label: instructions(python, items, 0, 0) for label, python in pythons.items()}
    sums = dict.fromkeys(labels, 0.0)
    for index, item in enumerate(items):
        count = {
            label: (instructions(pythons[label], items, index, loops) - start[label]) / (loops * len(item))
            for label in labels
        }
        for label in labels:
            sums[label] += count[label]
        print(f"{count[base]:9.0f} {count[head]:9.0f} {count[head] / count[base]:9.3f}  {_shown(item)}")
    print(f"{sums[base]:9.0f} {sums[head]:9.0f} {sums[head] / sums[base]:9.3f}  (sum over the filters)")


def main(argv: list[str]) -> int:
    if argv == ["--worker"]:
        worker()
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=DEFAULT_BASE, help=f"the earlier commit (default {DEFAULT_BASE})")
    parser.add_argument("--head", help="the later commit (default: the scimcore this interpreter imports)")
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds, each version keeps its best")
    parser.add_argument("--new-paths", action="store_true", help="every attribute path new (no AttrPath cache hit)")
    parser.add_argument("--callgrind", type=int, metavar="LOOPS", help="count instructions instead of timing")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(Path(__file__).parent))
    from bench_parse import FILTERS, _with_new_paths

    if args.new_paths:  # per filter, 300 copies with new attribute names: more than the cache's 256 paths
        copies = _with_new_paths(300)
        items = [copies[i :: len(FILTERS)] for i in range(len(FILTERS))]
    else:
        items = [[text] for text in FILTERS]
    base_sha, base_python = environment(args.base)
    head_python = Path(sys.executable) if args.head is None else environment(args.head)[1]
    pythons = {"base": base_python, "head": head_python}
    print(f"base: {args.base} = {base_sha[:10]} ({_describe(base_python)})")
    print(f"head: {args.head or 'this interpreter'} ({_describe(head_python)})")
    if args.callgrind:
        report_instructions(pythons, items, args.callgrind)
        return 0
    versions = [Version(label, python, items) for label, python in pythons.items()]
    try:
        if versions[0].json != versions[1].json:
            raise SystemExit("the two versions parse the filters to different ASTs: no like-for-like comparison")
        best = timings(versions, items, args.rounds)
    finally:
        for version in versions:
            version.close()
    report_timings(best, list(pythons), items)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
