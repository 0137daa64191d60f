"""Decoding, validating, normalising and encoding resources (RFC 7643 §2-§8) against a schema registry.

``decode(data, resource_type="User")`` → a validated resource Struct (``User``, ``Group``; ``Resource`` for a
type registered without a Struct of its own; ``ServiceProviderConfig``/``ResourceType``/``Schema`` for the
discovery documents). ``normalize(dict, resource_type=...)`` → the canonical JSON-shaped dict.
``encode(obj)`` → JSON bytes, never with ``returned: never`` attributes (``password``).

Validation (RFC 7643 §2.1-§2.5, §3): every attribute must be defined by the type's base schema, its extensions
(objects under their URN key, URN matched case-insensitively) or the common attributes; values must fit their type
(dateTime as xsd:dateTime); required attributes must have a non-empty value (docs/semantics.md §Errors), required
extensions must be present; strings must be one of the ``canonicalValues`` where the schema lists them
(``Policy.check_canonical_values``); at most one ``primary: true`` per multi-valued attribute (docs/semantics.md
§PATCH); ``schemas`` must name the base schema and nothing but it and the type's extensions (an absent ``schemas``
is taken as the base schema: the resource type already says which it is; the Structs default to it too). The default
``Policy`` accepts attribute names in any case and ``"True"``/``"False"`` for booleans. ``null``, ``[]`` and ``{}``
are dropped (§2.5); extension objects are written under their canonical URN, which is added to ``schemas``.
Failures: malformed JSON → ``invalidSyntax``; anything else → ``invalidValue``. Limits: see ``wire.py``.

Speed: a plan is compiled once per (registry generation, resource type, policy). Documents that already use
the canonical names and types decode straight into the Struct with a ``msgspec`` decoder built once, followed by
a few per-type checks in Python; any other document (other case, string booleans, custom extensions, errors)
takes the general path: JSON builtins → schema walk → Struct. Both paths accept and reject the same documents,
except that ``meta`` dateTimes on the direct path are read by msgspec's RFC 3339 parser, which also allows a
space or lower-case ``t`` between date and time.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any, Literal, overload

import msgspec

from .._codegen import Source
from ..datetimes import parse_datetime
from ..errors import InvalidSyntax, InvalidValue, ScimError
from ..policy import Policy
from .messages import BulkOperation, BulkRequest, BulkResponse, ListResponse
from .model import AttributeDef, ResourceTypeDef, common_attributes
from .registry import SchemaRegistry
from .resources import (
    RESOURCE_TYPE_SCHEMA,
    SCHEMA_SCHEMA,
    SPC_SCHEMA,
    Group,
    Resource,
    ResourceType,
    Schema,
    ScimStruct,
    ServiceProviderConfig,
    User,
    _Resource,
)
from .values import coerce_attribute
from .wire import MAX_DOCUMENT_BYTES, load_json

__all__ = ["decode", "encode", "normalize", "to_dict"]

_DEFAULT_POLICY = Policy.DEFAULT  # the shared default: a plan key skips hashing it
_COMMON = common_attributes()
_EMPTY: tuple[object, ...] = (None, [], {})

# Structs for resource types (by base schema URN) and for the discovery documents (by name).
_RESOURCE_STRUCTS: dict[str, type] = {
    "urn:ietf:params:scim:schemas:core:2.0:user": User,
    "urn:ietf:params:scim:schemas:core:2.0:group": Group,
}
_DISCOVERY = {
    "serviceproviderconfig": ("ServiceProviderConfig", SPC_SCHEMA, ServiceProviderConfig),
    "resourcetype": ("ResourceType", RESOURCE_TYPE_SCHEMA, ResourceType),
    "schema": ("Schema", SCHEMA_SCHEMA, Schema),
}


class _Fallback(Exception):
    """The direct path cannot vouch for this document: take the general path."""


# Names the direct checks may use besides their constants (scimcore._codegen: nothing else is reachable).
_CHECK_GLOBALS = {"_Fallback": _Fallback, "_utc": UTC, "len": len, "set": set}


# -- plans -------------------------------------------------------------------------------------------------


class _Extension:
    __slots__ = ("attributes", "field", "required", "required_attrs", "urn")

    def __init__(self, urn: str, attributes: dict[str, AttributeDef], required: bool, field: str | None):
        self.urn = urn
        self.attributes = attributes
        self.required = required
        self.required_attrs = [a for a in attributes.values() if a.required]
        self.field = field  # the Struct attribute holding this extension, or None (kept in ``extensions``)


class _Plan:
    """Everything decode/normalize/encode need for one resource type, computed once."""

    def __init__(self, registry: SchemaRegistry, rt: ResourceTypeDef, struct: type | None, policy: Policy):
        self.name = rt.name
        self.policy = policy
        self.base_urn = rt.schema
        self.attributes = {**_COMMON, **registry.schema(rt.schema).attributes}
        self.schemas_attr = self.attributes["schemas"]
        self.required = [a for a in self.attributes.values() if a.required and a.name != "schemas"]
        if struct is not None and not _struct_fits(struct, self.attributes):
            struct = Resource if issubclass(struct, _Resource) else None
        if struct is None:
            struct = Resource
        self.struct = struct
        wire_fields = {f.encode_name.lower(): f.name for f in msgspec.structs.fields(struct)}
        self.extensions: dict[str, _Extension] = {}
        for urn, required in rt.extensions:
            schema = registry.schema(urn)
            field = wire_fields.get(urn.lower()) if struct is not Resource else None
            self.extensions[urn.lower()] = _Extension(schema.id, schema.attributes, required, field)
        self.known_urns = {self.base_urn, *(e.urn for e in self.extensions.values())}
        self.never = _never_paths(self.attributes, self.extensions)
        self.direct = _direct_checks(self) if struct not in (Resource,) else None
        self.decoder: msgspec.json.Decoder[Any] | None = (
            msgspec.json.Decoder(struct) if self.direct is not None else None
        )


def _struct_fits(struct: type, attributes: dict[str, AttributeDef]) -> bool:
    """A Struct can hold a type's resources if it has a field for every attribute of the base schema."""
    names = {f.encode_name for f in msgspec.structs.fields(struct)}
    return all(a.name in names for a in attributes.values() if a.schema is not None)


