"""Filter parse time (RFC 7644 §3.4.2.2): native (Rust) vs Lark vs a hand-written pure-Python baseline.

With plain ``pytest`` (``--benchmark-disable``) each benchmark runs once as a test; ``pytest benches
--benchmark-enable`` gives the pytest-benchmark tables. ``test_speedups`` times all three end to end (text in,
AST Structs out, through ``scimcore.parse_filter``) in the same run and asserts the issue's requirements:
native >= 5x the hand-written baseline and >= 50x Lark, per filter on average over ``FILTERS``.

Timing (``timing.py``): each parser's loop calls ``parse_filter`` directly (no wrapper frame), the parsers'
repeats are interleaved (native, baseline, Lark, native, ...) so that a busy spell slows all of them, and each
keeps its best repeat; a measurement that misses a requirement is taken again (the best of at most three
counts). Per-filter ratios are printed for information. The short and the full mode are the same here: a
measurement takes a fraction of a second.

To compare two commits (e.g. before and after a change to the parser) in one run, on these filters:
``python benches/compare_commits.py --base REV`` (timings, ``--new-paths``, or ``--callgrind N`` instruction
counts).
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Callable

import pytest

from baseline_parser import parse_filter as baseline_parse
from scimcore.filter.ast import filter_to_json
from scimcore.filter.parse import BACKEND, parse_filter
from timing import best_interleaved, require

FILTERS = [
    'userName eq "bjensen"',
    'name.familyName co "O\'Malley"',
    'urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"',
    'meta.lastModified gt "2011-05-13T04:42:34Z"',
    'title pr and userType eq "Employee"',
    'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
    'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
    'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]',
    'emails[type eq "work"].value eq "bjensen@example.com" and active eq true',
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber ge 1000 and meta.version ne null",
]


# Every attribute name in FILTERS (none occurs in their values).
_ATTRIBUTE_NAMES = re.compile(
    r"\b(userName|name|familyName|meta|lastModified|title|userType|emails|value|type|ims|active|employeeNumber"
    r"|version)\b"
)


def _with_new_paths(copies: int) -> list[str]:
    """``copies`` copies of FILTERS, the attribute names of copy ``i`` suffixed with ``_i``: every path differs
    from the paths of the 255 copies before, so the native parser's ``AttrPath`` cache (256 paths) never hits."""
    return [_ATTRIBUTE_NAMES.sub(rf"\g<1>_{i}", text) for i in range(copies) for text in FILTERS]


def _native_available() -> bool:
    if importlib.util.find_spec("scimcore._native") is not None:
        return True
    if os.environ.get("CI"):
        pytest.fail("scimcore._native is not built; in CI the native backend must be built")
    return False


def _python(text):
    return parse_filter(text, backend="python")


def _native(text):
    return parse_filter(text, backend="native")


def _loop(parse: Callable, texts: list[str], **kwargs) -> Callable[[int], None]:
    """``run(n)``: ``n`` passes of ``parse(text, **kwargs)`` over ``texts``, the call written out in the loop."""
    if kwargs == {"backend": "native"} and BACKEND == "native":
        kwargs = {}  # the default call, as users make it

    if kwargs:

        def run(n: int) -> None:
            for _ in range(n):
                for text in texts:
                    parse(text, **kwargs)

    else:

        def run(n: int) -> None:
            for _ in range(n):
                for text in texts:
                    parse(text)

    return run


def _per_filter_seconds(runs: dict, loops: dict, texts: list[str], repeats: int) -> dict:
    """Per-filter time of each run: the best of ``repeats`` interleaved timings of ``loops[name]`` passes over
    ``texts`` (``timing.best_interleaved``)."""
    names = list(runs)
    best = best_interleaved(repeats, *[lambda run=runs[name], n=loops[name]: run(n) for name in names])
    return {name: seconds / (loops[name] * len(texts)) for name, seconds in zip(names, best, strict=True)}


def test_baseline_agrees_with_the_parsers():
    """The baseline produces the same ASTs, so the comparison is like for like."""
    for text in FILTERS:
        assert filter_to_json(baseline_parse(text)) == filter_to_json(_python(text))


def _bench_all(parse):
    for text in FILTERS:
        parse(text)


def test_bench_lark(benchmark):
    benchmark(_bench_all, _python)


def test_bench_baseline(benchmark):
    benchmark(_bench_all, baseline_parse)


def test_bench_native(benchmark):
    if not _native_available():
        pytest.skip("scimcore._native is not built")
    benchmark(_bench_all, _native)


def _timings(texts: list[str], repeats: int, scale: int = 1) -> dict:
    return _per_filter_seconds(
        {
            "native": _loop(parse_filter, texts, backend="native"),
            "baseline": _loop(baseline_parse, texts),
            "lark": _loop(parse_filter, texts, backend="python"),
        },
        {"native": 300 * scale, "baseline": 30 * scale, "lark": 6 * scale},
        texts,
        repeats,
    )


def test_speedups():
    if not _native_available():
        pytest.skip("scimcore._native is not built")
    _python(FILTERS[0])  # build the Lark parser outside the timings
    _native(FILTERS[0])
    print()
    for text in FILTERS:  # for information: each filter on its own
        t = _timings([text], repeats=5, scale=3)
        print(
            f"  {t['native'] * 1e6:5.2f} us native, {t['lark'] / t['native']:5.1f}x Lark,"
            f" {t['baseline'] / t['native']:4.1f}x baseline: {text}"
        )

    # 15 interleaved repeats of each parser, each keeping its best (timing.require measures again on a miss)
    def speedup(over: str) -> float:
        times = _timings(FILTERS, repeats=15)
        return times[over] / times["native"]

    require("parse_filter native vs the hand-written baseline (speed-up)", lambda: speedup("baseline"), at_least=5)
    require("parse_filter native vs Lark (speed-up)", lambda: speedup("lark"), at_least=50)


def test_speedup_with_new_paths():
    """For information, with a floor: the same filters with every attribute path new, so that the native
    parser builds every ``AttrPath`` (on a server the attribute names repeat, and the cache hits, as in
    ``test_speedups``). Measured here: 35x-50x Lark; the floor (25x) catches regressions."""
    if not _native_available():
        pytest.skip("scimcore._native is not built")
    texts = _with_new_paths(300)
    assert [filter_to_json(_native(t)) for t in texts[-10:]] == [filter_to_json(_python(t)) for t in texts[-10:]]
    runs = {
        "native": _loop(parse_filter, texts, backend="native"),
        "lark": _loop(parse_filter, texts, backend="python"),
    }

    def speedup() -> float:
        times = _per_filter_seconds(runs, {"native": 3, "lark": 1}, texts, repeats=5)
        return times["lark"] / times["native"]

    require("parse_filter native vs Lark, every attribute path new (speed-up)", speedup, at_least=25)
