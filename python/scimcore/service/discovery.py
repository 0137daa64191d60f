"""The discovery documents (RFC 7644 §4; RFC 7643 §5-§7; RFC 9865 ``pagination``) of a service as configured.

``/ServiceProviderConfig`` says what the service does (PATCH, Bulk and its limits, filter ``maxResults``, sort,
ETags, cursor and index pagination, the authenticator's schemes); ``/Schemas`` lists the schemas of the served
resource types (base schemas and their extensions) and ``/ResourceTypes`` the served types, each as a
ListResponse whose items carry an absolute ``meta.location``. Built once per registry generation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import NotFound
from ..schema.messages import LIST_RESPONSE
from ..schema.registry import SchemaRegistry

__all__ = ["Discovery", "Limits"]

SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits a service enforces and advertises."""

    max_results: int
    bulk_max_operations: int
    bulk_max_payload_size: int
    max_body_bytes: int
    cursor_timeout: int


@dataclass(frozen=True, slots=True)
class Documents:
    config: dict[str, Any]
    schemas: dict[str, dict[str, Any]]  # lower-cased URN -> Schema
    resource_types: dict[str, dict[str, Any]]  # lower-cased name -> ResourceType


class Discovery:
    """The discovery documents of one service, rebuilt when its registry changes."""

    def __init__(
        self,
        registry: SchemaRegistry,
        served: Sequence[str],
        base_url: str,
        limits: Limits,
        authentication_schemes: Sequence[dict[str, Any]],
    ) -> None:
        self.registry = registry
        self.served = tuple(served)
        self.base_url = base_url
        self.limits = limits
        self.authentication_schemes = [dict(s) for s in authentication_schemes]
        self._generation = -1
        self._documents: Documents | None = None

    def documents(self) -> Documents:
        if self._documents is None or self._generation != self.registry.generation:
            self._generation = self.registry.generation
            self._documents = self._build()
        return self._documents

    def config(self) -> dict[str, Any]:
        return self.documents().config

    def schemas(self, urn: str | None) -> dict[str, Any]:
        items = self.documents().schemas
        return _one(items, urn, "schema") if urn is not None else _list(list(items.values()))

    def resource_types(self, name: str | None) -> dict[str, Any]:
        items = self.documents().resource_types
        return _one(items, name, "resource type") if name is not None else _list(list(items.values()))

    def _build(self) -> Documents:
        limits = self.limits
        config = {
            "schemas": [SPC_SCHEMA],
            "patch": {"supported": True},
            "bulk": {
                "supported": limits.bulk_max_operations > 0,
                "maxOperations": limits.bulk_max_operations,
                "maxPayloadSize": limits.bulk_max_payload_size,
            },
            "filter": {"supported": True, "maxResults": limits.max_results},
            "changePassword": {"supported": True},  # password is accepted on POST, PUT and PATCH
            "sort": {"supported": True},
            "etag": {"supported": True},
            "pagination": {
                "cursor": True,
                "index": True,
                "defaultPaginationMethod": "index",
                "defaultPageSize": limits.max_results,
                "maxPageSize": limits.max_results,
                "cursorTimeout": limits.cursor_timeout,
            },
            "authenticationSchemes": self.authentication_schemes,
            "meta": {
                "resourceType": "ServiceProviderConfig",
                "location": f"{self.base_url}/ServiceProviderConfig",
            },
        }
        schemas: dict[str, dict[str, Any]] = {}
        resource_types: dict[str, dict[str, Any]] = {}
        for name in self.served:
            definition = self.registry.resource_type(name)
            document = definition.to_json()
            document["meta"] = {"resourceType": "ResourceType", "location": f"{self.base_url}/ResourceTypes/{name}"}
            resource_types[name.lower()] = document
            for urn in (definition.schema, *(urn for urn, _ in definition.extensions)):
                schema = self.registry.schema(urn).to_json()
                schema["meta"] = {"resourceType": "Schema", "location": f"{self.base_url}/Schemas/{schema['id']}"}
                schemas.setdefault(urn.lower(), schema)
        return Documents(config, schemas, resource_types)


def _list(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schemas": [LIST_RESPONSE],
        "totalResults": len(items),
        "itemsPerPage": len(items),
        "startIndex": 1,
        "Resources": items,
    }


def _one(items: dict[str, dict[str, Any]], key: str, what: str) -> dict[str, Any]:
    found = items.get(key.lower())
    if found is None:
        raise NotFound(f"no {what} {key!r}")
    return found