def _never_paths(attributes, extensions) -> list[tuple[str | None, str, str | None]]:
    """(extension URN or None, attribute, sub-attribute or None) of every ``returned: never`` attribute."""
    paths: list[tuple[str | None, str, str | None]] = []
    groups = [(None, attributes)] + [(e.urn, e.attributes) for e in extensions.values()]
    for urn, attrs in groups:
        for attr in attrs.values():
            if attr.returned == "never":
                paths.append((urn, attr.name, None))
            else:
                paths.extend(
                    (urn, attr.name, sub.name) for sub in attr.sub_attributes.values() if sub.returned == "never"
                )
    return paths


def _plan(registry: SchemaRegistry, resource_type, policy: Policy) -> _Plan:
    if not isinstance(resource_type, str):
        raise ScimError(f"resource_type must be a resource type name, not {type(resource_type).__name__}")
    if not isinstance(policy, Policy):
        raise ScimError(f"policy must be a scimcore.Policy, not {type(policy).__name__}")
    key = (_plan, resource_type, None if policy is _DEFAULT_POLICY else policy)  # skip hashing the default
    return registry.compiled(key, _build_plan, registry, resource_type, policy)


def _build_plan(registry: SchemaRegistry, resource_type: str, policy: Policy) -> _Plan:
    discovery = _DISCOVERY.get(resource_type.lower())
    if resource_type.lower() in {n.lower() for n in registry.resource_type_names()} or discovery is None:
        rt = registry.resource_type(resource_type)
        return _Plan(registry, rt, _RESOURCE_STRUCTS.get(rt.schema.lower()), policy)
    name, urn, struct = discovery
    if registry.find_schema(urn) is None:
        raise ScimError(f"unknown resource type {resource_type!r}: the registry has no {urn} schema", status=404)
    return _Plan(registry, ResourceTypeDef(name=name, endpoint=f"/{name}", schema=urn), struct, policy)


