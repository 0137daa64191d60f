"""The public front (scimcore.filter.parse): backend choice, native error conversion, the Lark build."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading
import types
from pathlib import Path

import pytest

import scimcore
from scimcore.errors import InvalidFilter, InvalidPath, ScimError
from scimcore.filter import lark_parser, parse
from scimcore.filter.limits import FilterLimits


def _backend_in_subprocess(value: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "SCIMCORE_BACKEND"}
    if value is not None:
        env["SCIMCORE_BACKEND"] = value
    code = "import scimcore; print(scimcore.BACKEND)"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_default_backend_follows_the_native_module():
    native = importlib.util.find_spec("scimcore._native") is not None
    assert _backend_in_subprocess(None) == ("native" if native else "python")


def test_env_var_forces_the_python_backend():
    assert _backend_in_subprocess("python") == "python"
    assert _backend_in_subprocess("bogus") == _backend_in_subprocess(None)


def test_public_names_are_the_front():
    assert scimcore.parse_filter is parse.parse_filter
    assert scimcore.parse_path is parse.parse_path


def test_native_missing_is_a_clear_scim_error(monkeypatch):
    monkeypatch.setattr(parse, "_native_parser", None)
    with pytest.raises(ScimError, match=r"\(scimcore\._native\) is not available"):
        parse.parse_filter("a pr", backend="native")
    with pytest.raises(ScimError, match=r"\(scimcore\._native\) is not available"):
        parse.parse_path("a", backend="native")


def test_unknown_backend_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown filter parser backend"):
        parse.parse_filter("a pr", backend="rust")


def _fake_native_parser(error):
    """A stand-in with the native parser's interface, to test the error conversion on its own."""

    class FilterSyntaxError(Exception):
        pass

    calls = []

    def parse_any(text, limits):
        calls.append((text, *limits))
        raise FilterSyntaxError(*error)

    return types.SimpleNamespace(parse_filter=parse_any, parse_path=parse_any), FilterSyntaxError, calls


def test_native_errors_become_the_same_exceptions(monkeypatch):
    fake, error_class, calls = _fake_native_parser(("expected_value", 5))
    monkeypatch.setattr(parse, "_native_parser", fake)
    monkeypatch.setattr(parse, "_NativeSyntaxError", error_class)
    limits = FilterLimits(max_length=100, max_depth=7, max_comparisons=9)
    with pytest.raises(InvalidFilter) as info:
        parse.parse_filter("a eq b", backend="native", limits=limits)
    assert (info.value.code, info.value.position) == ("expected_value", 5)
    assert info.value.detail == "expected a value: a string, a number, true, false or null at position 5"
    assert calls == [("a eq b", 100, 7, 9)]
    with pytest.raises(InvalidPath) as info:
        parse.parse_path("a eq b", backend="native")
    assert info.value.code == "expected_value"


@pytest.mark.skipif(parse._native_parser is None, reason="scimcore._native (with AstParser) is not built")
@pytest.mark.parametrize("limits", [None, FilterLimits(max_length=10)], ids=["default", "custom"])
def test_native_input_checks_match_the_python_front(limits):
    """The native parser's own checks (non-``str``, lone surrogate, ``too_long``) give the Python front's results.

    The calls go to the real native parser (the default call, and an explicit backend with custom limits).
    """
    cases = [
        12,  # not a str: expected_filter at 0
        b"a pr",
        None,
        'a eq "\ud800"',  # invalid_character at the surrogate (a character index)
        'é eq "x\udc00" and \ud800',
        "a" * 70_000,  # too_long at 0 (UTF-8 bytes)
        "é" * 33_000,
        "a eq " + "1" * 20,
    ]
    for text in cases:
        outcomes = {}
        for backend in (None, "native", "python") if limits is None else ("native", "python"):
            for parser, error in ((parse.parse_filter, InvalidFilter), (parse.parse_path, InvalidPath)):
                try:
                    parser(text, backend=backend, limits=limits)
                    outcomes[(backend, parser.__name__)] = "ok"
                except error as failure:
                    outcomes[(backend, parser.__name__)] = (failure.code, failure.position, failure.detail)
        for name in ("parse_filter", "parse_path"):
            results = {outcome for (_, parser_name), outcome in outcomes.items() if parser_name == name}
            assert len(results) == 1, (text[:20], outcomes)
    assert _codes("a" * 70_000) == ("too_long", 0)
    assert _codes('é eq "x\udc00"') == ("invalid_character", 7)
    assert _codes(12) == ("expected_filter", 0)


