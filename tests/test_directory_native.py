"""The native directory's building blocks agree with Python: case folding (every code point) and dateTime
parsing (scimcore.datetimes / scimcore.filter.runtime.instant), checked through scimcore._native."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scimcore.datetimes import parse_datetime
from scimcore.store.native import native_module as _native_module

native = _native_module()
if native is None:
    if os.environ.get("CI"):
        pytest.fail("scimcore._native is not built", pytrace=False)
    pytest.skip("scimcore._native is not built here", allow_module_level=True)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(moment):
    if moment is None:
        return None
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def test_casefold_matches_python_for_every_code_point():
    chars = [chr(cp) for cp in range(sys.maxunicode + 1) if not 0xD800 <= cp <= 0xDFFF]
    text = "".join(chars)
    assert native.casefold(text) == text.casefold()
    mismatched = [c for c in chars[:0x3000] if native.casefold(c) != c.casefold()]
    assert mismatched == []


@given(st.text())
def test_casefold_random_text(text):
    assert native.casefold(text) == text.casefold()


DATETIMES = st.builds(
    lambda y, mo, d, h, mi, s, frac, off: f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}{frac}{off}",
    st.sampled_from([0, 2, 1970, 2011, 2024, 2100, 9998]),
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(0, 25),
    st.integers(0, 60),
    st.integers(0, 60),
    st.sampled_from(["", ".0", ".123", ".1234567", "."]),
    st.sampled_from(["", "Z", "+00:00", "-05:30", "+14:00", "+14:59", "+15:00", "-23:59", "z"]),
)


# Years 1 and 9999 are left out: with an offset, Python's datetime overflows there (OverflowError in
# parse_datetime), outside the supported range of 1-9999 after conversion to UTC.
@settings(max_examples=settings.default.max_examples * 5)
@given(DATETIMES)
def test_datetime_literals_match_parse_datetime(text):
    assert native.datetime_micros(text) == _micros(parse_datetime(text))