# -- the general path: schema walk over JSON builtins -----------------------------------------------------


def _normalize(plan: _Plan, document, policy: Policy) -> dict:
    if not isinstance(document, dict):
        raise InvalidSyntax(f"a {plan.name} resource must be a JSON object")
    core: dict = {}
    extensions: dict[str, dict] = {}
    schemas = None
    for key, value in document.items():
        if not isinstance(key, str):
            raise InvalidValue("attribute names must be strings")
        attr = plan.attributes.get(key.lower())
        if attr is not None and (attr.name == key or policy.case_insensitive_names):
            if attr.name in core or (attr is plan.schemas_attr and schemas is not None):
                raise InvalidValue(f"attribute {attr.name!r} is given twice (in different case)")
            if attr is plan.schemas_attr:
                schemas = coerce_attribute(attr, value, policy) or []
                continue
            coerced = _prune(coerce_attribute(attr, value, policy))
            if coerced not in _EMPTY:
                core[attr.name] = coerced
            continue
        ext = plan.extensions.get(key.lower())
        if ext is not None:
            if ext.urn in extensions:
                raise InvalidValue(f"the extension {ext.urn} is given twice (in different case)")
            body = _extension_object(ext, value, policy)
            if body:
                extensions[ext.urn] = body
            continue
        if ":" in key:
            raise InvalidValue(f"{key!r} is not a schema extension of resource type {plan.name}")
        raise InvalidValue(f"unknown attribute {key!r} for resource type {plan.name}")
    _check_required(plan, core, extensions)
    out: dict[str, Any] = {"schemas": _canonical_schemas(plan, schemas, extensions)}
    out.update(core)
    out.update(extensions)
    return out


def _extension_object(ext: _Extension, value, policy: Policy) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidValue(f"the extension {ext.urn} must be a JSON object")
    out: dict = {}
    for key, item in value.items():
        attr = ext.attributes.get(key.lower()) if isinstance(key, str) else None
        if attr is None or (attr.name != key and not policy.case_insensitive_names):
            raise InvalidValue(f"unknown attribute {key!r} in the extension {ext.urn}")
        if attr.name in out:
            raise InvalidValue(f"attribute {ext.urn}:{attr.name} is given twice (in different case)")
        coerced = _prune(coerce_attribute(attr, item, policy, where=f"{ext.urn}:{attr.name}"))
        if coerced not in _EMPTY:
            out[attr.name] = coerced
    return out


def _prune(value):
    """Drop empty complex values: ``{}`` elements of a multi-valued attribute, and a ``{}`` value."""
    if isinstance(value, list):
        return [v for v in value if v != {}]
    return value


def _check_required(plan: _Plan, core: dict, extensions: dict) -> None:
    """Required attributes need a non-empty value (RFC 7643 §2.2, docs/semantics.md §Errors); required
    sub-attributes likewise in every complex value; a required extension must be present with its required
    attributes (§3.3)."""
    for attr in plan.required:
        if _missing(core.get(attr.name)):
            raise InvalidValue(f"the required attribute {attr.name!r} is missing")
    for attr_defs, values, prefix in [(plan.attributes, core, "")] + [
        (e.attributes, extensions.get(e.urn, {}), f"{e.urn}:") for e in plan.extensions.values()
    ]:
        for name, value in values.items():
            attr = attr_defs.get(name.lower())
            if attr is None or not attr.sub_attributes:
                continue
            required_subs = [s for s in attr.sub_attributes.values() if s.required]
            for element in value if isinstance(value, list) else [value]:
                for sub in required_subs:
                    if isinstance(element, dict) and _missing(element.get(sub.name)):
                        raise InvalidValue(f"the required sub-attribute {prefix}{attr.name}.{sub.name} is missing")
    for ext in plan.extensions.values():
        body = extensions.get(ext.urn)
        if body is None:
            if ext.required:
                raise InvalidValue(f"the required extension {ext.urn} is missing")
            continue
        for attr in ext.required_attrs:
            if _missing(body.get(attr.name)):
                raise InvalidValue(f"the required attribute {ext.urn}:{attr.name} is missing")


