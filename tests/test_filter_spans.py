"""AST spans (filter/ast.py, "Spans"): both parsers give every filter node, and every node's attribute path, the
same character span, spans take no part in equality, ``str()`` or the JSON encoding, and semantic errors point at
the node (or the path) at fault."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import scimcore
from scimcore.filter.ast import (
    And,
    AttrPath,
    Compare,
    Not,
    Or,
    Present,
    ValuePath,
    filter_to_json,
    path_span_of,
    span_of,
)
from scimcore.filter.parse import BACKEND, parse_filter

CORPUS = Path(__file__).parent / "corpus"
VALID = [c["filter"] for c in json.loads((CORPUS / "filters.json").read_text("utf-8")) if "error" not in c]
VALID += [c["filter"] for c in json.loads((CORPUS / "eval_cases.json").read_text("utf-8")) if "error" not in c]
native_only = pytest.mark.skipif(BACKEND != "native", reason="scimcore._native is not built")


def _spans(node) -> list:
    """Every filter node's (type, span) in pre-order, a node holding a path followed by ("path", its span)."""
    out = [(type(node).__name__, span_of(node))]
    if isinstance(node, (Compare, Present, ValuePath)):
        out.append(("path", node.path_span))
    for child in getattr(node, "terms", ()):
        out += _spans(child)
    if isinstance(node, (Not, ValuePath)):
        out += _spans(node.filter)
    return out


@native_only
@pytest.mark.parametrize("text", VALID)
def test_both_parsers_give_the_same_spans(text):
    native, python = parse_filter(text, backend="native"), parse_filter(text, backend="python")
    assert _spans(native) == _spans(python)
    assert all(span is not None for _, span in _spans(native))


@pytest.mark.parametrize(
    "text, expected",
    [
        ('userName eq "x"', [("Compare", 'userName eq "x"'), ("path", "userName")]),
        (
            "a pr and (b.c pr or not (urn:x:y:d ge 1))",
            [
                ("And", "a pr and (b.c pr or not (urn:x:y:d ge 1)"),
                ("Present", "a pr"),
                ("path", "a"),
                ("Or", "b.c pr or not (urn:x:y:d ge 1)"),
                ("Present", "b.c pr"),
                ("path", "b.c"),
                ("Not", "not (urn:x:y:d ge 1)"),
                ("Compare", "urn:x:y:d ge 1"),
                ("path", "urn:x:y:d"),
            ],
        ),
        (
            'emails[type eq "work"].value ew "x"',
            [
                ("ValuePath", 'emails[type eq "work"].value ew "x"'),
                ("path", "emails"),
                ("And", 'type eq "work"].value ew "x"'),
                ("Compare", 'type eq "work"'),
                ("path", "type"),
                ("Compare", '.value ew "x"'),
                ("path", "value"),
            ],
        ),
        (  # spans count characters, not UTF-8 bytes
            'title eq "é€😀" or nickName pr',
            [
                ("Or", 'title eq "é€😀" or nickName pr'),
                ("Compare", 'title eq "é€😀"'),
                ("path", "title"),
                ("Present", "nickName pr"),
                ("path", "nickName"),
            ],
        ),
    ],
)
@pytest.mark.parametrize("backend", ["native", "python"])
def test_spans_are_character_ranges_of_the_node_text(text, expected, backend):
    if backend == "native" and BACKEND != "native":
        pytest.skip("scimcore._native is not built")
    ast = parse_filter(text, backend=backend)
    assert [(kind, text[span[0] : span[1]]) for kind, span in _spans(ast)] == expected


def test_spans_take_no_part_in_equality_printing_or_json():
    parsed = parse_filter('title eq "x" and active pr')
    built = And(terms=(Compare(path=AttrPath(name="title"), op="eq", value="x"), Present(path=AttrPath(name="active"))))
    assert span_of(parsed) == (0, 26) and span_of(built) is None
    assert path_span_of(parsed.terms[0]) == (0, 5) and path_span_of(built.terms[0]) is None
    assert parsed == built and hash(parsed) == hash(built)
    assert str(parsed) == str(built) and repr(parsed) == repr(built)
    assert filter_to_json(parsed) == filter_to_json(built)


@pytest.mark.parametrize(
    "text, code, fault",
    [
        ('title pr and password eq "x"', "never_returned", "password"),
        ("title pr or active gt true", "operator_not_supported", "active gt true"),
        ('not (nope eq "x")', "unknown_attribute", "nope"),
        ("title pr or name.nope pr", "unknown_attribute", "name.nope"),
        ('emails[nope eq "x"]', "unknown_sub_attribute", "nope"),
        ('emails[type eq "work"].nope eq "x"', "unknown_sub_attribute", "nope"),
        ("emails[type eq 1]", "wrong_literal_type", "type eq 1"),
        ('userName[value eq "x"] and title pr', "not_complex", 'userName[value eq "x"]'),
        ("title pr and name co 1", "complex_without_value", "name co 1"),
        ("userName gt null", "null_comparison", "userName gt null"),
    ],
)
@pytest.mark.parametrize("backend", ["native", "python"])
def test_semantic_errors_carry_the_code_and_span_of_the_node_at_fault(text, code, fault, backend):
    """Errors about what a path names point at the path, the others at the node."""
    if backend == "native" and BACKEND != "native":
        pytest.skip("scimcore._native is not built")
    with pytest.raises(scimcore.InvalidFilter) as info:
        scimcore.compile_filter(parse_filter(text, backend=backend))
    start, end = info.value.span
    assert (info.value.code, text[start:end], info.value.position) == (code, fault, start)


def test_hand_built_asts_have_codes_but_no_position():
    with pytest.raises(scimcore.InvalidFilter) as info:
        scimcore.compile_filter(Compare(path=AttrPath(name="nope"), op="eq", value="x"))
    assert (info.value.code, info.value.position, info.value.span) == ("unknown_attribute", None, None)
    with pytest.raises(scimcore.InvalidFilter) as info:
        scimcore.compile_filter(Or(terms=(Present(path=AttrPath(name="title")),)))
    assert info.value.code == "invalid_ast"
