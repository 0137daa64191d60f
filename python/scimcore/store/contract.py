"""The store contract (RFC 7644 §3.3–§3.7): what every store of resources of one type offers.

``scimcore.Store`` is the extension point for a server's own database. ``Directory`` (native and pure-Python),
``SqlDirectory`` (SQLite, PostgreSQL) and a server's own adapter implement it; the protocol layer
(``scimcore.Service``) uses nothing else. See docs/semantics.md ("Stores") for the rules every store follows.

Conventions shared by every method:

- Resources go in and come out as JSON-shaped dicts with the schema's canonical attribute names.
- The store owns identity: ``add`` assigns ``id`` and ``meta`` (``resourceType``, ``created`` = ``lastModified``,
  ``version``, and ``location`` when the store was given a base URL); readOnly input is ignored on ``add`` and
  ``replace``; ``immutable`` attributes keep their value.
- ``meta.version`` is a weak ETag (``W/"..."``), one format in every store, changed by every write that changes
  something and by nothing else.
- ``version=`` on ``replace``/``patch``/``delete`` is the client's If-Match (one ETag, a list of them, or
  ``"*"``); a mismatch raises ``InvalidVersion`` (412), checked and written atomically.
- ``returned: never`` attributes (``password``) never come out of a read or a write's result.
- Unknown id: ``NotFound`` (404). Every failure is a ``ScimError``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

__all__ = ["Store"]

Version = str | Sequence[str] | None
"""The client's If-Match: ``None`` (unconditional), one ETag, a list of ETags, or ``"*"``."""


@runtime_checkable
class Store(Protocol):
    """A store of resources of one resource type (``store.resource_type``)."""

    resource_type: str

    def add(self, resource: Mapping[str, Any]) -> dict[str, Any]:
        """Create (RFC 7644 §3.3): the stored resource with its new ``id`` and ``meta``."""
        ...

    def get(self, resource_id: str, *, attributes: Any = None, excluded_attributes: Any = None) -> dict[str, Any]:
        """Read one resource (RFC 7644 §3.4.1), projected as asked."""
        ...

    def replace(self, resource_id: str, resource: Mapping[str, Any], *, version: Version = None) -> dict[str, Any]:
        """Replace (RFC 7644 §3.5.1): what the body omits is cleared; readOnly values are kept."""
        ...

    def patch(
        self,
        resource_id: str,
        patch: Any,
        *,
        version: Version = None,
        check: Callable[[dict[str, Any]], None] | None = None,
        policy: Any = None,
    ) -> dict[str, Any]:
        """Modify (RFC 7644 §3.5.2); ``check`` sees the new resource before it is written and may raise a
        ``ScimError`` to refuse it. A patch that changes nothing keeps ``meta.version``."""
        ...

    def delete(self, resource_id: str, *, version: Version = None) -> None:
        """Delete (RFC 7644 §3.6)."""
        ...

    def search(
        self,
        *,
        filter: Any = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        start_index: int | None = None,
        count: int | None = None,
        attributes: Any = None,
        excluded_attributes: Any = None,
        request: Any = None,
    ) -> Any:
        """Query (RFC 7644 §3.4.2): a ``scimcore.ListResponse`` of projected resources."""
        ...

    def set_derived(self, resource_id: str, attributes: Mapping[str, Any]) -> None:
        """Store server-derived readOnly attributes (``User.groups``, RFC 7643 §4.1.2) as given, replacing their
        old values; they are then read, filtered and projected like any attribute. Renews ``meta.version`` when
        they change (the representation changed) and nothing else."""
        ...

    def __len__(self) -> int: ...
