"""Run every benchmark suite and write the results: ``python benches/run_all.py [--full] [pytest args]``.

Runs ``pytest benches --benchmark-enable`` (each suite's ratio tests, and the pytest-benchmark timings of its
``test_bench_*`` entries), in the short mode CI runs, or with ``--full`` in the full mode (``SCIMCORE_BENCH=full``,
the sizes of the README's figures). Then writes, under ``bench-results/``:

- ``benchmarks.json``: ``{"ratios": [...], "pytest_benchmark": {...}}``, every ratio a suite asserted (name,
  value, bound, each measurement) and pytest-benchmark's own JSON;
- ``benchmarks.md``: the same as Markdown tables.

Suites may write their own tables as well (``bench-results/directory*.md``). Exits with pytest's status.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results"


def main(argv: list[str]) -> int:
    full = "--full" in argv
    argv = [arg for arg in argv if arg != "--full"]
    RESULTS.mkdir(exist_ok=True)
    timings, ratios = RESULTS / "pytest-benchmark.json", RESULTS / "ratios.jsonl"
    for stale in (timings, ratios):
        stale.unlink(missing_ok=True)
    env = {**os.environ, "SCIMCORE_BENCH_RESULTS": str(ratios), "SCIMCORE_BENCH": "full" if full else "short"}
    command = [sys.executable, "-m", "pytest", "benches", "--benchmark-enable", f"--benchmark-json={timings}", "-q"]
    status = subprocess.call([*command, *argv], cwd=ROOT, env=env)
    data = {
        "mode": "full" if full else "short",
        "ratios": [json.loads(line) for line in ratios.read_text().splitlines()] if ratios.exists() else [],
        "pytest_benchmark": json.loads(timings.read_text()) if timings.exists() else {},
    }
    for temporary in (timings, ratios):
        temporary.unlink(missing_ok=True)
    (RESULTS / "benchmarks.json").write_text(json.dumps(data, indent=2) + "\n")
    (RESULTS / "benchmarks.md").write_text(markdown(data) + "\n")
    print(f"wrote {RESULTS / 'benchmarks.md'} and {RESULTS / 'benchmarks.json'}")
    return status


def markdown(data: dict) -> str:
    """The ratios, then pytest-benchmark's timings grouped by suite, as Markdown."""
    info = data["pytest_benchmark"].get("machine_info", {})
    cpu = info.get("cpu", {})
    lines = [
        f"### Benchmarks ({data['mode']} mode)",
        "",
        f"Machine: {cpu.get('count', '?')} cores, {cpu.get('brand_raw', '?')}, "
        f"Python {info.get('python_version', '?')}.",
        "",
        "#### Ratios asserted (against a baseline measured in the same run)",
        "",
        "| what | ratio | required | measurements |",
        "|---|---:|---|---|",
    ]
    for entry in data["ratios"]:
        measured = ", ".join(f"{value:.2f}x" for value in entry["measured"])
        lines.append(f"| {entry['name']} | {entry['ratio']:.2f}x | {entry['bound']} | {measured} |")
    groups: dict[str, list] = defaultdict(list)
    for bench in data["pytest_benchmark"].get("benchmarks", []):
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
