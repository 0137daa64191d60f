"""Run every benchmark once and write the results: ``python benches/run_all.py [pytest args]``.

Runs ``pytest benches --benchmark-enable`` (so each suite's ratio tests run and the pytest-benchmark
timings are collected), then writes ``bench-results/benchmarks.json`` (pytest-benchmark's JSON) and
``bench-results/benchmarks.md`` (a table per group). Suites write their own ratio tables as well, e.g.
``bench-results/directory.md``. Sizes follow each suite's environment variables (``SCIMCORE_BENCH_USERS``:
``SCIMCORE_BENCH_USERS=300000 python benches/run_all.py`` is the full directory run).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results"


def main(argv: list[str]) -> int:
    RESULTS.mkdir(exist_ok=True)
    raw = RESULTS / "benchmarks.json"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "benches",
        "--benchmark-enable",
        f"--benchmark-json={raw}",
        "-q",
        "-s",
        *argv,
    ]
    status = subprocess.call(command, cwd=ROOT)
    if raw.exists():
        (RESULTS / "benchmarks.md").write_text(markdown(json.loads(raw.read_text())) + "\n")
        print(f"wrote {RESULTS / 'benchmarks.md'} and {raw}")
    return status


def markdown(data: dict) -> str:
    info = data.get("machine_info", {})
    cpu = info.get("cpu", {})
    lines = [
        "### Benchmarks (pytest-benchmark)",
        "",
        f"Machine: {cpu.get('count', '?')} cores, {cpu.get('brand_raw', '?')}, Python {info.get('python_version', '?')}.",
    ]
    groups: dict[str, list] = defaultdict(list)
    for bench in data.get("benchmarks", []):
        groups[bench.get("group") or bench.get("fullname", "").split("::")[0]].append(bench)
    for group, benches in sorted(groups.items()):
        fastest = min(b["stats"]["min"] for b in benches)
        lines += [
            "",
            f"#### {group}",
            "",
            "| benchmark | min (ms) | mean (ms) | rounds | relative |",
            "|---|---:|---:|---:|---:|",
        ]
        for b in sorted(benches, key=lambda b: b["stats"]["min"]):
            s = b["stats"]
            lines.append(
                f"| {b['name']} | {s['min'] * 1000:.3f} | {s['mean'] * 1000:.3f} | {s['rounds']} "
                f"| {s['min'] / fastest:.1f}x |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
