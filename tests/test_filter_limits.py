"""Limits and hostile input (docs/semantics.md §Filters; ARCHITECTURE habit 8): the same clean error on both backends.

Nesting depth (default 64), comparisons (default 1,000), length (65,536 UTF-8 bytes) and lone surrogates.
Hostile inputs must fail with ``InvalidFilter``, never with ``RecursionError`` or a crash; that they fail fast
(in time linear in their length) is ``benches/bench_limits.py``.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from scimcore.errors import InvalidFilter, InvalidPath
from scimcore.filter.ast import filter_to_json
from scimcore.filter.limits import FilterLimits
from scimcore.filter.parse import parse_filter, parse_path


def _error(text, backend, limits=None, parse=parse_filter):
    with pytest.raises((InvalidFilter, InvalidPath)) as info:
        parse(text, backend=backend, limits=limits)
    return info.value.code, info.value.position


def _nested(depth: int, opener: str = "(") -> str:
    return opener * depth + "a pr" + ")" * depth


# --- depth --------------------------------------------------------------------------------------------------


def test_depth_64_parses(backend):
    assert filter_to_json(parse_filter(_nested(64), backend=backend)) == b'{"node":"present","path":{"name":"a"}}'


def test_depth_65_is_too_deep_at_the_65th_parenthesis(backend):
    assert _error(_nested(65), backend) == ("too_deep", 64)


def test_not_groups_count_once(backend):
    parse_filter(_nested(64, "not ("), backend=backend)
    assert _error(_nested(65, "not ("), backend) == ("too_deep", 64 * 5 + 4)


def test_brackets_count(backend):
    parse_filter("(" * 63 + "a[b pr]" + ")" * 63, backend=backend)
    assert _error("(" * 64 + "a[b pr]" + ")" * 64, backend) == ("too_deep", 65)


def test_too_deep_on_an_unexpected_parenthesis(backend):
    """The checks run on the root lexer's token too: ``a eq (`` on the 65th level is too_deep."""
    assert _error("(" * 64 + "a eq (", backend) == ("too_deep", 69)
    assert _error("(" * 63 + "a eq (", backend) == ("expected_value", 68)


def test_depth_closes_again(backend):
    """Depth is the number of open groups, not the number of groups."""
    text = " and ".join([_nested(64)] * 3)
    assert len(parse_filter(text, backend=backend).terms) == 3


def test_custom_depth_limit(backend):
    limits = FilterLimits(max_depth=2)
    parse_filter("((a pr))", backend=backend, limits=limits)
    assert _error("(a[(b pr)])", backend, limits) == ("too_deep", 3)
    parse_path("a[(b pr)]", backend=backend, limits=limits)
    assert _error("a[((b pr))]", backend, limits, parse_path) == ("too_deep", 3)


def test_too_deep_message_names_the_limit(backend):
    with pytest.raises(InvalidFilter) as info:
        parse_filter(_nested(5), backend=backend, limits=FilterLimits(max_depth=4))
    assert info.value.detail == "the filter is nested deeper than the limit of 4 levels at position 4"


# --- comparisons --------------------------------------------------------------------------------------------


def _chain(count: int) -> str:
    return " and ".join(f"a{i} pr" for i in range(count))


def test_1000_comparisons_parse(backend):
    assert len(parse_filter(_chain(1000), backend=backend).terms) == 1000


def test_1001_comparisons_fail_at_the_1001st(backend):
    text = _chain(1001)
    assert _error(text, backend) == ("too_many_comparisons", text.index("a1000 pr"))


def test_entra_trailing_comparison_counts_at_its_subattr(backend):
    text = _chain(999) + ' and x[y pr].z eq "v"'
    assert _error(text, backend) == ("too_many_comparisons", text.index(".z"))
    parse_filter(_chain(998) + ' and x[y pr].z eq "v"', backend=backend)


def test_syntax_error_wins_over_too_many_comparisons(backend):
    assert _error(_chain(1001) + " and", backend) == ("expected_filter", len(_chain(1001)) + 4)


def test_custom_comparison_limit(backend):
    limits = FilterLimits(max_comparisons=2)
    assert _error("a pr and b[c pr or d eq 1]", backend, limits) == ("too_many_comparisons", 19)
    assert _error("x[a pr and b pr and c pr]", backend, limits, parse_path) == ("too_many_comparisons", 20)


# --- length and characters ----------------------------------------------------------------------------------


def _string_filter(total_bytes: int, char: str = "x") -> str:
    body = (total_bytes - len('a eq ""')) // len(char.encode())
    return f'a eq "{char * body}"'


