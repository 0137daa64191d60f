"""Type stubs for ``scimcore._native``, the compiled Rust core (``rust/src/python/``).

Private: import the public names from :mod:`scimcore` instead. Positions are character offsets (``str``
indices), codes are those of ``docs/filter-language.md``.
"""

from typing import final

from scimcore.filter.ast import Filter, PatchPath

__all__ = [
    "DEFAULT_LIMITS",
    "AstParser",
    "DirectoryStore",
    "FilterPlan",
    "FilterSyntaxError",
    "SortPlan",
    "casefold",
    "datetime_micros",
]

class FilterSyntaxError(Exception):
    """A filter or PATCH path syntax error (RFC 7644 §3.4.2.2, §3.5.2): ``args == (code, position)``."""

    args: tuple[str, int]

# --- filter language (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2) ---------------------------------------

DEFAULT_LIMITS: tuple[int, int, int]
"""The parser's own default limits ``(max_length, max_depth, max_comparisons)``, equal to
``scimcore.filter.limits.DEFAULT_LIMITS`` (a test checks)."""

@final
class AstParser:
    """The parser that returns the AST as ``scimcore.filter.ast`` Structs, built in the binding.

    Made once (by ``scimcore.filter.parse``) with the module of node constructors,
    ``scimcore.filter.construct`` (``attr_path``, ``compare``, ``present``, ``and_``, ``or_``, ``not_``,
    ``value_path``, ``and_also``, ``patch_path``, ``decimal``). Values are those of ``filter_from_json``:
    ``Decimal(text)`` for a number with a fraction or exponent, else an ``int``.
    """

    def __new__(cls, constructors: object) -> AstParser: ...
    def parse_filter(self, text: object, limits: tuple[int, int, int] | None = None) -> Filter:
        """Parse a filter into its AST Structs; ``limits`` is ``(max_length, max_depth, max_comparisons)``,
        by default :data:`DEFAULT_LIMITS`.

        Raises :class:`FilterSyntaxError` with ``(code, position)``: ``expected_filter`` at 0 when ``text`` is
        not a ``str``, ``invalid_character`` at a lone surrogate, ``too_long`` when ``text`` has more than
        ``max_length`` UTF-8 bytes (in that order), then the syntax errors.
        """
    def parse_path(self, text: object, limits: tuple[int, int, int] | None = None) -> PatchPath:
        """Parse a PATCH ``path`` into a :class:`PatchPath`; ``limits`` and errors as :meth:`parse_filter`."""

# --- the in-memory directory store (rust/src/directory, binding rust/src/python/directory.rs) -------------

@final
class FilterPlan:
    """A filter plan parsed by :meth:`DirectoryStore.plan` (see ``scimcore._directory_plan``)."""

@final
class SortPlan:
    """A sort specification (``scimcore._directory_plan.sort_json``), parsed once."""

    def __new__(cls, sort_json: str) -> SortPlan: ...

@final
class DirectoryStore:
    """The native store of one resource type; every method releases the GIL while it works.

    Errors are ``scimcore.errors`` classes: ``InvalidSyntax`` (not a JSON object with a string ``id``),
    ``Uniqueness`` (duplicate ``id`` or unique value), ``NotFound``.
    """

    def __new__(cls, layout_json: str) -> DirectoryStore: ...
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
