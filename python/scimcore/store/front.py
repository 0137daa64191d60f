"""The shared front of every store: identity, ``meta``, versions, secrets and conditional writes, written once.

A store is a :class:`StoreFront` over a :class:`Backend` that only keeps and finds resources (the native and
pure-Python memories, SQL). The front does everything the contract promises (``scimcore.Store``,
docs/semantics.md §Stores and §Protocol), with no knowledge of which backend it drives:

- ``add`` assigns ``id`` (uuid4) and ``meta`` (``resourceType``, ``created`` = ``lastModified``, ``version``,
  ``location`` when the store has a base URL); readOnly input (``id``, ``meta``, ``groups``, readOnly
  sub-attributes) is ignored (RFC 7643 §2.2, RFC 7644 §3.3).
- ``replace`` keeps the current readOnly values whatever the body says, keeps an ``immutable`` attribute the body
  omits and refuses one it changes (``mutability``, RFC 7644 §3.5.1).
- Every write is a compare-and-set against the ``meta.version`` it read (:meth:`Backend.swap`): the client's
  ``version`` (If-Match: an ETag, a list, ``"*"``) is checked against what was read, and a write that lost a race
  is read, applied and tried again, so no update is lost and a stale ETag is always ``InvalidVersion`` (412).
- ETags are weak (``W/"<16 hex digits>"``), renewed by a write that changes the representation and only then.
- What leaves the store is projected (RFC 7644 §3.9): ``returned: never`` attributes (``password``) never come
  out, unless named in ``reveal=`` by the server for its own use.
- Importing existing data with its ids and ``meta`` is the separate path :meth:`StoreFront.load` /
  :meth:`StoreFront.load_ndjson`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import msgspec

from ..errors import InvalidSyntax, InvalidValue, InvalidVersion, Mutability, NotFound, ScimError
from ..patch import apply_patch
from ..policy import Policy
from ..query import QueryParameters, _projection, query_parameters
from ..schema.codec import normalize
from ..schema.messages import ListResponse
from ..schema.model import AttributeDef
from ..schema.wire import is_unicode_text, load_json
from .contract import Version
from .members import patch_group, wants_members

__all__ = ["Backend", "StoreFront", "etag_matches", "id_taken", "new_version", "not_found", "taken", "version_of"]

_WRITE_ATTEMPTS = 100
"""How often a write that lost a compare-and-set race is read and applied again before giving up (409)."""

_encoder = msgspec.json.Encoder(decimal_format="number")
_decoder = msgspec.json.Decoder()


class Backend(Protocol):
    """What a store's memory offers the front: keep and find resources, nothing else.

    Resources are JSON-shaped dicts carrying ``id`` and ``meta.version``. A backend enforces uniqueness of ``id``
    and of attributes with ``uniqueness`` server/global, raising ``Uniqueness`` worded by :func:`taken` /
    :func:`id_taken`.
    """

    def insert(self, resources: list[dict]) -> None:
        """Store new resources: all of them, or none when one is refused."""
        ...

    def insert_json(self, documents: list[bytes]) -> None:
        """:meth:`insert` of resources given as their JSON (complete: ``id`` and ``meta``)."""
        ...

    def read(self, resource_id: str) -> dict | None:
        """The stored resource (a copy the caller may keep), or ``None``."""
        ...

    def swap(self, resource_id: str, resource: dict, expected: str) -> bool:
        """Write ``resource`` in place of the stored one if that still has ``meta.version == expected``,
        atomically; ``False`` when it has another version or is gone."""
        ...

    def remove(self, resource_id: str, expected: str) -> bool:
        """Delete the resource if it still has ``meta.version == expected``, atomically (else ``False``)."""
        ...

    def query(self, params: QueryParameters) -> tuple[int, list[dict]]:
        """Filter, sort and page (RFC 7644 §3.4.2): the number of matches and the page's stored resources."""
        ...

    def __len__(self) -> int: ...


