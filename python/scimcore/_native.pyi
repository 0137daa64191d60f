"""Type stubs for ``scimcore._native``, the compiled Rust core (``rust/crates/python/``).

Private: import the public names from :mod:`scimcore` instead. Positions are character offsets (``str``
indices), codes are those of ``docs/filter-language.md``.
"""

from collections.abc import Callable
from typing import final

from scimcore.filter.ast import Filter, PatchPath

__all__ = [
    "DEFAULT_LIMITS",
    "AstParser",
    "DirectoryStore",
    "FilterPlan",
    "FilterSyntaxError",
    "PageProjection",
    "PlanNode",
    "SortPlan",
    "casefold",
    "datetime_micros",
    "memory_bandwidth",
    "repeated_key",
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
    ``value_path``, ``patch_path``, ``decimal``), called positionally. Values are those of ``filter_from_json``:
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

# --- the in-memory directory store (rust/crates/directory, binding rust/crates/python/src/directory.rs) ---

@final
class FilterPlan:
    """A filter plan checked against a store's layout by :meth:`DirectoryStore.plan`."""

@final
class PlanNode:
    """A node of a filter plan, as ``scimcore._directory_plan`` lowers a bound filter: slots and sub-attribute
    indexes (``None``: the value-path element / no sub-attribute), an operator keyword, a converted literal."""

    @staticmethod
    def constant(value: bool) -> PlanNode: ...
    @staticmethod
    def all(terms: list[PlanNode]) -> PlanNode: ...
    @staticmethod
    def any(terms: list[PlanNode]) -> PlanNode: ...
    @staticmethod
    def negate(filter: PlanNode) -> PlanNode: ...
    @staticmethod
    def present(slot: int | None, sub: int | None) -> PlanNode: ...
    @staticmethod
    def element(slot: int, filter: PlanNode) -> PlanNode:
        """One element of the complex attribute in ``slot`` satisfies ``filter`` (whose slots are ``None``)."""
    @staticmethod
    def text(slot: int | None, sub: int | None, op: str, text: str) -> PlanNode:
        """A comparison with text, already folded unless the attribute is ``caseExact``."""
    @staticmethod
    def boolean(slot: int | None, sub: int | None, op: str, value: bool) -> PlanNode: ...
    @staticmethod
    def integer(slot: int | None, sub: int | None, op: str, value: int) -> PlanNode: ...
    @staticmethod
    def number(slot: int | None, sub: int | None, op: str, nearest: float, side: int) -> PlanNode:
        """A number that is not a 64-bit integer: the nearest float and the sign of ``float - exact``."""
    @staticmethod
    def instant(slot: int | None, sub: int | None, op: str, micros: int) -> PlanNode:
        """A dateTime, in microseconds since the epoch."""

@final
class SortPlan:
    """A sort specification (RFC 7644 §3.4.2.3): ``kind`` is ``text``, ``number``, ``bool`` or ``datetime``;
    ``primary`` the index of a complex attribute's ``primary`` sub-attribute."""

    def __new__(
        cls, slot: int, sub: int | None, primary: int | None, multi: bool, kind: str, descending: bool
    ) -> SortPlan: ...

_Rule = tuple[str, bool, bool, list[tuple[str, bool]], bool]
_Scope = tuple[list[_Rule], bool]

@final
class PageProjection:
    """One request's projection, decided by ``scimcore.store.native.page_projection`` and applied by
    ``DirectoryStore.search_json``: rules ``(lower-case name, keep, complex, [(lower-case sub, kept)], keep
    unknown subs)`` per attribute, and whether unknown attributes are kept, for the base schema and each
    extension (in the resource type's order)."""

    def __new__(cls, base_schema: str, base: _Scope, extensions: list[tuple[str, _Scope]]) -> PageProjection: ...

