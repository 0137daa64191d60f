"""The shared corpus (tests/corpus/filters*.json, paths*.json) on both backends, and round trips.

The corpus is the reference both parsers are judged by (docs/filter-language.md); the Rust crate's
``cargo test`` reads the same files. ASTs are compared as ``filter_to_json`` bytes (msgspec Struct equality
would take ``True == 1``), errors as (class, code, position, detail).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from scimcore.errors import InvalidFilter, InvalidPath
from scimcore.filter.ast import filter_from_json, filter_to_json, path_from_json
from scimcore.filter.errors import MESSAGES, syntax_error
from scimcore.filter.parse import parse_filter, parse_path

CORPUS = Path(__file__).parent / "corpus"
RFC_EXAMPLES = Path(__file__).resolve().parent / "corpus" / "rfc7644-examples.json"  # a copy of the spec data
_encode = msgspec.json.Encoder(decimal_format="number").encode


def _load(pattern: str, key: str) -> list[dict]:
    cases = []
    for file in sorted(CORPUS.glob(pattern)):
        for case in json.loads(file.read_text(encoding="utf-8"), parse_float=Decimal):
            case["text"] = case[key]
            case["file"] = file.name
            cases.append(case)
    return cases


FILTERS = _load("filters*.json", "filter")
PATHS = _load("paths*.json", "path")


def _ids(cases):
    return [f"{case['file']}:{case['id']}" for case in cases]


def _outcome(parse, text, backend):
    """``("ast", json bytes)`` or ``("error", class, code, position, detail)``."""
    try:
        return ("ast", filter_to_json(parse(text, backend=backend)))
    except (InvalidFilter, InvalidPath) as error:
        return ("error", type(error), error.code, error.position, error.detail)


def _expected(case, *, path: bool):
    if "ast" in case:
        return ("ast", _encode(case["ast"]))
    code, position = case["error"]["code"], case["error"]["position"]
    error = syntax_error(code, position, case["text"], path=path)
    return ("error", type(error), code, position, error.detail)


@pytest.mark.parametrize("case", FILTERS, ids=_ids(FILTERS))
def test_filter_corpus(case, backend):
    assert _outcome(parse_filter, case["text"], backend) == _expected(case, path=False)


@pytest.mark.parametrize("case", PATHS, ids=_ids(PATHS))
def test_path_corpus(case, backend):
    assert _outcome(parse_path, case["text"], backend) == _expected(case, path=True)


VALID_FILTERS = [case for case in FILTERS if "ast" in case]
VALID_PATHS = [case for case in PATHS if "ast" in case]


@pytest.mark.parametrize("case", VALID_FILTERS, ids=_ids(VALID_FILTERS))
def test_filter_round_trip(case, backend):
    """``str(ast)`` is canonical text that parses back to the same AST (and renders the same again)."""
    ast = parse_filter(case["text"], backend=backend)
    again = parse_filter(str(ast), backend=backend)
    assert filter_to_json(again) == filter_to_json(ast)
    assert str(again) == str(ast)


@pytest.mark.parametrize("case", VALID_PATHS, ids=_ids(VALID_PATHS))
def test_path_round_trip(case, backend):
    ast = parse_path(case["text"], backend=backend)
    assert filter_to_json(parse_path(str(ast), backend=backend)) == filter_to_json(ast)


def test_corpus_is_well_formed():
    """Unique ids, one of ``ast``/``error``, ASTs that decode, and only codes the contract defines."""
    for cases, decode in ((FILTERS, filter_from_json), (PATHS, path_from_json)):
        ids = [case["id"] for case in cases]
        assert len(ids) == len(set(ids))
        for case in cases:
            assert ("ast" in case) != ("error" in case), case["id"]
            if "ast" in case:
                assert filter_to_json(decode(_encode(case["ast"]))) == _encode(case["ast"]), case["id"]
            else:
                assert case["error"]["code"] in MESSAGES, case["id"]
                assert 0 <= case["error"]["position"] <= len(case["text"]), case["id"]


def test_corpus_covers_every_syntax_error_code():
    """Every code but those that need generated input (tests/test_filter_limits.py) is in the corpus."""
    generated = {"too_long", "invalid_character", "too_deep", "too_many_comparisons", "internal_error"}
    codes = {case["error"]["code"] for case in FILTERS + PATHS if "error" in case}
    assert codes >= set(MESSAGES) - generated


def test_corpus_covers_every_rfc7644_example():
    """Each filter and PATCH path example of RFC 7644 (tests/corpus/rfc7644-examples.json) is a corpus case."""
    examples = json.loads(RFC_EXAMPLES.read_text(encoding="utf-8"))
    filters = {case["text"]: case for case in FILTERS}
    for example in examples["filters"]:
        case = filters[example["filter"]]
        assert case["id"].startswith("rfc7644-"), case["id"]
        # the examples the RFC gets wrong (unquoted and single-quoted values) are errors as written
        unquoted = "'" in example["filter"] or " User)" in example["filter"]
        assert ("error" in case) == (not example["valid_per_abnf"] and unquoted)
    paths = {case["text"] for case in PATHS}
    wanted = {example["path"] for example in examples["patch_path_examples"]}
    for request in examples["patch_requests"]:
        wanted |= {op["path"] for op in request["json"].get("Operations", []) if "path" in op}
    assert wanted <= paths
