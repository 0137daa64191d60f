"""How each SQL dialect reaches into a JSON document: SQLite's JSON1 functions and PostgreSQL ``jsonb``.

A :class:`Node` names a JSON value: a document column, or an element produced by iterating an array
(``json_each`` / ``jsonb_array_elements``), followed by object keys. A dialect renders a node as SQL: its
JSON type, its value as text / number, and the iteration over its elements. Keys are schema attribute names
and schema URNs; they are embedded in the SQL text (so that expression indexes match) only after
:func:`check_key` has accepted them, never anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import InvalidFilter

__all__ = ["DIALECTS", "Dialect", "Node", "PostgreSQL", "SQLite", "check_identifier", "check_key"]

_SAFE_KEY = re.compile(r"[A-Za-z0-9$_.:\-]+\Z")
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}\Z")


def check_key(key: str) -> str:
    """An attribute name or URN that may be written into SQL text (letters, digits, ``$ _ . : -``)."""
    if not isinstance(key, str) or not _SAFE_KEY.match(key):
        raise InvalidFilter(f"the attribute name {key!r} cannot be translated to SQL")
    return key


def check_identifier(name: str, what: str = "column") -> str:
    """A SQL identifier (table or column name): ``[A-Za-z_][A-Za-z0-9_]*``, at most 63 characters."""
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise InvalidFilter(f"the {what} name {name!r} is not a valid SQL identifier")
    return name


@dataclass(frozen=True, slots=True)
class Node:
    """A JSON value: ``root`` is a document column (``element=False``) or an element alias, then ``keys``."""

    root: str
    keys: tuple[str, ...] = ()
    element: bool = False

    def child(self, key: str) -> Node:
        return Node(self.root, (*self.keys, check_key(key)), self.element)


class Dialect:
    """The SQL text of JSON access, comparison and iteration for one database."""

    name: str
    placeholder: str
    STRING: str  # the JSON type name of a string
    NUMBER: tuple[str, ...]  # the JSON type names of numbers

    def json_type(self, node: Node) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def text(self, node: Node) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def elements(self, node: Node, alias: str) -> tuple[str, str]:  # pragma: no cover - abstract
        """``(from_item, order_expr)``: the array's elements as rows named ``alias``, and their array order."""
        raise NotImplementedError

    def number(self, node: Node) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def is_true(self, node: Node) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def is_false(self, node: Node) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def bool_key(self, node: Node) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def is_string(self, node: Node) -> str:
        return f"{self.json_type(node)} = '{self.STRING}'"

    def is_number(self, node: Node) -> str:
        return f"{self.json_type(node)} IN ({', '.join(repr(t) for t in self.NUMBER)})"

    def is_array(self, node: Node) -> str:
        return f"{self.json_type(node)} = 'array'"

    def non_empty(self, node: Node, alias: str) -> str:  # pragma: no cover - abstract
        """``pr`` on the node's value (docs/semantics.md §Evaluation): some scalar in it, at any depth, is neither
        ``null`` nor ``""``; ``alias`` names the rows of the walk."""
        raise NotImplementedError


