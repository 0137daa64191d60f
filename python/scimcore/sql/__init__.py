"""SCIM queries in SQL databases: :func:`to_sql` and :class:`SqlDirectory` (SQLite, PostgreSQL). See docs/sql.md."""

from .directory import SqlDirectory
from .document import register_sqlite_functions, search_document
from .translate import order_by_sql, to_sql

__all__ = ["SqlDirectory", "order_by_sql", "register_sqlite_functions", "search_document", "to_sql"]
