"""Type stubs for ``scimcore._native``, the compiled Rust core (``rust/src/python/``).

Private: import the public names from :mod:`scimcore` instead. Positions are character offsets (``str``
indices), codes are those of ``docs/filter-language.md``.
"""

from scimcore.filter.ast import Filter, PatchPath

class FilterSyntaxError(Exception):
    """A filter or PATCH path syntax error (RFC 7644 §3.4.2.2, §3.5.2): ``args == (code, position)``."""

    args: tuple[str, int]

# --- filter language (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2) ---------------------------------------

class AstParser:
    """The parser that returns the AST as ``scimcore.filter.ast`` Structs, built in the binding.

    Made once (by ``scimcore.filter.parse``) with the AST classes and ``decimal.Decimal``; the filter nodes'
    ``__struct_fields__`` are checked (``TypeError`` if they are not in the expected order). Values are those
    of ``filter_from_json``: ``Decimal(text)`` for a number with a fraction or exponent, else an ``int``.
    """

    def __init__(
        self,
        attr_path: type,
        compare: type,
        present: type,
        and_: type,
        or_: type,
        not_: type,
        value_path: type,
        patch_path: type,
        decimal: type,
        /,
    ) -> None: ...
    def parse_filter(self, text: object, max_length: int, max_depth: int, max_comparisons: int) -> Filter:
        """Parse a filter into its AST Structs.

        Raises :class:`FilterSyntaxError` with ``(code, position)``: ``expected_filter`` at 0 when ``text`` is
        not a ``str``, ``invalid_character`` at a lone surrogate, ``too_long`` when ``text`` has more than
        ``max_length`` UTF-8 bytes (in that order), then the syntax errors.
        """
    def parse_path(self, text: object, max_length: int, max_depth: int, max_comparisons: int) -> PatchPath:
        """Parse a PATCH ``path`` into a :class:`PatchPath`; errors as :meth:`parse_filter`."""

# --- the in-memory directory store (rust/src/directory, binding rust/src/python/directory.rs) -------------

class FilterPlan:
    """A filter plan parsed by :meth:`DirectoryStore.plan` (see ``scimcore._directory_plan``)."""

class SortPlan:
    """A sort specification (``scimcore._directory_plan.sort_json``), parsed once."""

    def __init__(self, sort_json: str) -> None: ...

class DirectoryStore:
    """The native store of one resource type; every method releases the GIL while it works.

    Errors are ``scimcore.errors`` classes: ``InvalidSyntax`` (not a JSON object with a string ``id``),
    ``Uniqueness`` (duplicate ``id`` or unique value), ``NotFound``.
    """

    def __init__(self, layout_json: str) -> None: ...
    def plan(self, plan_json: str) -> FilterPlan: ...
    def add_many(self, docs: list[bytes]) -> None:
        """Add complete resources (JSON objects with an ``id``): all, or none when one is refused."""
    def replace(self, id: str, doc: bytes) -> None: ...
    def delete(self, id: str) -> None: ...
    def get(self, id: str) -> bytes | None: ...
    def search(
        self, plan: FilterPlan, sort: SortPlan | None = None, start: int = 0, count: int | None = None
    ) -> tuple[int, list[bytes]]:
        """``(total matches, JSON of the page)``: ``start`` is 0-based, ``count`` ``None`` means all."""
    def heap_bytes(self) -> int: ...
    def set_threads(self, threads: int) -> None: ...
    def __len__(self) -> int: ...

def casefold(text: str) -> str:
    """The directory's Unicode full case folding (equal to ``str.casefold()``)."""

def datetime_micros(text: str) -> int | None:
    """An xsd:dateTime literal as microseconds since the epoch (``scimcore.datetimes.parse_datetime``)."""