class SQLite(Dialect):
    """SQLite's JSON1 functions (built in since 3.38, and in every Python 3.11 build)."""

    name = "sqlite"
    placeholder = "?"
    STRING = "text"
    NUMBER = ("integer", "real")

    @staticmethod
    def path(keys: tuple[str, ...]) -> str:
        return "$" + "".join(f".{k}" if _PLAIN_KEY.match(k) else f'."{k}"' for k in keys)

    def _container(self, node: Node) -> str:
        return f"CASE WHEN {node.root}.type = 'object' THEN {node.root}.value END" if node.element else node.root

    def json_type(self, node: Node) -> str:
        if node.element and not node.keys:
            return f"{node.root}.type"
        return f"json_type({self._container(node)}, '{self.path(node.keys)}')"

    def text(self, node: Node) -> str:
        """The SQL value of the node (text for strings, numbers for numbers, 0/1 for booleans)."""
        if node.element and not node.keys:
            return f"{node.root}.value"
        return f"json_extract({self._container(node)}, '{self.path(node.keys)}')"

    number = text

    def is_true(self, node: Node) -> str:
        return f"({self.json_type(node)} = 'true')"

    def is_false(self, node: Node) -> str:
        return f"({self.json_type(node)} = 'false')"

    def elements(self, node: Node, alias: str) -> tuple[str, str]:
        if node.element and not node.keys:  # an array inside an array: not part of any SCIM schema
            raise InvalidFilter("nested arrays cannot be translated to SQL")
        source = f"json_each({self._container(node)}, '{self.path(node.keys)}') AS {alias}"
        return source, f"{alias}.key"

    def non_empty(self, node: Node, alias: str) -> str:
        scalar = f"{alias}.type NOT IN ('null', 'object', 'array') AND ({alias}.type <> 'text' OR {alias}.atom <> '')"
        if node.element and not node.keys:  # an array element: json_each gives containers as JSON text
            walk = f"EXISTS (SELECT 1 FROM json_tree({node.root}.value) AS {alias} WHERE {scalar})"
            return (
                f"(CASE {node.root}.type WHEN 'null' THEN 0 WHEN 'text' THEN {node.root}.value <> '' "
                f"WHEN 'object' THEN {walk} WHEN 'array' THEN {walk} ELSE 1 END)"
            )
        source = f"json_tree({self._container(node)}, '{self.path(node.keys)}') AS {alias}"
        return f"EXISTS (SELECT 1 FROM {source} WHERE {scalar})"

    def bool_key(self, node: Node) -> str:
        t = self.json_type(node)
        return f"CASE {t} WHEN 'true' THEN 1 WHEN 'false' THEN 0 END"

    def string_key(self, node: Node) -> str:
        return self.text(node)


_PG_NON_EMPTY = 'strict $.** ? (@.type() == "number" || @.type() == "boolean" || @.type() == "string" && @ != "")'


class PostgreSQL(Dialect):
    """PostgreSQL ``jsonb`` (9.4+); string order is code-point order through ``COLLATE "C"`` (UTF-8)."""

    name = "postgresql"
    placeholder = "%s"
    STRING = "string"
    NUMBER = ("number",)

    def jsonb(self, node: Node) -> str:
        return node.root + ("" if not node.element else ".value") + "".join(f" -> '{k}'" for k in node.keys)

    def json_type(self, node: Node) -> str:
        return f"jsonb_typeof({self.jsonb(node)})"

    def text(self, node: Node) -> str:
        if not node.keys:
            return f"({node.root}.value #>> '{{}}')"
        head = node.root + ("" if not node.element else ".value")
        inner = "".join(f" -> '{k}'" for k in node.keys[:-1])
        return f"({head}{inner} ->> '{node.keys[-1]}')"

    def number(self, node: Node) -> str:
        return f"(CASE WHEN {self.is_number(node)} THEN ({self.jsonb(node)})::numeric END)"

    def is_true(self, node: Node) -> str:
        return f"({self.jsonb(node)} = 'true'::jsonb)"

    def is_false(self, node: Node) -> str:
        return f"({self.jsonb(node)} = 'false'::jsonb)"

    def elements(self, node: Node, alias: str) -> tuple[str, str]:
        j = self.jsonb(node)
        source = f"jsonb_array_elements(CASE WHEN jsonb_typeof({j}) = 'array' THEN {j} END) WITH ORDINALITY AS {alias}"
        return source, f"{alias}.ordinality"

    def non_empty(self, node: Node, alias: str) -> str:
        return f"COALESCE(jsonb_path_exists({self.jsonb(node)}, '{_PG_NON_EMPTY}'), false)"

    def bool_key(self, node: Node) -> str:
        return f"(CASE jsonb_typeof({self.jsonb(node)}) WHEN 'boolean' THEN ({self.jsonb(node)})::boolean END)"

    def string_key(self, node: Node) -> str:
        return f'{self.text(node)} COLLATE "C"'


DIALECTS: dict[str, Dialect] = {"sqlite": SQLite(), "postgresql": PostgreSQL()}
