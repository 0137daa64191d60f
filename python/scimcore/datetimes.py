"""xsd:dateTime values (RFC 7643 §2.3.5): parsing to instants for comparison.

A value without an offset is UTC (docs/semantics.md §Evaluation); ``...:34Z`` and ``...:34.000Z`` are the same
instant. Fractions beyond microseconds are truncated; years outside 1-9999 are not supported.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

__all__ = ["is_datetime", "parse_datetime"]

_XSD_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?\Z", re.ASCII
)


def parse_datetime(text: object) -> datetime | None:
    """The instant ``text`` denotes, as an aware UTC datetime, or ``None`` if it is no xsd:dateTime."""
    if not isinstance(text, str) or len(text) > 64:
        return None
    m = _XSD_DATETIME.match(text)
    if m is None:
        return None
    year, month, day, hour, minute, second, fraction, offset = m.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    extra_day = hour == "24"
    if extra_day and (minute != "00" or second != "00" or micro):
        return None
    try:
        value = datetime(
            int(year),
            int(month),
            int(day),
            0 if extra_day else int(hour),
            int(minute),
            int(second),
            micro,
            tzinfo=UTC,
        )
    except ValueError:
        return None
    if extra_day:
        value += timedelta(days=1)
    if offset and offset != "Z":
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 14 or minutes > 59:
            return None
        delta = timedelta(hours=hours, minutes=minutes)
        value = value - delta if offset[0] == "+" else value + delta
    return value


def is_datetime(text: object) -> bool:
    return parse_datetime(text) is not None