@final
class DirectoryStore:
    """The native store of one resource type; every method releases the GIL while it works.

    Errors are ``scimcore.errors`` classes: ``InvalidSyntax`` (not a JSON object with a string ``id``),
    ``Uniqueness`` (duplicate ``id`` or unique value), ``NotFound``.
    """

    def __new__(
        cls,
        attrs: list[tuple[str | None, str, str, bool, bool, list]],
        indexed: list[int],
        unique: list[int],
    ) -> DirectoryStore:
        """An empty store for a layout: ``attrs`` as ``(extension URN, name, type, caseExact, multiValued,
        sub-attributes)`` (slot ``i`` is ``attrs[i]``), the slots with an equality index, the unique ones."""
    def plan(self, plan: PlanNode) -> FilterPlan: ...
    def add_many(self, docs: list[bytes]) -> None:
        """Add complete resources (JSON objects with an ``id``): all, or none when one is refused."""
    def load_ndjson(
        self,
        data: bytes,
        complete_meta: bool,
        complete: Callable[[int, bytes], bytes],
        flag: str | None = None,
    ) -> tuple[int, list[bytes]]:
        """Import NDJSON, all or none: lines that need nothing filled in are stored as they are, each other one as
        ``complete(line number, line)`` returns it; ``(number stored, the stored documents with key flag)``."""
    def replace(self, id: str, doc: bytes) -> None: ...
    def delete(self, id: str) -> None: ...
    def get(self, id: str) -> bytes | None: ...
    def search(
        self, plan: FilterPlan, sort: SortPlan | None = None, start: int = 0, count: int | None = None
    ) -> tuple[int, list[bytes]]:
        """``(total matches, JSON of the page)``: ``start`` is 0-based, ``count`` ``None`` means all."""
    def search_counts(
        self, plan: FilterPlan, sort: SortPlan | None = None, start: int = 0, count: int | None = None
    ) -> tuple[int, int]:
        """``(total matches, resources in the page)`` of ``search``, the page not copied out (the benchmark's
        scan)."""
    def search_json(
        self,
        plan: FilterPlan,
        sort: SortPlan | None,
        start: int,
        count: int | None,
        projection: PageProjection,
        location: str | None = None,
    ) -> bytes:
        """The JSON of the ``ListResponse`` of the same search, its resources projected by ``projection`` (with
        ``location``: each ``meta.location`` is ``location`` followed by the resource's id)."""
    def scan_bytes(self, plan: FilterPlan, sort: SortPlan | None = None) -> int | None:
        """Heap bytes of the columns a full scan of ``plan`` (sorted by ``sort``) reads and of the sort order
        it walks; ``None`` off columns."""
    def scan_read_bytes(self, plan: FilterPlan, sort: SortPlan | None = None) -> int | None:
        """Bytes a full scan of ``plan`` (sorted by ``sort``) must read from its columns and write (a lower
        bound: the words or cells its filter streams, the bitmap of its matches); ``None`` off columns."""
    def prepare(self, plans: list[FilterPlan], sorts: list[SortPlan]) -> None:
        """Build now, in one pass, the columns full scans of ``plans`` sorted by any of ``sorts`` read, and the
        sort orders of ``sorts``."""
    def heap_bytes(self) -> int: ...
    def set_threads(self, threads: int) -> None: ...
    def __len__(self) -> int: ...

def casefold(text: str) -> str:
    """The directory's Unicode full case folding (equal to ``str.casefold()``)."""

def datetime_micros(text: str) -> int | None:
    """An xsd:dateTime literal as microseconds since the epoch (``scimcore.datetimes.parse_datetime``)."""

def memory_bandwidth(bytes: int, threads: int, rounds: int = 5) -> float:
    """Bytes per second read by summing a ``bytes``-byte buffer on ``threads`` threads, best of ``rounds``."""

def repeated_key(text: bytes | str) -> tuple[list[bytes | int], bytes] | None:
    """The first member name given twice in one object of JSON ``text``, in text order: the steps to that object
    (names as UTF-8 bytes, indexes as ints) and the name; ``None`` if every name is unique (RFC 8259 §4)."""