def test_length_limit_in_utf8_bytes(backend):
    assert parse_filter(_string_filter(65536), backend=backend).value == "x" * 65529
    assert _error(_string_filter(65537), backend) == ("too_long", 0)
    text = _string_filter(65538, "é")  # 32,769 characters, 65,538 bytes
    assert len(text) < 65536
    assert _error(text, backend) == ("too_long", 0)


def test_custom_length_limit(backend):
    limits = FilterLimits(max_length=8)
    assert parse_filter("a eq 123", backend=backend, limits=limits).value == 123
    assert _error("a eq 1234", backend, limits) == ("too_long", 0)
    with pytest.raises(InvalidPath) as info:
        parse_path("members.value", backend=backend, limits=limits)
    assert info.value.detail == "the input is longer than the limit of 8 bytes at position 0"


@pytest.mark.parametrize(
    "text, position",
    [('a eq "\ud800"', 6), ("\udfff pr", 0), ('a eq "x" and b eq "\udbff\udfff"', 19)],
)
def test_lone_surrogate_is_invalid_character(backend, text, position):
    assert _error(text, backend) == ("invalid_character", position)
    assert _error(text, backend, parse=parse_path) == ("invalid_character", position)


@pytest.mark.parametrize("value", [None, 42, b"title pr", ["title pr"]])
def test_non_text_input(backend, value):
    with pytest.raises(InvalidFilter) as info:
        parse_filter(value, backend=backend)
    assert (info.value.code, info.value.position) == ("expected_filter", 0)
    with pytest.raises(InvalidPath):
        parse_path(value, backend=backend)


# --- hostile input ------------------------------------------------------------------------------------------


HUGE = FilterLimits(max_length=10_000_000)


@pytest.mark.parametrize(
    "text, limits, expected",
    [
        ("(" * 200_000, HUGE, ("too_deep", 64)),
        ("(" * 200_000, None, ("too_long", 0)),
        ("not (" * 100_000, HUGE, ("too_deep", 64 * 5 + 4)),
        ("a[" * 100_000, HUGE, ("nested_value_path", 3)),
        ('a eq "' + "x" * 1_000_000, HUGE, ("invalid_string", 5)),
        ('a eq "' + "\\n" * 30_000 + "\\x", None, ("invalid_string", 5)),
        ("a eq " + "1" * 1_000_000, HUGE, ("invalid_number", 5)),
        ("a" * 1_000_000 + ".", HUGE, ("invalid_attribute_path", 0)),
        ("a pr and " * 7_000, None, ("expected_filter", 63_000)),
    ],
    ids=["parens", "parens-default-limits", "not", "brackets", "string", "escapes", "number", "word", "chain"],
)
def test_hostile_input_fails_cleanly(backend, text, limits, expected):
    assert _error(text, backend, limits) == expected


_DEEP_SCRIPT = """
import sys
from scimcore.errors import InvalidFilter
from scimcore.filter.limits import FilterLimits
from scimcore.filter.parse import parse_filter
limits = FilterLimits(max_length=10**7, max_depth=10**7)
try:
    parse_filter("(" * 200000, backend=sys.argv[1], limits=limits)
except InvalidFilter as error:
    print(error.code, error.position)
"""


def test_depth_limit_lifted_needs_no_recursion(backend):
    """With the depth limit lifted, 200,000 ``(`` still end in a clean error (run apart: a crash must not end
    the test session)."""
    done = subprocess.run([sys.executable, "-c", _DEEP_SCRIPT, backend], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["expected_filter", "200000"]


_DEEP_TREE_SCRIPT = """
import sys
from scimcore.filter.limits import FilterLimits
from scimcore.filter.parse import parse_filter
n = 200000
limits = FilterLimits(max_length=10**7, max_depth=10**7)
tree = parse_filter("not (" * n + "a pr" + ")" * n, backend=sys.argv[1], limits=limits)
node, depth = tree, 0
while type(node).__name__ == "Not":
    node, depth = node.filter, depth + 1
print(depth, node)
del node, tree  # freeing 200,000 nested nodes must not overflow the C stack
print("freed")
"""


def test_deep_tree_with_lifted_limits_is_built_and_freed(backend):
    """With the depth limit lifted, a 200,000-deep tree is built, and freed without a crash (run apart)."""
    done = subprocess.run(
        [sys.executable, "-c", _DEEP_TREE_SCRIPT, backend], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["200000", "a", "pr", "freed"]