class StoreFront:
    """The ``scimcore.Store`` contract over a :class:`Backend` (see the module docstring).

    ``max_results`` caps a page (``filter.maxResults`` of ServiceProviderConfig; ``None``: no cap);
    ``base_url`` makes ``meta.location`` (base URL + the resource type's endpoint + id); ``validate`` runs
    :func:`scimcore.normalize` on every write.
    """

    def __init__(
        self,
        backend: Backend,
        resource_type: str,
        *,
        registry: Any,
        policy: Policy | None,
        max_results: int | None,
        base_url: str | None,
        validate: bool,
    ) -> None:
        if max_results is not None and (type(max_results) is not int or max_results < 0):
            raise ValueError("max_results must be a non-negative integer or None")
        self._backend = backend
        self.registry = registry
        self.resource_type = registry.resource_type(resource_type).name
        self.policy = policy or Policy()
        self.max_results = max_results
        self.base_url = None if base_url is None else base_url.rstrip("/")
        self.validate = validate
        self._endpoint = registry.resource_type(self.resource_type).endpoint.strip("/")
        kind = self.resource_type.lower()  # the keys of what is built once per registry generation
        self._key_plain = ("store-front-plain", kind)
        self._key_read_only = ("store-front-read-only", kind)
        self._key_protected = ("store-front-protected", kind)
        self._key_definitions = ("store-front-definitions", kind)

    # -- writes -------------------------------------------------------------------------------------------

    def add(self, resource: Any) -> dict[str, Any]:
        """Create (RFC 7644 §3.3): the stored resource with its new ``id`` and ``meta``, as a read returns it."""
        resource = self._created(self._incoming(resource), _now())
        self._backend.insert([resource])
        return self._outgoing(resource)

    def extend(self, resources: Iterable[Any]) -> list[dict[str, Any]]:
        """:meth:`add` many resources: all of them, or none when one is refused (uniqueness)."""
        now = _now()
        stored = [self._created(self._incoming(resource), now) for resource in _as_list(resources)]
        self._backend.insert(stored)
        return [self._outgoing(resource) for resource in stored]

    def load(self, resources: Iterable[Any], *, complete_meta: bool = True) -> int:
        """Import existing resources with their ``id`` and ``meta`` (a migration, a backup, a mirror): unlike
        :meth:`add`, what they carry is kept. ``complete_meta``: give a resource without ``id`` a new one and
        fill in the ``meta`` attributes it lacks; off, resources are stored exactly as given (each must have an
        ``id``). All or none. Returns the number of resources stored."""
        now = _now()
        stored = [
            self._imported(self._incoming(r, keep_read_only=True), now, complete_meta) for r in _as_list(resources)
        ]
        self._backend.insert(stored)
        return len(stored)

    def load_ndjson(
        self, source: bytes | bytearray | memoryview | str | os.PathLike[str], *, complete_meta: bool = True
    ) -> int:
        """:meth:`load` the resources of an NDJSON document (bytes, or a path to a file), one JSON object per
        line. Lines that need nothing filled in are stored as they are (without building Python objects where
        the backend keeps JSON), unless the store validates."""
        data = _read_source(source)
        now = _now()

        def completed(number: int, line: bytes) -> bytes:
            """A line that needs ``id``/``meta`` filled in, as stored; errors name the line."""
            try:
                return _encoder.encode(self._imported(self._incoming(line, keep_read_only=True), now, complete_meta))
            except ScimError as error:
                error.detail = f"line {number}: {error.detail}"
                error.args = (error.detail,)
                raise

        native_load = getattr(self._backend, "insert_ndjson", None)  # the native store cuts and parses the lines
        if native_load is not None and not self.validate:
            return int(native_load(data, complete_meta, completed))
        lines = [(number, line) for number, line in enumerate(data.splitlines(), 1) if line.strip()]
        if self.validate:
            return self.load((_decode(line) for _, line in lines), complete_meta=complete_meta)
        documents = []
        for number, line in lines:
            try:
                head = _head_decoder.decode(line)
            except msgspec.DecodeError:
                head = None
            if head is not None and head.complete(complete_meta):
                documents.append(bytes(line))
            else:
                documents.append(completed(number, line))
        self._backend.insert_json(documents)
        return len(documents)

    def replace(self, resource_id: str, resource: Any, *, version: Version = None) -> dict[str, Any]:
        """Replace (RFC 7644 §3.5.1): the body's readWrite and writeOnly attributes replace the resource's (what
        it omits is cleared); readOnly values are kept; an immutable attribute keeps its value (omitted) or must
        be sent unchanged (``mutability``). ``version``: the client's If-Match. Never creates (404)."""
        body = self._incoming(resource)

        def change(current: dict) -> dict:
            return self._replaced(current, body)

        return self._outgoing(self._write(resource_id, version, change, None))

    def patch(
        self,
        resource_id: str,
        patch: Any,
        *,
        version: Version = None,
        check: Callable[[dict[str, Any]], None] | None = None,
        policy: Policy | None = None,
    ) -> dict[str, Any]:
        """Modify (RFC 7644 §3.5.2) with :func:`scimcore.apply_patch`, atomically for the resource. ``check``
        sees the new resource (with its new ``meta``) before it is written and may raise a ``ScimError`` to
        refuse it. A patch that changes nothing writes nothing and keeps ``meta.version``."""
        if hasattr(self._backend, "swap_delta"):  # a group type: members as a relation (scimcore.store.members)
            group = patch_group(self, resource_id, patch, version=version, check=check, policy=policy)
            if group is not None:
                return self._outgoing(group)

        def change(current: dict) -> dict:
            patched, _changed = apply_patch(
                current,
                patch,
                resource_type=self.resource_type,
                registry=self.registry,
                policy=policy or self.policy,
                report=True,
            )
            return self._checked(self._keep_read_only(current, patched))

        return self._outgoing(self._write(resource_id, version, change, check))

    def set_derived(self, resource_id: str, attributes: Mapping[str, Any]) -> None:
        """Store server-derived readOnly attributes (``User.groups``, RFC 7643 §4.1.2), replacing their old values
        (``None`` or ``[]``: none). Renews ``meta.version`` when they change, and nothing else."""
        derived = self._derived_names(attributes)

        def change(current: dict) -> dict:
            new = {
                key: value for key, value in current.items() if not (isinstance(key, str) and key.lower() in derived)
            }
            for name, value in derived.values():
                if value is not None and value != []:
                    new[name] = value
            return new

        self._write(resource_id, None, change, None, touch=False)

    def delete(self, resource_id: str, *, version: Version = None) -> None:
        """Delete (RFC 7644 §3.6); ``version``: the client's If-Match. ``NotFound`` (404) when there is none."""
        for _ in range(_WRITE_ATTEMPTS):
            current = self._current(resource_id)
            etag = version_of(current)
            _check_version(resource_id, version, etag)
            if self._backend.remove(resource_id, etag):
                return
        raise _busy(resource_id)

    def _write(
        self,
        resource_id: str,
        version: Version,
        change: Callable[[dict], dict],
        check: Callable[[dict[str, Any]], None] | None,
        *,
        touch: bool = True,
    ) -> dict:
        """Read, check the client's version, change, and compare-and-set; again when another write came between.
        Returns what is stored afterwards (the current resource when the change changed nothing)."""
        for _ in range(_WRITE_ATTEMPTS):
            current = self._current(resource_id)
            etag = version_of(current)
            _check_version(resource_id, version, etag)
            new = change(current)
            if _same_content(new, current):
                return current
            meta = dict(current["meta"]) if isinstance(current.get("meta"), dict) else {}
            meta.setdefault("resourceType", self.resource_type)
            meta["version"] = new_version()
            if touch:
                meta["lastModified"] = _now()
            if self.base_url is not None:
                meta["location"] = self._location(resource_id)
            new = _ordered(resource_id, new, meta)
            if check is not None:
                check(new)
            if self._backend.swap(resource_id, new, etag):
                return new
        raise _busy(resource_id)

    # -- reads --------------------------------------------------------------------------------------------

    def get(
        self,
        resource_id: str,
        *,
        attributes: Any = None,
        excluded_attributes: Any = None,
        reveal: Sequence[str] = (),
    ) -> dict[str, Any]:
        """Read one resource (RFC 7644 §3.4.1), projected as asked. ``reveal`` names ``returned: never``
        attributes the server wants for its own use (checking a password); nothing else ever returns them."""
        if hasattr(self._backend, "read_head") and not wants_members(attributes, excluded_attributes):
            resource = self._backend.read_head(resource_id) if isinstance(resource_id, str) else None
            if resource is None:
                raise not_found(resource_id)
        else:
            resource = self._current(resource_id)
        out = self._outgoing(resource, attributes, excluded_attributes)
        for name in [reveal] if isinstance(reveal, str) else reveal:
            uri, _, short = name.rpartition(":") if isinstance(name, str) else ("", "", "")
            found = self.registry.resolve(self.resource_type, short, uri or None, None, error=InvalidValue)
            if found.attribute is None or found.sub is not None:
                raise InvalidValue(f"reveal: {name!r} is not an attribute")
            holder = resource if found.extension is None else resource.get(found.extension)
            if isinstance(holder, dict) and found.attribute.name in holder:
                if found.extension is None:
                    out[found.attribute.name] = holder[found.attribute.name]
                else:
                    out.setdefault(found.extension, {})[found.attribute.name] = holder[found.attribute.name]
        return out

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
    ) -> ListResponse:
        """Query (RFC 7644 §3.4.2): a ``ListResponse`` whose ``totalResults`` counts every match and whose page
        holds at most ``max_results`` projected resources. ``request``: a ``SearchRequest`` (Struct or dict)
        instead of the keywords."""
        params = query_parameters(
            request=request,
            filter=filter,
            sort_by=sort_by,
            sort_order=sort_order,
            start_index=start_index,
            count=count,
            attributes=attributes,
            excluded_attributes=excluded_attributes,
            policy=self.policy,
            max_results=self.max_results,
        )
        if params.attributes is None and params.excluded_attributes is None:
            total, page = self._backend.query(params)
            plain = self._plain()  # the backends' results are copies: as they are when nothing would change
            resources = [r if _returned_as_is(r, plain) else self._projection(None, None).apply(r) for r in page]
        else:
            projection = self._projection(params.attributes, params.excluded_attributes)
            total, page = self._backend.query(params)
            resources = [projection.apply(resource) for resource in page]
        return ListResponse(
            total_results=total, start_index=params.start, items_per_page=len(resources), resources=resources
        )

    def __len__(self) -> int:
        return len(self._backend)

    # -- the rules ----------------------------------------------------------------------------------------

    def _current(self, resource_id: str) -> dict:
        if not isinstance(resource_id, str) or not is_unicode_text(resource_id):
            raise not_found(resource_id)
        found = self._backend.read(resource_id)
        if found is None:
            raise not_found(resource_id)
        return found

    def _projection(self, attributes: Any, excluded_attributes: Any) -> Any:
        return _projection(self.registry, self.resource_type, attributes, excluded_attributes, self.policy)

    def _outgoing(self, resource: dict, attributes: Any = None, excluded_attributes: Any = None) -> dict:
        """What a read or a write returns: the resource projected (``returned: never`` attributes dropped).
        Without a selection, a resource the projection would not change goes out as it is (it is the front's own
        copy: backends copy on read and write), which saves the projection's walk on most reads."""
        if attributes is None and excluded_attributes is None and _returned_as_is(resource, self._plain()):
            return resource
        return self._projection(attributes, excluded_attributes).apply(resource)

    def _plain(self) -> dict[str, Any]:
        """Lower-cased top-level keys whose values the default projection keeps as they are (attributes
        returned by default or always whose sub-attributes are too; extension URNs → the same for their
        attributes), each mapped to whether the attribute is complex (or, for an extension, its own table)."""
        return self.registry.compiled(self._key_plain, self._build_plain)

    def _build_plain(self) -> dict[str, Any]:
        def table(attributes: Mapping[str, AttributeDef]) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for name, attr in attributes.items():
                if attr.returned in ("default", "always") and all(
                    sub.returned in ("default", "always") for sub in attr.sub_attributes.values()
                ):
                    out[name] = out[attr.name] = attr.is_complex  # the canonical spelling too: found without lower()
            return out

        out: dict[str, Any] = table(self.registry.base_attributes(self.resource_type))
        for urn in self.registry.extension_urns(self.resource_type):
            out[urn.lower()] = out[urn] = table(self.registry.schema(urn).attributes)
        return out

    def _incoming(self, resource: Any, *, keep_read_only: bool = False) -> dict:
        """A JSON-shaped copy of a resource given as a dict, JSON bytes/str or a resource Struct; validated when
        the store validates; its readOnly attributes dropped unless ``keep_read_only`` (imports)."""
        resource = self._checked(_as_dict(resource))
        if keep_read_only:
            return resource
        if self._read_only_keys().isdisjoint(map(str.lower, resource)):  # JSON keys: strings
            return resource  # nothing readOnly in it (a copy already)
        return _without_read_only(resource, self._definitions())

    def _read_only_keys(self) -> frozenset[str]:
        """Lower-cased top-level keys that can carry readOnly input: readOnly attributes, complex attributes
        with readOnly sub-attributes, and extensions with either."""
        return self.registry.compiled(self._key_read_only, self._build_read_only)

    def _build_read_only(self) -> frozenset[str]:
        def touched(attr: AttributeDef) -> bool:
            return attr.mutability == "readOnly" or any(
                sub.mutability == "readOnly" for sub in attr.sub_attributes.values()
            )

        definitions = self._definitions()
        keys = {name for name, attr in definitions[None].items() if touched(attr)}
        keys |= {
            urn for urn, attributes in definitions.items() if urn is not None and any(map(touched, attributes.values()))
        }
        return frozenset(keys)

    def _protected_keys(self) -> frozenset[str]:
        """Lower-cased top-level keys a replacement must look at in the current resource: readOnly and immutable
        attributes, and extensions with either."""
        return self.registry.compiled(self._key_protected, self._build_protected)

    def _build_protected(self) -> frozenset[str]:
        def protected(attr: AttributeDef) -> bool:
            return attr.mutability in ("readOnly", "immutable")

        definitions = self._definitions()
        keys = {name for name, attr in definitions[None].items() if protected(attr)}
        keys |= {urn for urn, attrs in definitions.items() if urn is not None and any(map(protected, attrs.values()))}
        return frozenset(keys)

    def _checked(self, resource: dict) -> dict:
        """``resource`` through :func:`scimcore.normalize` when the store validates."""
        if not self.validate:
            return resource
        return normalize(resource, resource_type=self.resource_type, registry=self.registry, policy=self.policy)

    def _definitions(self) -> dict[str | None, dict[str, AttributeDef]]:
        """Attribute definitions by extension URN (``None``: the base schema and common attributes), lower-case
        names as keys; built once per registry generation (callers only read them)."""
        return self.registry.compiled(self._key_definitions, self._build_definitions)

    def _build_definitions(self) -> dict[str | None, dict[str, AttributeDef]]:
        out: dict[str | None, dict[str, AttributeDef]] = {None: self.registry.base_attributes(self.resource_type)}
        for urn in self.registry.extension_urns(self.resource_type):
            out[urn.lower()] = self.registry.schema(urn).attributes
        return out

    def _meta(self, resource_id: str, now: str) -> dict:
        meta = {"resourceType": self.resource_type, "created": now, "lastModified": now, "version": new_version()}
        if self.base_url is not None:
            meta["location"] = self._location(resource_id)
        return meta

    def _location(self, resource_id: str) -> str:
        """``meta.location`` (RFC 7643 §3.1): the base URL, the resource type's endpoint, the id."""
        return f"{self.base_url}/{self._endpoint}/{resource_id}"

    def _created(self, resource: dict, now: str) -> dict:
        resource_id = _new_id()
        return _ordered(resource_id, resource, self._meta(resource_id, now))

    def _imported(self, resource: dict, now: str, complete_meta: bool) -> dict:
        resource_id = resource.get("id")
        if (resource_id is None or resource_id == "") and complete_meta:
            resource_id = _new_id()
        elif not isinstance(resource_id, str) or not resource_id or not is_unicode_text(resource_id):
            raise InvalidValue("an imported resource's id must be a non-empty string")
        if not complete_meta:
            return resource
        given = resource.get("meta")
        meta = {**self._meta(resource_id, now), **(given if isinstance(given, dict) else {})}
        if not isinstance(given, dict) or "lastModified" not in given:
            meta["lastModified"] = meta["created"]
        return _ordered(resource_id, resource, meta)

    def _replaced(self, current: dict, body: dict) -> dict:
        """The replacement of ``current`` by ``body`` (validated, readOnly input already dropped): the body, the
        current readOnly values, and the immutable attributes it may not change (RFC 7644 §3.5.1)."""
        definitions = self._definitions()
        new = dict(body)
        for holder, key, value, definition in _attributes(current, definitions, self._protected_keys()):
            if definition.mutability == "readOnly":
                if holder is None:
                    new[key] = value  # the body has no readOnly key in any spelling (_incoming dropped them)
                else:
                    _put(new, holder, key, value)
            elif definition.mutability == "immutable":
                sent = _find(new, holder, definition.name)
                if sent is _ABSENT:
                    _put(new, holder, key, value)
                elif sent[1] != value:
                    raise Mutability(f"{definition.name} is immutable: it cannot be changed once set")
        return new

    def _keep_read_only(self, current: dict, patched: dict) -> dict:
        """``patched`` with the current ``id`` and readOnly values (PATCH refuses to change them; the front makes
        sure whatever came through, say an echoed ``meta``, is not stored)."""
        if _read_only_kept(current, patched, self._read_only_keys()):
            return patched  # the usual case: the patch left every readOnly value as it was
        new = _without_read_only(patched, self._definitions(), top_only=True)
        for holder, key, value, definition in _attributes(current, self._definitions()):
            if definition.mutability == "readOnly":
                _put(new, holder, key, value)
        return new

    def _derived_names(self, attributes: Mapping[str, Any]) -> dict[str, tuple[str, Any]]:
        if not isinstance(attributes, Mapping):
            raise InvalidValue("set_derived takes a mapping of attribute names to values")
        base = self.registry.base_attributes(self.resource_type)
        out = {}
        for name, value in attributes.items():
            definition = base.get(name.lower()) if isinstance(name, str) else None
            if definition is None or definition.mutability != "readOnly" or definition.name in ("id", "meta"):
                raise InvalidValue(
                    f"set_derived: {name!r} is not a derived (readOnly) attribute of {self.resource_type}"
                )
            out[definition.name.lower()] = (definition.name, _json_value(value))
        return out


