"""The schema registry (RFC 7643 §3.2, §3.3, §6, §7): schemas, resource types, and attribute resolution.

``SchemaRegistry()`` is empty; ``SchemaRegistry.default()`` holds the core schemas shipped as data
(``core-schemas.json``, the corrected RFC 7643 §8.7 set) with the ``User`` (plus the enterprise extension) and
``Group`` resource types. Registries are independent: registering in one never changes another.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import InvalidFilter, InvalidValue, ScimError
from ..filter.lru import LruCache
from .model import (
    CORE_GROUP,
    CORE_USER,
    ENTERPRISE_USER,
    AttributeDef,
    ResourceTypeDef,
    SchemaDef,
    common_attributes,
)

if TYPE_CHECKING:
    import msgspec

_COMMON = common_attributes()
_T = TypeVar("_T")
_COMPILED_SIZE = 1024
"""How many compiled artefacts a registry keeps: decode plans per (type, policy), a store front's plans per store."""


@dataclass(frozen=True, slots=True)
class ResolvedAttribute:
    """Where an attribute path lands in a resource of one type.

    ``extension`` is the extension URN whose object holds the attribute (``resource[extension][name]``), or
    ``None`` for a core or common attribute (``resource[name]``). ``attribute`` is the top-level definition,
    ``sub`` the sub-attribute definition when the path names one. For a path that names a whole extension
    object (``urn:...:enterprise:2.0:User``), ``attribute`` is ``None``.
    """

    extension: str | None
    attribute: AttributeDef | None
    sub: AttributeDef | None = None

    @property
    def target(self) -> AttributeDef | None:
        """The definition of the value the path designates (the sub-attribute if any)."""
        return self.sub or self.attribute


