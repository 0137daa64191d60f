"""The shared corpus (tests/corpus/filters*.json, paths*.json) through the builder that ships.

``cargo test`` (rust/crates/filter/tests/corpus.rs) runs the corpus against the Rust ``AstBuilder``; what ships
is the PyO3 builder of ``scimcore._native`` (rust/crates/python/src/objects.rs), which makes the Python Structs
while parsing. This test calls ``scimcore._native.AstParser`` directly (no Python front in between): every
valid case gives the expected AST, every node the spans the Lark parser gives (docs/filter-language.md,
"Spans"), every path span the text of its path; every invalid case raises ``FilterSyntaxError(code,
position)`` as the corpus states.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from conftest import require_native
from scimcore.filter import construct
from scimcore.filter.ast import Compare, Not, Present, ValuePath, filter_to_json
from scimcore.filter.parse import parse_filter

CORPUS = Path(__file__).parent / "corpus"
_encode = msgspec.json.Encoder(decimal_format="number").encode


def _cases(pattern: str, key: str) -> list[tuple[str, str, dict]]:
    return [
        (key, f"{file.name}:{case['id']}", case)
        for file in sorted(CORPUS.glob(pattern))
        for case in json.loads(file.read_text(encoding="utf-8"), parse_float=Decimal)
    ]


CASES = _cases("filters*.json", "filter") + _cases("paths*.json", "path")


@pytest.fixture(scope="module")
def native():
    require_native()
    from scimcore import _native

    return _native


def _spans(node, text: str) -> list:
    """Each filter node's type and span in pre-order; a node holding a path adds its path's span, which must
    cover the path's text."""
    out = [(type(node).__name__, node.span)]
    if isinstance(node, (Compare, Present, ValuePath)):
        assert text[slice(*node.path_span)] == str(node.path)
        out.append(("path", node.path_span))
    for child in getattr(node, "terms", ()):
        out += _spans(child, text)
    if isinstance(node, (Not, ValuePath)):
        out += _spans(node.filter, text)
    return out


@pytest.mark.parametrize(("key", "case"), [(key, case) for key, _, case in CASES], ids=[i for _, i, _ in CASES])
def test_corpus_through_the_shipping_builder(native, key, case):
    parser = native.AstParser(construct)
    parse = parser.parse_filter if key == "filter" else parser.parse_path
    text = case[key]
    if "error" in case:
        with pytest.raises(native.FilterSyntaxError) as info:
            parse(text)
        assert info.value.args == (case["error"]["code"], case["error"]["position"])
        return
    ast = parse(text)
    assert filter_to_json(ast) == _encode(case["ast"])
    if key == "filter":
        spans = _spans(ast, text)
        assert all(span is not None for _, span in spans)
        assert spans == _spans(parse_filter(text, backend="python"), text)