# -- versions -------------------------------------------------------------------------------------------------


def new_version() -> str:
    """A new weak ETag (RFC 7232 §2.3), the one format of every store's ``meta.version``."""
    return f'W/"{os.urandom(8).hex()}"'  # secrets.token_hex(8), without its two calls


def _opaque(tag: str) -> str:
    """The opaque part of an entity tag: weak comparison ignores the ``W/`` (RFC 7232 §2.3.2)."""
    tag = tag.strip()
    return tag[2:] if tag[:2] in ("W/", "w/") else tag


def _tags(version: Version) -> list[str]:
    """The entity tags of an If-Match value: a string (one tag, ``*`` or a header's comma-separated list) or a
    list of tags."""
    if isinstance(version, str):
        return [part for part in _split_header(version) if part]
    if isinstance(version, Sequence) and all(isinstance(tag, str) for tag in version):
        return [tag.strip() for tag in version]
    raise InvalidValue("version must be an ETag, a list of ETags or '*'")


def _split_header(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return parts


def etag_matches(version: Version, etag: str) -> bool:
    """Does the client's If-Match (``None``: no condition) accept a resource at ``etag``? (RFC 7232 §3.1, with
    the weak comparison SCIM's weak ETags need, RFC 7644 §3.14)."""
    if version is None:
        return True
    tags = _tags(version)
    return "*" in tags or _opaque(etag) in {_opaque(tag) for tag in tags}


def _check_version(resource_id: str, version: Version, etag: str) -> None:
    if not etag_matches(version, etag):
        raise InvalidVersion(f"resource {_quote(resource_id)} is at version {etag}, not {_shown(version)}")


def _shown(version: Version) -> str:
    return version if isinstance(version, str) else ", ".join(str(tag) for tag in version or ())


def version_of(resource: dict) -> str:
    """A stored resource's ``meta.version`` (``""`` when it has none), what compare-and-set compares."""
    meta = resource.get("meta")
    version = meta.get("version") if isinstance(meta, dict) else None
    return version if isinstance(version, str) else ""


# -- one wording for every store ----------------------------------------------------------------------------


def _quote(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)


def not_found(resource_id: Any) -> NotFound:
    """The 404 of an unknown id, worded alike by every store."""
    return NotFound(f"resource {_quote(resource_id)} not found")


def taken(name: str, value: Any) -> str:
    """The message of a uniqueness conflict on attribute ``name`` (409 ``uniqueness``), alike in every store."""
    return f"{name} {_quote(value)} is already taken by another resource"


def id_taken(resource_id: Any) -> str:
    """The message of an import whose ``id`` is already stored (409 ``uniqueness``)."""
    return f"a resource with id {_quote(resource_id)} already exists"


def _busy(resource_id: str) -> ScimError:
    return ScimError(
        f"resource {_quote(resource_id)} kept changing: the write was not applied", status=409, scim_type=None
    )


# -- resources as JSON ----------------------------------------------------------------------------------------


class _Meta(msgspec.Struct):
    resourceType: str | None = None
    created: str | None = None
    lastModified: str | None = None
    version: str | None = None


class _Head(msgspec.Struct):
    """The part of an NDJSON line that decides whether it can be stored as it is."""

    id: object = None
    meta: _Meta | None = None

    def complete(self, complete_meta: bool) -> bool:
        meta = self.meta
        return (isinstance(self.id, str) and self.id != "" and is_unicode_text(self.id)) and (
            not complete_meta
            or (meta is not None and None not in (meta.resourceType, meta.created, meta.lastModified, meta.version))
        )


_head_decoder = msgspec.json.Decoder(_Head)
_ABSENT: Any = None  # what _find answers for an attribute that is not there (found ones are (key, value) pairs)


def _returned_as_is(resource: dict, plain: dict[str, Any]) -> bool:
    """Whether the default projection (RFC 7644 §3.9, docs/semantics.md §Query) would return ``resource``
    unchanged: ``schemas`` present, every key in ``plain``, and no null or empty complex value to drop."""
    if "schemas" not in resource:
        return False
    schemas = resource["schemas"]
    if type(schemas) is list:  # schemas names only the extensions present (RFC 7643 §3)
        for urn in schemas:
            extension = type(urn) is str and type(plain.get(lower := urn.lower())) is dict
            if extension and not any(type(key) is str and key.lower() == lower for key in resource):
                return False
    get = plain.get
    for key, value in resource.items():
        kind = get(key)
        if kind is None:
            kind = get(key.lower()) if type(key) is str else None
            if kind is None:
                return False
        if value is None:
            return False
        if kind is False:
            continue
        if kind is True:  # a complex attribute: _complex_as_is, written out (the common case, once per key)
            if type(value) is list:
                for element in value:
                    if type(element) is dict and (not element or None in element.values()):
                        return False
            elif type(value) is dict and (not value or None in value.values()):
                return False
            continue
        if type(value) is not dict or not value:  # an extension object
            return False
        sub_get = kind.get
        for name, item in value.items():
            sub_kind = sub_get(name)
            if sub_kind is None:
                sub_kind = sub_get(name.lower()) if type(name) is str else None
            if sub_kind is None or item is None or (sub_kind and not _complex_as_is(item)):
                return False
    return True


def _complex_as_is(value: Any) -> bool:
    """A complex value (or list of them) with no null sub-attribute and no empty element."""
    if type(value) is list:
        return not any(type(element) is dict and (not element or None in element.values()) for element in value)
    return type(value) is not dict or (bool(value) and None not in value.values())


def _new_id() -> str:
    """A new ``id``: a random (version 4) UUID, written as ``str(uuid.uuid4())`` writes it, in half the time."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4 (RFC 9562 §5.4)
    raw[8] = (raw[8] & 0x3F) | 0x80  # the RFC 9562 variant
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


_clock: tuple[int, str] = (-1, "")
"""The last millisecond :func:`_now` wrote, and its text (one tuple, so that threads read a consistent pair)."""


def _now() -> str:
    """The current UTC time as an RFC 3339 dateTime with milliseconds (``meta.created``/``lastModified``)."""
    global _clock
    millis = time.time_ns() // 1_000_000
    cached = _clock
    if cached[0] == millis:
        return cached[1]
    moment = datetime.fromtimestamp(millis // 1000, UTC).replace(microsecond=millis % 1000 * 1000)
    text = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    _clock = (millis, text)
    return text


def _read_source(source: Any) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, os.PathLike)):
        try:
            return Path(source).read_bytes()
        except OSError as exc:
            raise InvalidValue(f"cannot read {source!s}: {exc.strerror}") from None
        except (UnicodeEncodeError, ValueError):  # a lone surrogate or a NUL in the path
            raise InvalidValue(f"cannot read {source!r}: not a valid file name") from None
    raise InvalidValue("load_ndjson takes bytes or a path")


def _decode(data: Any) -> dict:
    value = load_json(data, what="resource")
    if not isinstance(value, dict):
        raise InvalidSyntax("a resource must be a JSON object")
    return value


def _as_dict(resource: Any) -> dict:
    if isinstance(resource, (bytes, bytearray, memoryview, str)):
        return _decode(bytes(resource) if isinstance(resource, memoryview) else resource)
    if isinstance(resource, msgspec.Struct):
        return _decoder.decode(_encoder.encode(resource))
    if isinstance(resource, Mapping):
        try:
            value = _decoder.decode(_encoder.encode(dict(resource)))
        except (TypeError, UnicodeEncodeError, RecursionError, OverflowError) as exc:
            raise InvalidValue(f"the resource is not a JSON document: {exc}") from None
        if isinstance(value, dict):
            return value
    raise InvalidSyntax("a resource must be a JSON object")


def _json_value(value: Any) -> Any:
    """``value`` as JSON builtins (a copy), or ``InvalidValue`` when it is not JSON-shaped."""
    try:
        return _decoder.decode(_encoder.encode(value))
    except (TypeError, UnicodeEncodeError, RecursionError, OverflowError) as exc:
        raise InvalidValue(f"not a JSON value: {exc}") from None


def _as_list(resources: Any) -> list:
    if isinstance(resources, (Mapping, bytes, str)):
        raise InvalidValue("expected an iterable of resources")
    try:
        return list(resources)
    except TypeError:
        raise InvalidValue("expected an iterable of resources") from None


def _ordered(resource_id: str, resource: dict, meta: dict) -> dict:
    """``schemas``, then ``id``, then the other attributes, then ``meta``: the order resources are shown in."""
    out: dict = {}
    if "schemas" in resource:
        out["schemas"] = resource["schemas"]
    out["id"] = resource_id
    for key, value in resource.items():
        if key not in ("schemas", "id", "meta"):
            out[key] = value
    out["meta"] = meta
    return out


def _read_only_kept(current: dict, patched: dict, read_only: frozenset[str]) -> bool:
    """Whether every key of either resource that ``read_only`` names (lower-cased) has equal values in both (an
    absent key counting as ``None``). A patch shares the values it left alone, so only keys whose values are not
    the very same objects are looked up."""
    for key, value in patched.items():
        if current.get(key, _NOWHERE) is not value and key.lower() in read_only and current.get(key) != value:
            return False
    return not any(
        key not in patched and key.lower() in read_only and value is not None for key, value in current.items()
    )


def _content(resource: dict) -> dict:
    """The resource without ``meta`` (what a change is judged by)."""
    return {key: value for key, value in resource.items() if key != "meta"}


def _same_content(new: dict, current: dict) -> bool:
    """Whether two resources are equal but for ``meta`` (what a change is judged by), without copying them."""
    if len(new) - ("meta" in new) != len(current) - ("meta" in current):
        return False
    return all(key == "meta" or current.get(key, _NOWHERE) == value for key, value in new.items())


_NOWHERE: Any = object()  # what _same_content finds for a key the current resource lacks


def _attributes(
    resource: dict, definitions: dict[str | None, dict[str, AttributeDef]], keys: frozenset[str] | None = None
):
    """``(holder, key, value, definition)`` of every top-level and extension attribute the schema defines (only
    under the lower-cased top-level ``keys`` when given); ``holder`` is ``None`` for the resource itself, else
    the extension URN as written."""
    base = definitions[None]
    for key, value in resource.items():
        if not isinstance(key, str) or (keys is not None and key.lower() not in keys):
            continue
        attributes = definitions.get(key.lower()) if ":" in key else None
        if attributes is not None and isinstance(value, dict):
            for sub_key, sub_value in value.items():
                definition = attributes.get(sub_key.lower()) if isinstance(sub_key, str) else None
                if definition is not None:
                    yield key, sub_key, sub_value, definition
            continue
        definition = base.get(key.lower())
        if definition is not None:
            yield None, key, value, definition


def _find(resource: dict, holder: str | None, name: str) -> Any:
    """``(key, value)`` of attribute ``name`` (any case) in the resource or its extension ``holder``, or
    ``_ABSENT``."""
    target = resource if holder is None else _extension(resource, holder)
    if not isinstance(target, dict):
        return _ABSENT
    for key, value in target.items():
        if isinstance(key, str) and key.lower() == name.lower():
            return key, value
    return _ABSENT


def _extension(resource: dict, urn: str) -> Any:
    for key, value in resource.items():
        if isinstance(key, str) and key.lower() == urn.lower():
            return value
    return None


def _put(resource: dict, holder: str | None, key: str, value: Any) -> None:
    """Set attribute ``key`` (replacing any spelling of it) in the resource or in its extension ``holder``."""
    if holder is None:
        target = resource
    else:
        found = _find(resource, None, holder)
        if found is _ABSENT or not isinstance(found[1], dict):
            target = resource[holder] = {}
        else:
            target = resource[found[0]] = dict(found[1])
    for existing in [k for k in target if isinstance(k, str) and k.lower() == key.lower()]:
        del target[existing]
    target[key] = value


def _without_read_only(
    resource: dict, definitions: dict[str | None, dict[str, AttributeDef]], *, top_only: bool = False
) -> dict:
    """``resource`` without readOnly attributes and (unless ``top_only``) readOnly sub-attributes: readOnly
    input is ignored (RFC 7643 §2.2)."""
    out: dict = {}
    for key, value in resource.items():
        attributes = definitions.get(key.lower()) if isinstance(key, str) and ":" in key else None
        if attributes is not None and isinstance(value, dict):
            kept = {}
            for sub_key, sub_value in value.items():
                definition = attributes.get(sub_key.lower()) if isinstance(sub_key, str) else None
                if definition is None or definition.mutability != "readOnly":
                    kept[sub_key] = sub_value if top_only else _without_read_only_subs(definition, sub_value)
            if kept:
                out[key] = kept
            continue
        definition = definitions[None].get(key.lower()) if isinstance(key, str) else None
        if definition is not None and definition.mutability == "readOnly":
            continue
        out[key] = value if top_only else _without_read_only_subs(definition, value)
    return out


def _without_read_only_subs(definition: AttributeDef | None, value: Any) -> Any:
    if definition is None or not definition.is_complex:
        return value
    if isinstance(value, list):
        return [_without_read_only_subs(definition, element) for element in value]
    if not isinstance(value, dict):
        return value
    return {
        key: item
        for key, item in value.items()
        if not (isinstance(key, str) and (sub := definition.sub(key)) is not None and sub.mutability == "readOnly")
    }
