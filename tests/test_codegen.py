"""The shared code generator (scimcore._codegen): names, constants as closure variables, no builtins."""

from __future__ import annotations

from decimal import Decimal

import pytest

from scimcore._codegen import Source


def test_constants_are_closure_variables_and_plain_literals_are_written_out():
    src = Source()
    limit = src.literal(Decimal("1.5"))
    assert src.literal("a'b") == repr("a'b") and src.literal(None) == "None" and src.literal(True) == "True"
    src.lines += ["def over(x):", f"    return x > {limit}"]
    source, over = src.compile("over", "<test>")
    assert "1.5" not in source and over.__code__.co_freevars == (limit,)
    assert over(Decimal(2)) is True and over(1) is False


def test_fresh_names_never_repeat():
    src = Source()
    names = [src.fresh("v"), src.constant(1, "v"), src.fresh("v"), src.constant(2)]
    assert len(set(names)) == len(names)


def test_generated_code_sees_only_the_names_it_is_given():
    src = Source({"double": lambda x: 2 * x})
    src.lines += ["def f(x):", "    return double(x)", "def g(path):", "    return open(path)"]
    _, f = src.compile("f", "<test>")
    _, g = src.compile("g", "<test>")
    assert f(21) == 42
    with pytest.raises(NameError):
        g("/etc/hostname")


def test_compiler_errors_propagate():
    src = Source()
    src.lines += ["def f(:"]
    with pytest.raises(SyntaxError):
        src.compile("f", "<test>")
