"""The AST nodes are frozen msgspec Structs (docs/filter-language.md), whichever parser built them."""

from __future__ import annotations

import inspect
from decimal import Decimal

import msgspec
import pytest

from scimcore.filter import parse as front
from scimcore.filter.ast import And, AttrPath, Compare, Not, Or, PatchPath, Present, ValuePath, filter_to_json
from scimcore.filter.parse import parse_filter, parse_path

A = AttrPath(name="a")
B = Present(path=AttrPath(name="b"))
NODES = {
    AttrPath: {"name": "a"},
    Compare: {"path": A, "op": "eq", "value": 1},
    Present: {"path": A},
    And: {"terms": (B, B)},
    Or: {"terms": (B, B)},
    Not: {"filter": B},
    ValuePath: {"path": A, "filter": B},
    PatchPath: {"path": A},
}
BACKENDS = ["python"] + (["native"] if front._native_parser is not None else [])


@pytest.mark.parametrize("cls", list(NODES), ids=lambda cls: cls.__name__)
def test_nodes_are_frozen_and_built_by_keyword_or_in_field_order(cls):
    """Keywords, as users write them, or positionally in the listed order, as the parsers call them
    (filter/construct.py): the spans come after a node's other fields."""
    parameters = inspect.signature(cls).parameters.values()
    assert [p.name for p in parameters] == list(cls.__struct_fields__)
    assert all(p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in parameters)
    assert cls.__struct_config__.frozen
    node = cls(**NODES[cls])
    assert cls(*NODES[cls].values()) == node
    with pytest.raises(AttributeError):
        node.path = A
    if cls not in (AttrPath, PatchPath):
        assert list(cls.__struct_fields__)[len(NODES[cls]) :][:2] == ["start", "end"]
        assert cls(*NODES[cls].values(), 3, 9).span == (3, 9)


def test_spans_follow_the_fields_in_the_parsers_order():
    compare = Compare(A, "eq", 1, 0, 6, 0, 1)
    assert (compare.span, compare.path_span) == ((0, 6), (0, 1))
    assert ValuePath(A, B, 0, 9, 0, 1).path_span == (0, 1)
    assert Present(A, 0, 4, 0, 1).path_span == (0, 1)
    assert Compare(path=A, op="eq", value=1).path_span is None


@pytest.mark.parametrize("backend", BACKENDS)
def test_parsers_build_the_same_structs(backend):
    text = 'a eq 1 and not (b.c pr or urn:x:y:d ge 1.5) and e[f eq "g"] and h[i lt null].j eq true'
    ast = parse_filter(text, backend=backend)
    assert ast == And(
        terms=(
            Compare(path=AttrPath(name="a"), op="eq", value=1),
            Not(
                filter=Or(
                    terms=(
                        Present(path=AttrPath(name="b", sub="c")),
                        Compare(path=AttrPath(name="d", uri="urn:x:y"), op="ge", value=Decimal("1.5")),
                    )
                )
            ),
            ValuePath(path=AttrPath(name="e"), filter=Compare(path=AttrPath(name="f"), op="eq", value="g")),
            ValuePath(
                path=AttrPath(name="h"),
                filter=And(
                    terms=(
                        Compare(path=AttrPath(name="i"), op="lt", value=None),
                        Compare(path=AttrPath(name="j"), op="eq", value=True),
                    )
                ),
            ),
        )
    )
    path = parse_path('members[value eq "x"].display', backend=backend)
    assert path == PatchPath(
        path=AttrPath(name="members"),
        filter=Compare(path=AttrPath(name="value"), op="eq", value="x"),
        sub="display",
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_repeated_parses_give_equal_independent_trees(backend):
    """Shared ``AttrPath`` objects (the native parser's small cache) are invisible: equal, frozen, hashable."""
    texts = [f"a{i % 7}.b eq {i} and urn:u:a{i % 5} pr" for i in range(600)]
    first = [parse_filter(text, backend=backend) for text in texts]
    again = [parse_filter(text, backend=backend) for text in texts]
    assert first == again
    assert [filter_to_json(ast) for ast in first] == [filter_to_json(ast) for ast in again]
    assert len({ast.terms[0].path for ast in first}) == 7
    with pytest.raises(AttributeError):
        first[0].terms[0].path.name = "x"
    assert msgspec.structs.asdict(first[0].terms[0].path) == {"name": "a0", "uri": None, "sub": "b"}


def test_similar_paths_are_never_mixed_up():
    """Paths with the same letters split differently, or in another case, stay apart (the native cache is
    keyed by the path text): every parse, first or repeated, equals the Lark parser's."""
    texts = ["a.b pr", "a:b pr", "urn:a.b pr", "urn:a:b pr", "A.b pr", "a.B pr", "a pr", "b pr", "ab pr"] * 2
    for text in texts:
        assert parse_filter(text) == parse_filter(text, backend="python"), text