class SchemaRegistry:
    """Schemas and resource types, and name resolution for filters, paths, projection and sorting."""

    def __init__(self) -> None:
        self._schemas: dict[str, SchemaDef] = {}  # lower-cased URN -> schema
        self._resource_types: dict[str, ResourceTypeDef] = {}  # lower-cased name -> resource type
        self._generation = 0
        self._compiled = LruCache(_COMPILED_SIZE)  # artefacts built from this registry, with their generation

    @classmethod
    def default(cls) -> SchemaRegistry:
        """A fresh registry with the core schemas and the User (+ enterprise extension) and Group types."""
        registry = cls()
        for schema in _core_schema_json():
            registry.register_schema(schema)
        registry.register_resource_type("User", CORE_USER, endpoint="/Users", description="User Account")
        registry.register_extension("User", ENTERPRISE_USER, required=False)
        registry.register_resource_type("Group", CORE_GROUP, endpoint="/Groups", description="Group")
        return registry

    # -- registration -------------------------------------------------------------------------------------

    def register_schema(self, schema: dict[str, Any] | bytes | bytearray | str | msgspec.Struct) -> SchemaDef:
        """Add (or replace) a schema given as RFC 7643 §7 JSON: a dict, bytes/str, or a ``scimcore.Schema``."""
        data: Any = schema
        if isinstance(schema, (bytes, bytearray, str)):
            try:
                data = json.loads(schema)
            except (ValueError, RecursionError) as exc:
                from ..errors import InvalidSyntax

                raise InvalidSyntax(f"the schema is not valid JSON: {exc}") from None
        elif not isinstance(schema, dict):
            import msgspec

            try:
                data = msgspec.to_builtins(schema)
            except (TypeError, msgspec.ValidationError):
                raise InvalidValue("a schema must be Schema JSON or a scimcore.Schema") from None
        definition = SchemaDef.from_json(data)
        self._schemas[definition.id.lower()] = definition
        self._generation += 1
        return definition

    def register_resource_type(
        self, name: str, schema: str, *, endpoint: str | None = None, description: str = ""
    ) -> ResourceTypeDef:
        """Add a resource type whose base schema ``schema`` is already registered."""
        base = self.schema(schema)
        rt = ResourceTypeDef(name=name, endpoint=endpoint or f"/{name}s", schema=base.id, description=description)
        self._resource_types[name.lower()] = rt
        self._generation += 1
        return rt

    def register_extension(self, resource_type: str, urn: str, required: bool = False) -> None:
        """Attach the registered schema ``urn`` to ``resource_type`` as an extension (RFC 7643 §3.3)."""
        rt = self.resource_type(resource_type)
        ext = self.schema(urn)
        rt.extensions = [(u, r) for u, r in rt.extensions if u.lower() != ext.id.lower()]
        rt.extensions.append((ext.id, bool(required)))
        self._generation += 1

    # -- lookup -------------------------------------------------------------------------------------------

    def compiled(self, key: Hashable, build: Callable[..., _T], *args: Any) -> _T:
        """The artefact cached under ``key`` for the current generation, built by ``build(*args)`` if needed."""
        entry = self._compiled.get(key)
        if entry is None or entry[0] != self._generation:
            entry = (self._generation, build(*args))
            self._compiled.put(key, entry)
        return entry[1]

    @property
    def generation(self) -> int:
        """A counter that changes whenever the registry changes (for caches of compiled artefacts)."""
        return self._generation

    def schema(self, urn: str) -> SchemaDef:
        found = self._schemas.get(urn.lower()) if isinstance(urn, str) else None
        if found is None:
            raise InvalidValue(f"unknown schema {urn!r}")
        return found

    def find_schema(self, urn: str) -> SchemaDef | None:
        return self._schemas.get(urn.lower())

    def resource_type(self, name: str) -> ResourceTypeDef:
        found = self._resource_types.get(name.lower()) if isinstance(name, str) else None
        if found is None:
            raise ScimError(f"unknown resource type {name!r}", status=404)
        return found

    def schemas(self) -> dict:
        """The ``/Schemas`` discovery body: a ListResponse of every registered schema (RFC 7644 §4)."""
        items = [s.to_json() for s in self._schemas.values()]
        return _list_response(items)

    def resource_types(self) -> dict:
        """The ``/ResourceTypes`` discovery body (RFC 7644 §4)."""
        items = [rt.to_json() for rt in self._resource_types.values()]
        return _list_response(items)

    def resource_type_names(self) -> list[str]:
        return [rt.name for rt in self._resource_types.values()]

    # -- resolution ---------------------------------------------------------------------------------------

    def resolve(
        self,
        resource_type: str,
        name: str,
        uri: str | None = None,
        sub: str | None = None,
        *,
        error: type[ScimError] = InvalidFilter,
    ) -> ResolvedAttribute:
        """Resolve ``[uri:]name[.sub]`` for ``resource_type`` (docs/semantics.md §Filters).

        A URN must be the type's base schema or one of its extensions (case-insensitive). Unqualified names
        resolve among the common attributes and the base schema first, then in the extensions when exactly one
        defines the name. Unknown or ambiguous names raise ``error`` (``InvalidFilter`` by default).
        """
        rt = self.resource_type(resource_type)
        if uri is not None:
            lowered = uri.lower()
            whole = f"{lowered}:{name.lower()}"
            for ext_urn, _ in rt.extensions:
                if ext_urn.lower() == whole and sub is None:
                    return ResolvedAttribute(extension=ext_urn, attribute=None)
            if lowered == rt.schema.lower():
                attr = self._schemas[lowered].attribute(name) or _COMMON.get(name.lower())
                return _with_sub(ResolvedAttribute(None, attr), name, sub, uri, error)
            for ext_urn, _ in rt.extensions:
                if ext_urn.lower() == lowered:
                    attr = self._schemas[lowered].attribute(name)
                    return _with_sub(ResolvedAttribute(ext_urn, attr), name, sub, uri, error)
            raise error(f"unknown schema URN {uri!r} for resource type {rt.name}")
        attr = _COMMON.get(name.lower()) or self._schemas[rt.schema.lower()].attribute(name)
        if attr is not None:
            return _with_sub(ResolvedAttribute(None, attr), name, sub, None, error)
        found = [
            (ext_urn, self._schemas[ext_urn.lower()].attribute(name))
            for ext_urn, _ in rt.extensions
            if self._schemas[ext_urn.lower()].attribute(name) is not None
        ]
        if len(found) > 1:
            raise error(f"attribute {name!r} is ambiguous: defined by {', '.join(u for u, _ in found)}")
        if found:
            return _with_sub(ResolvedAttribute(found[0][0], found[0][1]), name, sub, None, error)
        raise error(f"unknown attribute {name!r} for resource type {rt.name}")

    def extension_urns(self, resource_type: str) -> list[str]:
        return [urn for urn, _ in self.resource_type(resource_type).extensions]

    def base_attributes(self, resource_type: str) -> dict[str, AttributeDef]:
        """Common attributes plus the base schema's, by lower-cased name."""
        rt = self.resource_type(resource_type)
        return {**_COMMON, **self._schemas[rt.schema.lower()].attributes}


def _with_sub(found: ResolvedAttribute, name, sub, uri, error) -> ResolvedAttribute:
    if found.attribute is None:
        qualified = f"{uri}:{name}" if uri else name
        raise error(f"unknown attribute {qualified!r}")
    if sub is None:
        return found
    sub_def = found.attribute.sub(sub)
    if sub_def is None:
        raise error(f"unknown sub-attribute {sub!r} of {found.attribute.name!r}")
    return ResolvedAttribute(found.extension, found.attribute, sub_def)


def _list_response(items: list) -> dict:
    return {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": len(items),
        "itemsPerPage": len(items),
        "startIndex": 1,
        "Resources": items,
    }


_CORE_JSON: list | None = None


def _core_schema_json() -> list:
    """The shipped core schema JSON, read once."""
    global _CORE_JSON
    if _CORE_JSON is None:
        _CORE_JSON = json.loads(resources.files(__package__).joinpath("core-schemas.json").read_text("utf-8"))
    return _CORE_JSON