def _missing(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _canonical_schemas(plan: _Plan, schemas, extensions: dict) -> list[str]:
    """``schemas`` with canonical URN spellings, the base schema required (assumed when ``schemas`` is absent),
    and the URN of every extension object present added (RFC 7643 §3, §3.3)."""
    out: list[str] = []
    for urn in schemas if schemas is not None else [plan.base_urn]:
        lowered = urn.lower()
        if lowered == plan.base_urn.lower():
            canonical = plan.base_urn
        elif lowered in plan.extensions:
            canonical = plan.extensions[lowered].urn
        else:
            raise InvalidValue(f"'schemas' lists {urn!r}, which is not a schema of resource type {plan.name}")
        if canonical not in out:
            out.append(canonical)
    if plan.base_urn not in out:
        raise InvalidValue(f"'schemas' must list the base schema {plan.base_urn}")
    out.extend(urn for urn in extensions if urn not in out)
    return out


def _build(plan: _Plan, normalized: dict):
    """The Struct for a normalized document."""
    data = dict(normalized)
    meta = data.get("meta")
    if meta is not None:
        data["meta"] = {k: parse_datetime(v) if k in ("created", "lastModified") else v for k, v in meta.items()}
    extras = {}
    for ext in plan.extensions.values():
        if ext.field is None and ext.urn in data:
            extras[ext.urn] = data.pop(ext.urn)
    if plan.struct is Resource:
        common = {k: data.pop(k) for k in ("schemas", "id", "externalId", "meta") if k in data}
        data = {**common, "resourceType": plan.name, "attributes": data}
    if extras:
        data["extensions"] = extras
    try:
        return msgspec.convert(data, plan.struct)
    except msgspec.ValidationError as exc:
        raise InvalidValue(f"the {plan.name} resource does not fit {plan.struct.__name__}: {exc}") from None


# -- the direct path: msgspec decodes into the Struct, Python checks the rest ---------------------------------


def _direct_checks(plan: _Plan):
    """The checks msgspec's typed decoding leaves to do, compiled into one Python function over the decoded
    Struct (or ``None`` when this type's Struct cannot be checked that way). The function raises ``_Fallback``
    for anything the general path must decide (and report), and drops ``[]``/``{}`` values as it does."""
    policy = plan.policy
    struct = plan.struct
    if any(ext.required for ext in plan.extensions.values()):
        return None
    fields = {f.encode_name: f for f in msgspec.structs.fields(struct)}
    scopes = [("obj", plan.attributes, struct)]
    for ext in plan.extensions.values():
        if ext.field is not None:
            if ext.required_attrs:
                return None
            scopes.append((f"obj.{ext.field}", ext.attributes, _struct_type(fields[ext.urn].type)))
    src = Source(_CHECK_GLOBALS)
    lines = src.lines  # the source of check(obj), line by line
    lines.append("def check(obj):")
    if "extensions" in fields:
        lines += ["    if obj.extensions:", "        raise _Fallback"]
    base, known = src.constant(plan.base_urn, "base"), src.constant(frozenset(plan.known_urns), "known")
    lines += [
        "    schemas = obj.schemas",
        f"    if {base} not in schemas or len(set(schemas)) != len(schemas) or not {known}.issuperset(schemas):",
        "        raise _Fallback",
    ]
    for attr in plan.required:
        name = fields[attr.name].name
        lines += [f"    v = obj.{name}", "    if v is None or v == '' or v == []:", "        raise _Fallback"]
    for scope, attributes, owner_type in scopes:
        owner_fields = {f.encode_name: f for f in msgspec.structs.fields(owner_type)}
        indent = "    "
        if scope != "obj":
            lines += [f"    holder = {scope}", "    if holder is not None:"]
            scope, indent = "holder", "        "
        for attr in attributes.values():
            if attr.name == "schemas" or not (attr.is_complex or attr.canonical_values):
                continue
            if not attr.is_complex or any(s.required or s.is_complex for s in attr.sub_attributes.values()):
                return None
            name = owner_fields[attr.name].name
            element_type = _struct_type(owner_fields[attr.name].type)
            element_fields = {f.encode_name: f.name for f in msgspec.structs.fields(element_type)}
            if any(s.name not in element_fields for s in attr.sub_attributes.values()):
                return None
            empty = src.constant(element_type(), "empty")
            lines += [f"{indent}v = {scope}.{name}"]
            if not attr.multi_valued:
                lines += [f"{indent}if v is not None and v == {empty}:", f"{indent}    {scope}.{name} = None"]
                continue
            lines += [
                f"{indent}if v is not None:",
                f"{indent}    if not v:",
                f"{indent}        {scope}.{name} = None",
                f"{indent}    else:",
            ]
            body = indent + "        "
            primary = element_fields.get("primary") if attr.sub("primary") is not None else None
            if primary:
                lines += [f"{body}primaries = 0"]
            lines += [f"{body}for e in v:", f"{body}    if e == {empty}:", f"{body}        raise _Fallback"]
            if primary:
                lines += [f"{body}    if e.{primary} is True:", f"{body}        primaries += 1"]
            for sub in attr.sub_attributes.values():
                if sub.canonical_values and policy.check_canonical_values:
                    allowed = src.constant(frozenset(c.casefold() for c in sub.canonical_values), "allowed")
                    lines += [
                        f"{body}    t = e.{element_fields[sub.name]}",
                        f"{body}    if t is not None and t.casefold() not in {allowed}:",
                        f"{body}        raise _Fallback",
                    ]
            if primary:
                lines += [f"{body}if primaries > 1:", f"{body}    raise _Fallback"]
    for ext in plan.extensions.values():
        if ext.field is not None:
            empty = src.constant(_struct_type(fields[ext.urn].type)(), "empty")
            urn = src.constant(ext.urn, "urn")
            lines += [
                f"    v = obj.{ext.field}",
                "    if v is not None:",
                f"        if v == {empty}:",
                f"            obj.{ext.field} = None",
                f"        elif {urn} not in schemas:",
                "            raise _Fallback",
            ]
    if "meta" in fields:
        lines += ["    meta = obj.meta", "    if meta is not None:"]
        for stamp in ("created", "last_modified"):
            lines += [
                f"        if meta.{stamp} is not None and meta.{stamp}.tzinfo is None:",
                f"            meta.{stamp} = meta.{stamp}.replace(tzinfo=_utc)",
            ]
    lines += ["    return obj"]
    return src.compile("check", f"<scimcore direct check for {plan.name}>")[1]


def _struct_type(annotation):
    """The Struct class inside ``T``, ``T | None`` or ``list[T] | None``, or ``None``."""
    args = getattr(annotation, "__args__", None)
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return annotation
    for arg in args or ():
        found = _struct_type(arg)
        if found is not None:
            return found
    return None


# -- public functions --------------------------------------------------------------------------------------


_default_registry: SchemaRegistry | None = None
"""``scimcore.registry``, imported on first use: a function-level import costs a microsecond on every call."""


def _registry(registry):
    if registry is None:
        global _default_registry
        if _default_registry is None:
            from .default import registry as _default_registry
        return _default_registry
    if not isinstance(registry, SchemaRegistry):
        raise ScimError(f"registry must be a SchemaRegistry, not {type(registry).__name__}")
    return registry


JsonInput = bytes | bytearray | memoryview | str | dict[str, Any] | msgspec.Struct
"""What :func:`decode` reads: JSON text, a JSON-shaped dict, or a resource Struct."""


@overload
def decode(
    data: JsonInput,
    resource_type: Literal["User"] = "User",
    *,
    registry: SchemaRegistry | None = None,
    policy: Policy | None = None,
    max_bytes: int = MAX_DOCUMENT_BYTES,
) -> User: ...
@overload
def decode(
    data: JsonInput,
    resource_type: Literal["Group"],
    *,
    registry: SchemaRegistry | None = None,
    policy: Policy | None = None,
    max_bytes: int = MAX_DOCUMENT_BYTES,
) -> Group: ...
@overload
def decode(
    data: JsonInput,
    resource_type: str,
    *,
    registry: SchemaRegistry | None = None,
    policy: Policy | None = None,
    max_bytes: int = MAX_DOCUMENT_BYTES,
) -> ScimStruct: ...
def decode(
    data: JsonInput,
    resource_type: str = "User",
    *,
    registry: SchemaRegistry | None = None,
    policy: Policy | None = None,
    max_bytes: int = MAX_DOCUMENT_BYTES,
) -> ScimStruct:
    """Validate ``data`` (JSON bytes/str or a JSON-shaped dict) as a ``resource_type`` resource and return its
    Struct (RFC 7643 §3). Every failure is a ``ScimError``: ``invalidSyntax`` for malformed JSON,
    ``invalidValue`` for a document that does not fit the schema, ``tooMany`` beyond ``max_bytes``."""
    policy = policy or _DEFAULT_POLICY
    plan = _plan(_registry(registry), resource_type, policy)
    text = data if isinstance(data, (bytes, bytearray, memoryview, str)) else None
    if plan.direct is not None and plan.decoder is not None and (text is not None or isinstance(data, dict)):
        try:
            if text is not None:
                if len(text) > max_bytes:
                    raise _Fallback
                obj = plan.decoder.decode(text)
            else:
                obj = msgspec.convert(data, plan.struct)
            return plan.direct(obj)
        except (msgspec.ValidationError, _Fallback):
            pass
        except (msgspec.DecodeError, RecursionError, ValueError):
            pass  # malformed: the general path reports it
    if text is not None:
        data = load_json(text, max_bytes=max_bytes, what=f"{plan.name} resource")
    elif isinstance(data, msgspec.Struct):
        data = to_dict(data, registry=registry)
    return _build(plan, _normalize(plan, data, policy))


def normalize(
    resource: JsonInput,
    resource_type: str = "User",
    *,
    registry: SchemaRegistry | None = None,
    policy: Policy | None = None,
) -> dict:
    """The canonical JSON-shaped dict of a resource (dict, JSON text or resource Struct): canonical attribute
    names and URNs, policy coercions applied, ``null``/``[]``/``{}`` dropped (RFC 7643 §2.5), extension URNs in
    ``schemas``. Validated like ``decode``; the input is never modified."""
    policy = policy or _DEFAULT_POLICY
    registry = _registry(registry)
    plan = _plan(registry, resource_type, policy)
    if isinstance(resource, (bytes, bytearray, memoryview, str)):
        resource = load_json(resource, what=f"{plan.name} resource")
    elif isinstance(resource, msgspec.Struct):
        resource = to_dict(resource, registry=registry)
    return _normalize(plan, resource, policy)


def to_dict(obj, *, registry: SchemaRegistry | None = None) -> dict:
    """A resource Struct as a JSON-shaped dict, every attribute included (``password`` too): extension objects
    under their URN keys, dateTimes as strings. For PATCH, filters and storage; ``encode`` is for output."""
    if isinstance(obj, dict):
        return obj
    if not isinstance(obj, msgspec.Struct):
        raise InvalidValue(f"expected a resource Struct or dict, not {type(obj).__name__}")
    out = msgspec.to_builtins(obj)
    if isinstance(obj, _Resource):
        extensions = out.pop("extensions", None) or {}
        if isinstance(obj, Resource):
            out.pop("resourceType", None)
            attributes = out.pop("attributes", None) or {}
            out.update(attributes)
        out.update(extensions)
    return out


def encode(obj: object, *, registry: SchemaRegistry | None = None, resource_type: str | None = None) -> bytes:
    """JSON bytes for a resource or message (RFC 7643/7644): Structs via their wire names, extension objects
    under their URN keys, ``returned: never`` attributes left out (also inside ListResponse and bulk bodies).
    A plain dict is taken as a resource of ``resource_type`` when given, else of the type its
    ``meta.resourceType`` or ``schemas`` names; a dict that names no registered type is written as is."""
    registry = _registry(registry)
    try:
        return _json_encode(_output(obj, registry, resource_type))
    except (TypeError, UnicodeEncodeError, RecursionError) as exc:
        raise InvalidValue(f"cannot be encoded as JSON: {exc}") from None


_json_encode = msgspec.json.Encoder().encode


def _output(obj, registry: SchemaRegistry, resource_type: str | None):
    if isinstance(obj, _Resource):
        kind = obj.resource_type if isinstance(obj, Resource) else type(obj).__name__
        return _resource_output(to_dict(obj), registry, kind)
    if isinstance(obj, dict):
        named = resource_type or _named_resource_type(obj, registry)
        return _resource_output(obj, registry, named) if named else obj
    if isinstance(obj, ListResponse):
        out = msgspec.to_builtins(obj)
        out["Resources"] = [_output(item, registry, resource_type) for item in obj.resources]
        return out
    if isinstance(obj, (BulkRequest, BulkResponse)):
        out = msgspec.to_builtins(obj)
        out["Operations"] = [_bulk_output(op, registry) for op in obj.operations]
        return out
    if isinstance(obj, msgspec.Struct):
        return obj
    try:
        msgspec.to_builtins(obj)
    except TypeError:
        raise InvalidValue(f"cannot encode a {type(obj).__name__}") from None
    return obj


def _bulk_output(op: BulkOperation, registry: SchemaRegistry) -> dict:
    out = msgspec.to_builtins(op)
    for key in ("data", "response"):
        value = getattr(op, key)
        if isinstance(value, _Resource):
            out[key] = _output(value, registry, None)
    return out


def _named_resource_type(resource: dict, registry: SchemaRegistry) -> str | None:
    """The registered resource type a resource dict names: its ``meta.resourceType``, else the type whose base
    schema its ``schemas`` lists (RFC 7643 §3); ``None`` when it names none."""
    meta = resource.get("meta")
    named = meta.get("resourceType") if isinstance(meta, dict) else None
    names = registry.resource_type_names()
    if isinstance(named, str) and named in names:
        return named
    schemas = resource.get("schemas")
    if isinstance(schemas, list):
        listed = {urn.lower() for urn in schemas if isinstance(urn, str)}
        for name in names:
            if registry.resource_type(name).schema.lower() in listed:
                return name
    return None


def _resource_output(resource: dict, registry: SchemaRegistry, resource_type: str) -> dict:
    """Leave out ``returned: never`` attributes and make ``schemas`` list every extension present."""
    try:
        plan = _plan(registry, resource_type, _DEFAULT_POLICY)
    except ScimError:
        return resource
    out = dict(resource)
    for urn, name, sub in plan.never:
        holder = out if urn is None else out.get(urn)
        if not isinstance(holder, dict) or name not in holder:
            continue
        if holder is not out:
            holder = out[urn] = dict(holder)
        if sub is None:
            del holder[name]
        else:
            holder[name] = _without_sub(holder[name], sub)
    schemas = out.get("schemas")
    if isinstance(schemas, list):
        missing = [e.urn for e in plan.extensions.values() if e.urn in out and e.urn not in schemas]
        if missing:
            out["schemas"] = [*schemas, *missing]
    return out


def _without_sub(value: Any, sub: str):
    if isinstance(value, list):
        return [_without_sub(v, sub) for v in value]
    if isinstance(value, dict) and sub in value:
        return {k: v for k, v in value.items() if k != sub}
    return value
