"""Parser limits (docs/semantics.md §Filters): input size, nesting depth, number of comparisons."""

from __future__ import annotations

import msgspec


class FilterLimits(msgspec.Struct, frozen=True, kw_only=True):
    """Limits both parsers enforce with the same errors. Defaults: 64 KiB, depth 64, 1,000 comparisons."""

    max_length: int = 65536
    max_depth: int = 64
    max_comparisons: int = 1000


DEFAULT_LIMITS = FilterLimits()
