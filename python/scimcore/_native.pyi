"""Type stubs for ``scimcore._native``, the compiled Rust core (``rust/src/python/``).

Private: import the public names from :mod:`scimcore` instead. Positions are character offsets (``str``
indices), codes are those of ``docs/filter-language.md``.
"""

class FilterSyntaxError(Exception):
    """A filter or PATCH path syntax error (RFC 7644 §3.4.2.2, §3.5.2): ``args == (code, position)``."""

    args: tuple[str, int]

# --- filter language (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2) ---------------------------------------

def parse_filter(text: str, max_length: int, max_depth: int, max_comparisons: int) -> bytes:
    """Parse a filter; return its AST as JSON (``scimcore.filter.ast.filter_from_json`` decodes it).

    Raises :class:`FilterSyntaxError` with ``(code, position)``; ``too_long`` when ``text`` has more than
    ``max_length`` UTF-8 bytes, ``invalid_character`` when it holds a lone surrogate.
    """

def parse_path(text: str, max_length: int, max_depth: int, max_comparisons: int) -> bytes:
    """Parse a PATCH ``path``; return it as JSON (``scimcore.filter.ast.path_from_json`` decodes it).

    Raises :class:`FilterSyntaxError` like :func:`parse_filter`.
    """
