"""SCIM filters and sort keys as SQL over JSON documents (RFC 7644 §3.4.2.2, §3.4.2.3; docs/semantics.md §Evaluation).

:func:`to_sql` turns a filter into a ``WHERE`` condition and its bound parameters, for resources stored as
JSON documents in one column (SQLite JSON1 text, PostgreSQL ``jsonb``). It is a lowering of the bound filter
(:func:`scimcore.filter.bind.bind`: paths resolved, literals converted, every error raised there, as in
``compile_filter``), so it follows the in-memory evaluator rule by rule:

- a comparison on a multi-valued attribute is ``EXISTS`` over its elements; ``ne`` is ``NOT (eq)``, so it
  also holds when the attribute is absent; a value path needs one element to satisfy the whole bracket;
- a comparison on a complex attribute without a sub-attribute compares its ``value`` sub-attribute;
- ``pr`` judges emptiness on the JSON value's shape, whatever the declared type: missing, ``null``, ``""``, and
  objects or arrays with nothing non-empty in them are absent; ``eq null`` is "not present", ``ne null``
  "present";
- every comparison checks the JSON type of the stored value, so a value of the wrong type never matches;
- strings compare by code point (``COLLATE "C"`` on PostgreSQL), case-insensitively unless ``caseExact``;
- dateTimes compare as instants; numbers as numbers (integers and decimals mix).

Every literal is a bound parameter; ``co``/``sw``/``ew`` never hand a wildcard to the database unescaped
(PostgreSQL ``LIKE ... ESCAPE``; on SQLite ``instr``/``substr``, because SQLite's ``LIKE`` ignores ASCII case).
Attribute names come from the schema and are checked before they are written into SQL (so that expression
indexes match). Whatever cannot be translated raises ``InvalidFilter``; nothing is dropped.

With ``folded=True`` the column holds search documents (:func:`scimcore.sql.document.search_document`): the
comparison is then exact in both dialects. With raw documents, SQLite needs the functions of
:func:`~scimcore.sql.document.register_sqlite_functions` on the connection (exact as well), and PostgreSQL
folds case with ``lower()``: the one place where SQL may differ from the evaluator (see docs/sql.md).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from ..errors import InvalidFilter, InvalidValue, ScimError
from ..filter.ast import And, Compare, Filter, Not, Or, ValuePath
from ..filter.ast import Present as AstPresent
from ..filter.bind import STRING_TYPES, AllOf, AnyOf, Bound, Comparison, Negation, Present, Target, bind
from ..policy import Policy
from ..query import resolve_sort
from ..schema.model import AttributeDef
from .dialects import DIALECTS, Dialect, Node, check_identifier
from .document import instant_text

if TYPE_CHECKING:
    from ..schema.registry import SchemaRegistry

__all__ = ["order_by_sql", "to_sql"]

_ORDERING = {"eq": "=", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
_INT64 = (-(2**63), 2**63 - 1)


def to_sql(
    filter: str | Filter,
    resource_type: str | None = "User",
    dialect: str = "sqlite",
    column: str = "data",
    registry: SchemaRegistry | None = None,
    *,
    folded: bool = False,
) -> tuple[str, list]:
    """Translate a filter (text or AST) into ``(where_sql, params)`` for JSON documents in ``column``.

    ``dialect`` is ``"sqlite"`` (``?`` placeholders) or ``"postgresql"`` (``%s``, for psycopg). ``folded``:
    the column holds search documents (case folded, canonical instants). Raises ``InvalidFilter`` for a filter
    that does not parse, does not fit the schema, or cannot be translated.
    """
    translator = _Translator.create(resource_type, dialect, column, registry, folded)
    bound = bind(_parse(filter), translator.resource_type, translator.registry)
    try:
        sql = translator.filter(bound, Node(translator.column))
    except RecursionError:
        raise InvalidFilter("the filter is nested too deeply to translate", code="too_deep") from None
    return sql, translator.params


def order_by_sql(
    sort_by: str,
    descending: bool,
    resource_type: str = "User",
    dialect: str = "sqlite",
    column: str = "data",
    registry=None,
    *,
    folded: bool = False,
    id_column: str = "id",
) -> str:
    """The ``ORDER BY`` list for ``sortBy`` (RFC 7644 §3.4.2.3, docs/semantics.md §Query).

    Missing values (and ``""``) sort last ascending and first descending; a multi-valued attribute sorts by its primary
    element, else its first; a complex attribute by ``value``; strings by code point, folded unless
    ``caseExact``; ties by ``id_column`` ascending. What :func:`scimcore.query.resolve_sort` finds unusable (unknown,
    ``returned: never``, a whole extension, complex without ``value``) raises ``InvalidFilter``.
    """
    translator = _Translator.create(resource_type, dialect, column, registry, folded)
    id_column = check_identifier(id_column)
    try:
        resolved, sub = resolve_sort(translator.registry, translator.resource_type, sort_by, Policy.STRICT)
    except InvalidValue as exc:
        raise InvalidFilter(exc.detail) from None
    key = translator.sort_key(Target(resolved.extension, resolved.attribute, sub))
    direction = "DESC" if descending else "ASC"
    id_order = f'{id_column} COLLATE "C"' if translator.dialect.name == "postgresql" else id_column
    return f"({key}) IS NULL {direction}, {key} {direction}, {id_order} ASC"


def _parse(filter):
    if isinstance(filter, str):
        from ..filter.parse import parse_filter

        return parse_filter(filter)
    if isinstance(filter, (And, Or, Not, Compare, AstPresent, ValuePath)):
        return filter
    raise InvalidFilter("a filter must be a string or a filter AST", code="expected_filter", position=0)


class _Translator:
    """One translation: the dialect, the schema, and the parameters collected so far."""

    def __init__(self, dialect: Dialect, registry, resource_type: str, column: str, folded: bool) -> None:
        self.dialect = dialect
        self.registry = registry
        self.resource_type = resource_type
        self.column = column
        self.folded = folded
        self.params: list = []
        self._aliases = 0

    @classmethod
    def create(cls, resource_type, dialect, column, registry, folded) -> _Translator:
        found = DIALECTS.get(dialect) if isinstance(dialect, str) else None
        if found is None:
            raise InvalidFilter(f"unknown SQL dialect {dialect!r}: expected 'sqlite' or 'postgresql'")
        if resource_type is None:
            raise InvalidFilter("SQL translation is schema-aware: a resource type is required")
        if registry is None:
            from ..schema.default import registry
        try:
            registry.resource_type(resource_type)
        except ScimError as exc:
            raise InvalidFilter(exc.detail) from None
        return cls(found, registry, resource_type, check_identifier(column), bool(folded))

    # -- helpers --------------------------------------------------------------------------------------------

    def param(self, value, cast: str | None = None) -> str:
        self.params.append(value)
        if self.dialect.name == "postgresql" and cast:
            return f"{self.dialect.placeholder}::{cast}"
        return self.dialect.placeholder

    def _alias(self) -> str:
        self._aliases += 1
        return f"scim_e{self._aliases}"

    def _exists(self, node: Node, element_condition: Callable[[Node], str]) -> str:
        alias = self._alias()
        source, _ = self.dialect.elements(node, alias)
        element = Node(alias, (), True)
        return f"EXISTS (SELECT 1 FROM {source} WHERE {self.dialect.is_array(node)} AND ({element_condition(element)}))"

    def _reach(self, node: Node, steps: list[tuple[str, AttributeDef | None]], leaf: Callable[[Node], str]) -> str:
        """Walk ``steps`` from ``node``; a multi-valued step holds if any element satisfies the rest."""
        if not steps:
            return leaf(node)
        (key, attr), rest = steps[0], steps[1:]
        child = node.child(key)
        if attr is not None and attr.multi_valued:
            return self._exists(child, lambda element: self._reach(element, rest, leaf))
        return self._reach(child, rest, leaf)

    # -- filters: the lowering of a bound filter ------------------------------------------------------------

    def filter(self, node: Bound, at: Node) -> str:
        if isinstance(node, AllOf):
            return "(" + " AND ".join(self.filter(t, at) for t in node.terms) + ")"
        if isinstance(node, AnyOf):
            return "(" + " OR ".join(self.filter(t, at) for t in node.terms) + ")"
        if isinstance(node, Negation):
            return f"(({self.filter(node.filter, at)}) IS NOT TRUE)"
        target = node.target
        if not isinstance(target, Target):
            raise InvalidFilter("SQL translation is schema-aware: a resource type is required")
        if isinstance(node, Present):
            return self._reach(at, _steps(target), self._non_empty)
        if isinstance(node, Comparison):
            return self._reach(at, _steps(target), self._leaf(node))
        return self._reach(at, _steps(target), lambda element: self.filter(node.filter, element))

    def _non_empty(self, node: Node) -> str:
        """``pr`` on one value: judged on its JSON shape (docs/semantics.md §Evaluation)."""
        return self.dialect.non_empty(node, self._alias())

    def _leaf(self, node: Comparison) -> Callable[[Node], str]:
        """The comparison on one scalar node (the literal is converted by the bind step)."""
        kind, op, value = node.kind, node.op, node.value
        if kind == "string":
            return self._string_leaf(op, value, not node.fold)
        if kind == "dateTime":
            return self._datetime_leaf(op, value)
        if kind == "number":
            return self._number_leaf(op, value)
        return self.dialect.is_true if value else self.dialect.is_false

    def _string_leaf(self, op: str, literal: str, case_exact: bool) -> Callable[[Node], str]:
        """``literal`` is already folded unless ``case_exact`` (the bind step)."""
        d = self.dialect
        pg = d.name == "postgresql"
        if pg and "\x00" in literal:
            raise InvalidFilter("PostgreSQL text cannot hold the character U+0000", code="not_translatable")

        def leaf(node: Node) -> str:
            text = d.text(node)
            if not case_exact and not self.folded:
                text = f"lower({text})" if pg else f"scim_fold({text})"
            if op == "eq":
                test = f"{text} = {self.param(literal, 'text')}"
            elif op in _ORDERING:
                collate = ' COLLATE "C"' if pg else ""
                test = f"{text}{collate} {_ORDERING[op]} {self.param(literal, 'text')}"
            elif pg:
                pattern = _like_escape(literal)
                pattern = {"co": f"%{pattern}%", "sw": f"{pattern}%", "ew": f"%{pattern}"}[op]
                test = f"{text} LIKE {self.param(pattern, 'text')} ESCAPE '\\'"
            elif op == "co":
                test = f"instr({text}, {self.param(literal)}) > 0"
            elif op == "sw":
                test = f"substr({text}, 1, {self.param(len(literal))}) = {self.param(literal)}"
            else:
                n = len(literal)
                test = (
                    f"length({text}) >= {self.param(n)} AND "
                    f"substr({text}, length({text}) - {self.param(n)} + 1) = {self.param(literal)}"
                )
            return f"({d.is_string(node)} AND {test})"

        return leaf

    def _datetime_leaf(self, op: str, instant) -> Callable[[Node], str]:
        d = self.dialect
        sql_op = _ORDERING[op]

        def leaf(node: Node) -> str:
            if self.folded:
                collate = ' COLLATE "C"' if d.name == "postgresql" else ""
                param = self.param(instant_text(instant), "text")
                return f"({d.is_string(node)} AND {d.text(node)}{collate} {sql_op} {param})"
            if d.name == "sqlite":
                param = self.param(instant_text(instant))
                return f"({d.is_string(node)} AND scim_instant({d.text(node)}) {sql_op} {param})"
            parsed = _pg_instant(d.text(node))
            return f"({d.is_string(node)} AND {parsed} {sql_op} {self.param(instant, 'timestamptz')})"

        return leaf

    def _number_leaf(self, op: str, value) -> Callable[[Node], str]:
        d = self.dialect
        sql_op = _ORDERING[op]
        if d.name == "sqlite":
            value = _sqlite_number(value)

        def leaf(node: Node) -> str:
            return f"({d.is_number(node)} AND {d.number(node)} {sql_op} {self.param(value, 'numeric')})"

        return leaf

    # -- sorting --------------------------------------------------------------------------------------------

    def sort_key(self, target: Target) -> str:
        """A typed SQL expression for the sort value of each row (``NULL`` when the resource has none)."""
        definition = target.definition
        assert definition is not None
        return self._sort_reach(Node(self.column), _steps(target), definition)

    def _sort_reach(self, node: Node, steps, target: AttributeDef) -> str:
        for index, (key, attr) in enumerate(steps):
            node = node.child(key)
            if attr is not None and attr.multi_valued:
                return self._sort_element(node, attr, steps[index + 1 :], target)
        return self._scalar_key(node, target)

    def _sort_element(self, node: Node, attr: AttributeDef, rest, target: AttributeDef) -> str:
        """The key of the primary element, else of the first (J42)."""
        d = self.dialect
        alias = self._alias()
        source, order = d.elements(node, alias)
        element = Node(alias, (), True)
        key = self._sort_reach(element, rest, target)
        primary = d.is_true(element.child("primary")) if attr.is_complex and attr.sub("primary") else "1 = 0"
        return (
            f"(SELECT {key} FROM {source} WHERE {d.is_array(node)} ORDER BY ({primary}) IS TRUE DESC, {order} LIMIT 1)"
        )

    def _scalar_key(self, node: Node, target: AttributeDef) -> str:
        d = self.dialect
        kind = target.type
        if kind in STRING_TYPES or kind == "dateTime":
            text = d.text(node)
            if kind == "dateTime" and not self.folded:
                text = f"scim_instant({text})" if d.name == "sqlite" else _pg_instant(text)
            elif kind in STRING_TYPES and not target.case_exact and not self.folded:
                text = f"lower({text})" if d.name == "postgresql" else f"scim_fold({text})"
            text_key = d.name == "postgresql" and (kind != "dateTime" or self.folded)
            return f"(CASE WHEN {d.is_string(node)} AND {d.text(node)} <> '' THEN {text} END)" + (
                ' COLLATE "C"' if text_key else ""
            )
        if kind in ("integer", "decimal"):
            return f"(CASE WHEN {d.is_number(node)} THEN {d.number(node)} END)"
        if kind == "boolean":
            return d.bool_key(node)
        raise InvalidFilter(f"cannot sort by attributes of type {kind}")


def _steps(target: Target) -> list[tuple[str, AttributeDef | None]]:
    """The keys from a resource (or a value-path element) to the target, each with its definition."""
    steps: list[tuple[str, AttributeDef | None]] = [(target.extension, None)] if target.extension else []
    if target.attribute is not None:
        steps.append((target.attribute.name, target.attribute))
    if target.sub is not None:
        steps.append((target.sub.name, target.sub))
    return steps


def _pg_instant(text: str) -> str:
    """PostgreSQL: an xsd:dateTime text as ``timestamptz`` (no offset: UTC); ``NULL`` if it is no dateTime."""
    return (
        f"(CASE WHEN {text} ~ '{_XSD_DATETIME}' THEN (CASE WHEN {text} ~ '(Z|[+-][0-9]{{2}}:[0-9]{{2}})$' "
        f"THEN {text} ELSE {text} || 'Z' END)::timestamptz END)"
    )


_XSD_DATETIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?$"


def _like_escape(text: str) -> str:
    """Escape LIKE's wildcards (``%``, ``_``) and the escape character itself (``\\``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _sqlite_number(value):
    """SQLite binds 64-bit integers and doubles: exact integers stay integers, the rest become doubles."""
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)
    if isinstance(value, int) and _INT64[0] <= value <= _INT64[1]:
        return value
    return float(value)