def _codes(text):
    with pytest.raises(InvalidFilter) as info:
        parse.parse_filter(text)
    return info.value.code, info.value.position


def _require_interegular():
    """Lark's strict mode needs interegular (in the ``test`` extra): skip without it, but fail in CI."""
    if importlib.util.find_spec("interegular") is None:
        if os.environ.get("CI"):
            pytest.fail("interegular is not installed; lark's strict mode needs it")
        pytest.skip("lark's strict mode needs interegular")


def test_grammar_builds_in_strict_mode():
    """Lark's strict mode rejects terminal collisions; it holds because every terminal has its own priority."""
    _require_interegular()
    lark_parser.build_lark(strict=True)


def test_strict_mode_would_catch_a_collision():
    """Control: with NOT at ATTRPATH's priority the two collide where both are acceptable (`not(`)."""
    _require_interegular()
    from lark.exceptions import LexError

    grammar = (Path(lark_parser.__file__).with_name("grammar.lark")).read_text(encoding="utf-8")
    assert "NOT.10:" in grammar
    with pytest.raises(LexError, match="Collision"):
        lark_parser.build_lark(grammar.replace("NOT.10:", "NOT.1:"), strict=True)


def test_parsing_from_several_threads_is_safe():
    """Per-parse state (depth, limits, comparison count) is not shared between concurrent parses."""
    deep = "(" * 3 + "a pr" + ")" * 3
    many = " and ".join(f"a{i} pr" for i in range(5))
    tight = FilterLimits(max_depth=2, max_comparisons=4)
    failures = []
    barrier = threading.Barrier(8)

    def work(index):
        barrier.wait()
        for _ in range(300):
            try:
                if index % 2:
                    for text, code in ((deep, "too_deep"), (many, "too_many_comparisons")):
                        try:
                            parse.parse_filter(text, backend="python", limits=tight)
                            failures.append(f"{text}: no error")
                        except InvalidFilter as error:
                            if error.code != code:
                                failures.append(error.code)
                else:
                    parse.parse_filter(deep, backend="python")
                    parse.parse_filter(many, backend="python")
            except Exception as error:
                failures.append(repr(error))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


@pytest.mark.skipif(parse._native is None, reason="scimcore._native is not built")
def test_native_default_limits_are_the_python_defaults():
    """The default call passes no limits: the native parser's own defaults must be DEFAULT_LIMITS."""
    defaults = parse.DEFAULT_LIMITS
    assert (defaults.max_length, defaults.max_depth, defaults.max_comparisons) == parse._native.DEFAULT_LIMITS


@pytest.mark.skipif(parse._native is None, reason="scimcore._native is not built")
def test_native_constructor_errors_propagate_unchanged():
    """An exception raised by a node constructor stops the native parse and reaches the caller as it is
    (only syntax errors become FilterSyntaxError), leaving the parser usable."""
    from scimcore.filter import construct

    class Refused(Exception):
        pass

    def refuse(*args):
        raise Refused(args)

    failing = types.SimpleNamespace(**{name: getattr(construct, name) for name in dir(construct)})
    failing.compare = refuse
    parser = parse._native.AstParser(failing)
    with pytest.raises(Refused):
        parser.parse_filter("a pr and b eq 1")
    assert parser.parse_filter("a pr") == parse.parse_filter("a pr", backend="python")
    with pytest.raises(parse._native.FilterSyntaxError):
        parser.parse_filter("a pr and")
    with pytest.raises(AttributeError):
        parse._native.AstParser(types.SimpleNamespace())


def test_a_patch_path_starts_with_an_attribute_path(backend):
    """A PATCH path never takes '(' or 'not (' where it begins; inside its brackets a filter does."""
    for text, message in (
        ("(a pr)", "expected an attribute path at position 0"),
        ("", "expected an attribute path at position 0 (end of input)"),
        ("emails[(]", "expected an attribute path, '(' or 'not (' at position 8"),
    ):
        with pytest.raises(InvalidPath) as info:
            parse.parse_path(text, backend=backend)
        assert (info.value.detail, info.value.code) == (message, "expected_filter")
