"""The attribute model (RFC 7643 §2.2, §7): schemas and attribute definitions with defaulted characteristics.

Built from RFC 7643 §7 Schema JSON. Lookups by name are case-insensitive (RFC 7643 §2.1); ``name`` keeps the
schema's spelling, which is the canonical spelling of the attribute in resources.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidValue

ATTRIBUTE_TYPES = ("string", "boolean", "decimal", "integer", "dateTime", "reference", "binary", "complex")
STRING_TYPES = frozenset(("string", "reference", "binary"))
"""Attribute types whose values are JSON strings compared as text (RFC 7643 §2.3)."""
MUTABILITY = ("readOnly", "readWrite", "immutable", "writeOnly")
RETURNED = ("always", "never", "default", "request")
UNIQUENESS = ("none", "server", "global")

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


@dataclass(eq=False, slots=True)
class AttributeDef:
    """One attribute or sub-attribute with every RFC 7643 §2.2 characteristic (defaults applied)."""

    name: str
    type: str = "string"
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: str = "readWrite"
    returned: str = "default"
    uniqueness: str = "none"
    canonical_values: tuple[str, ...] = ()
    reference_types: tuple[str, ...] = ()
    description: str = ""
    sub_attributes: dict[str, AttributeDef] = field(default_factory=dict, repr=False)  # lower name -> def
    schema: str | None = None  # URN of the schema that defines it (None: a common attribute, RFC 7643 §3.1)
    parent: AttributeDef | None = field(default=None, repr=False)

    def sub(self, name: str) -> AttributeDef | None:
        """The sub-attribute called ``name`` (any case), or ``None``."""
        return self.sub_attributes.get(name.lower())

    @property
    def is_complex(self) -> bool:
        return self.type == "complex"

    def to_json(self) -> dict:
        """This definition as RFC 7643 §7 JSON."""
        out = {
            "name": self.name,
            "type": self.type,
            "multiValued": self.multi_valued,
            "description": self.description,
            "required": self.required,
        }
        if self.type in STRING_TYPES:
            out["caseExact"] = self.case_exact
        if self.canonical_values:
            out["canonicalValues"] = list(self.canonical_values)
        if self.sub_attributes:
            out["subAttributes"] = [s.to_json() for s in self.sub_attributes.values()]
        out["mutability"] = self.mutability
        out["returned"] = self.returned
        if self.type != "complex" and self.type != "boolean":
            out["uniqueness"] = self.uniqueness
        if self.reference_types:
            out["referenceTypes"] = list(self.reference_types)
        return out

    @classmethod
    def from_json(cls, data: dict, *, schema: str | None, parent: AttributeDef | None = None) -> AttributeDef:
        """Build a definition from RFC 7643 §7 attribute JSON; a malformed definition is ``InvalidValue``."""
        if not isinstance(data, dict):
            raise InvalidValue("an attribute definition must be a JSON object")
        name = data.get("name")
        if not isinstance(name, str) or not name:
            raise InvalidValue("an attribute definition needs a non-empty 'name'")
        attr_type = data.get("type", "string")
        if attr_type not in ATTRIBUTE_TYPES:
            raise InvalidValue(f"attribute {name!r}: unknown type {attr_type!r}")
        attr = cls(
            name=name,
            type=attr_type,
            multi_valued=_bool(data, "multiValued", False, name),
            required=_bool(data, "required", False, name),
            case_exact=_bool(data, "caseExact", attr_type == "binary", name),
            mutability=_choice(data, "mutability", "readWrite", MUTABILITY, name),
            returned=_choice(data, "returned", "default", RETURNED, name),
            uniqueness=_choice(data, "uniqueness", "none", UNIQUENESS, name),
            canonical_values=_strings(data, "canonicalValues", name),
            reference_types=_strings(data, "referenceTypes", name),
            description=data.get("description", "") if isinstance(data.get("description", ""), str) else "",
            schema=schema,
            parent=parent,
        )
        subs = data.get("subAttributes") or []
        if not isinstance(subs, list):
            raise InvalidValue(f"attribute {name!r}: 'subAttributes' must be a list")
        if subs and attr_type != "complex":
            raise InvalidValue(f"attribute {name!r}: only complex attributes have sub-attributes")
        for sub in subs:
            sub_def = cls.from_json(sub, schema=schema, parent=attr)
            attr.sub_attributes[sub_def.name.lower()] = sub_def
        return attr


@dataclass(eq=False, slots=True)
class SchemaDef:
    """A schema (RFC 7643 §7): its URN ``id``, name, description and top-level attributes."""

    id: str
    name: str = ""
    description: str = ""
    attributes: dict[str, AttributeDef] = field(default_factory=dict)  # lower-cased name -> def

    def attribute(self, name: str) -> AttributeDef | None:
        return self.attributes.get(name.lower())

    def to_json(self) -> dict:
        """The RFC 7643 §7 Schema resource for ``/Schemas``."""
        return {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": [a.to_json() for a in self.attributes.values()],
            "meta": {"resourceType": "Schema", "location": f"/v2/Schemas/{self.id}"},
        }

    @classmethod
    def from_json(cls, data: dict) -> SchemaDef:
        if not isinstance(data, dict):
            raise InvalidValue("a schema must be a JSON object")
        urn = data.get("id")
        if not isinstance(urn, str) or ":" not in urn:
            raise InvalidValue("a schema needs an 'id' that is a URN")
        attrs = data.get("attributes", [])
        if not isinstance(attrs, list):
            raise InvalidValue(f"schema {urn}: 'attributes' must be a list")
        schema = cls(id=urn, name=str(data.get("name") or ""), description=str(data.get("description") or ""))
        for attr in attrs:
            attr_def = AttributeDef.from_json(attr, schema=urn)
            schema.attributes[attr_def.name.lower()] = attr_def
        return schema


@dataclass(eq=False, slots=True)
class ResourceTypeDef:
    """A resource type (RFC 7643 §6): name, endpoint, base schema and extensions ``[(urn, required)]``."""

    name: str
    endpoint: str
    schema: str
    extensions: list[tuple[str, bool]] = field(default_factory=list)
    description: str = ""

    def to_json(self) -> dict:
        """The RFC 7643 §6 ResourceType resource for ``/ResourceTypes``."""
        out: dict[str, Any] = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": self.name,
            "name": self.name,
            "endpoint": self.endpoint,
            "description": self.description,
            "schema": self.schema,
        }
        if self.extensions:
            out["schemaExtensions"] = [{"schema": urn, "required": req} for urn, req in self.extensions]
        out["meta"] = {"resourceType": "ResourceType", "location": f"/v2/ResourceTypes/{self.name}"}
        return out


def common_attributes() -> dict[str, AttributeDef]:
    """``id``, ``externalId``, ``meta`` (RFC 7643 §3.1) and ``schemas``: on every resource, in no schema."""
    defs: list[dict[str, Any]] = [
        {
            "name": "schemas",
            "type": "reference",
            "multiValued": True,
            "required": True,
            "caseExact": False,
            "mutability": "readWrite",
            "returned": "always",
            "referenceTypes": ["uri"],
        },
        {
            "name": "id",
            "type": "string",
            "caseExact": True,
            "mutability": "readOnly",
            "returned": "always",
            "uniqueness": "server",
        },
        {"name": "externalId", "type": "string", "caseExact": True, "mutability": "readWrite"},
        {
            "name": "meta",
            "type": "complex",
            "mutability": "readOnly",
            "subAttributes": [
                {"name": "resourceType", "type": "string", "caseExact": True, "mutability": "readOnly"},
                {"name": "created", "type": "dateTime", "mutability": "readOnly"},
                {"name": "lastModified", "type": "dateTime", "mutability": "readOnly"},
                {
                    "name": "location",
                    "type": "reference",
                    "caseExact": True,
                    "mutability": "readOnly",
                    "referenceTypes": ["uri"],
                },
                {"name": "version", "type": "string", "caseExact": True, "mutability": "readOnly"},
            ],
        },
    ]
    return {d["name"].lower(): AttributeDef.from_json(d, schema=None) for d in defs}


def _bool(data: dict, key: str, default: bool, name: str) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise InvalidValue(f"attribute {name!r}: {key!r} must be true or false")
    return value


def _choice(data: dict, key: str, default: str, allowed: tuple[str, ...], name: str) -> str:
    value = data.get(key, default)
    if value not in allowed:
        raise InvalidValue(f"attribute {name!r}: {key!r} must be one of {', '.join(allowed)}")
    return value


def _strings(data: dict, key: str, name: str) -> tuple[str, ...]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidValue(f"attribute {name!r}: {key!r} must be a list of strings")
    return tuple(value)
