"""``scimcore.Service``: a sans-IO SCIM service provider (RFC 7644 §3-§4; docs/semantics.md §Protocol).

``Service(resources, base_url=...)`` serves one store per resource type. ``handle(method, target, headers,
body)`` returns a :class:`~scimcore.service.http.Response`; no framework, no I/O (``wsgi_app`` and
``asgi_app`` adapt it). The service knows HTTP semantics and nothing about storage: identity, ``meta``,
versions, projection and secrets are the stores' (``scimcore.Store``).

What each method answers:

- POST ``/{type}``: 201 with the resource, ``Location`` = ``meta.location``, ``ETag`` = ``meta.version``.
- GET ``/{type}/{id}``: 200; ``If-None-Match`` matching → 304 with no body; ``If-Match`` not matching → 412.
- PUT: 200 with the resource. DELETE: 204. ``If-Match`` (one ETag, a list, ``*``) is the store's ``version=``.
- PATCH: 200 with the resource, except on a group type (one with ``members``) without ``attributes`` /
  ``excludedAttributes``: 204 with the ``ETag``, so a large group's ``members`` are never sent unasked.
- ``attributes`` / ``excludedAttributes`` apply to every response carrying a resource.
- GET ``/{type}`` and POST ``/{type}/.search``: a ListResponse; POST ``/.search``: every type (see
  :mod:`.listing`); ``cursor`` pages by RFC 9865 (:mod:`.cursors`). ``/Bulk``: :mod:`.bulk`.
- Discovery (:mod:`.discovery`): GET only; a ``filter`` there is 403.
- ``/Me``: 501 unless ``me`` maps the request's principal to ``(resource type, id)``.
- Every failure is an RFC 7644 §3.12 Error body; unknown endpoint or id 404, wrong method 405 with ``Allow``,
  body over the limit 413, a body that is not JSON media 415, no or wrong credentials 401 with
  ``WWW-Authenticate``. An unexpected exception is logged and answered with a 500 Error body, never a traceback.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from ..errors import InvalidSyntax, InvalidValue, NotFound, ScimError
from ..policy import Policy
from ..schema.codec import decode, to_dict
from ..schema.registry import SchemaRegistry
from ..schema.resources import MAX_RESULTS
from ..schema.wire import MAX_DOCUMENT_BYTES, load_json
from ..store import Store
from ..store.members import read_encoded, wants_members, whole_members
from .cursors import CursorSigner
from .discovery import Discovery, Limits
from .groups import Memberships
from .http import (
    CURRENT,
    Headers,
    Request,
    Response,
    Unauthorized,
    error_response,
    is_json_media,
    json_response,
    lower_headers,
)
from .json_keys import check_unique_keys
from .routes import Route, Router, split_target

__all__ = ["Outcome", "Service"]

log = logging.getLogger("scimcore.service")

PolicyChoice = Policy | Callable[[Request], Policy] | None
MeMapping = Callable[[Request], "tuple[str, str] | None"]

_BODY_METHODS = frozenset(("POST", "PUT", "PATCH"))
_DISCOVERY = frozenset(("config", "schemas", "resource_types"))


@dataclass(slots=True)
class Outcome:
    """A handler's answer before encoding: ``status``, a JSON ``document`` (or ``None``), extra headers."""

    status: int
    document: Any = None
    headers: list[tuple[str, str]] = field(default_factory=list)


class MethodNotAllowed(ScimError):
    """A method the endpoint does not take (405, with ``Allow``)."""

    status = 405

    def __init__(self, detail: str, allow: tuple[str, ...]) -> None:
        super().__init__(detail)
        self.allow = allow


class Service:
    """A SCIM service provider over one ``scimcore.Store`` per resource type.

        ``resources`` maps resource type names (of ``registry``, default ``scimcore.registry``) to stores.
        ``base_url`` is the absolute URL the service is mounted at (``https://example.com/scim/v2``): it prefixes
        ``meta.location``, ``Location``, ``$ref`` and Bulk ``location``. ``policy`` is a ``Policy`` or a callable
        choosing one per request (it sees the request, ``request.principal`` included). ``authenticate`` is a hook
        (request → principal, or ``None`` to refuse: 401); ``None`` serves everyone. ``public_discovery`` serves
        the discovery endpoints without authentication. ``me`` maps a request to the ``(resource type, id)`` that
        ``/Me`` stands for. Limits: ``max_results`` (the page size cap, ``filter.maxResults``; default: the smallest
    ``max_results`` of the stores),
        ``bulk_max_operations`` (0 turns Bulk off), ``bulk_max_payload_size``, ``max_body_bytes`` (other bodies).
        Cursors: ``cursor_secret`` (bytes; default random per service, so give one when several processes serve)
        and ``cursor_timeout`` (seconds). ``check_members``: group members must name existing resources.
    """

    def __init__(
        self,
        resources: Mapping[str, Store],
        *,
        base_url: str = "",
        registry: SchemaRegistry | None = None,
        policy: PolicyChoice = None,
        authenticate: Callable[[Request], Any] | None = None,
        public_discovery: bool = False,
        me: MeMapping | None = None,
        max_results: int | None = None,
        bulk_max_operations: int = 1000,
        bulk_max_payload_size: int = 1024 * 1024,
        max_body_bytes: int = MAX_DOCUMENT_BYTES,
        cursor_secret: bytes | None = None,
        cursor_timeout: int = 3600,
        check_members: bool = True,
    ) -> None:
        if registry is None:
            from ..schema.default import registry as default_registry

            registry = default_registry
        self.registry = registry
        self.base_url = base_url.rstrip("/")
        self.stores: dict[str, Store] = {}
        endpoints: dict[str, str] = {}
        self.prefixes: dict[str, str] = {}
        for name, store in resources.items():
            try:
                definition = registry.resource_type(name)
            except ScimError:
                raise ValueError(f"unknown resource type {name!r}: register it in the registry first") from None
            self.stores[definition.name] = store
            endpoints[definition.name] = definition.endpoint
            self.prefixes[definition.name] = f"{self.base_url}/{definition.endpoint.strip('/')}/"
        self._policy = policy
        self._default_policy = policy if isinstance(policy, Policy) else Policy.DEFAULT
        self.authenticate = authenticate
        self.public_discovery = public_discovery
        self.me = me
        if max_results is None:  # what every store can serve (filter.maxResults)
            caps = [getattr(store, "max_results", None) for store in self.stores.values()]
            max_results = min([cap for cap in caps if isinstance(cap, int)] or [MAX_RESULTS])
        self.limits = Limits(
            max_results=max_results,
            bulk_max_operations=bulk_max_operations,
            bulk_max_payload_size=bulk_max_payload_size,
            max_body_bytes=max_body_bytes,
            cursor_timeout=cursor_timeout,
        )
        self.router = Router(endpoints)
        self.discovery = Discovery(
            registry,
            list(self.stores),
            self.base_url,
            self.limits,
            getattr(authenticate, "authentication_schemes", ()),
        )
        self.challenge: str = getattr(authenticate, "challenge", 'Bearer realm="SCIM"')
        self.cursors = CursorSigner(cursor_secret or secrets.token_bytes(32), cursor_timeout)
        group_types = [name for name in self.stores if "members" in registry.base_attributes(name)]
        user_types = [
            name for name in self.stores if name not in group_types and "groups" in registry.base_attributes(name)
        ]
        self.memberships = Memberships(self.stores, group_types, user_types, self.prefixes, check_members=check_members)
        from .bulk import Bulk
        from .listing import Listing

        self.listing = Listing(self)
        self.bulk = Bulk(self)

    # -- the edge ------------------------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Headers | None = None, body: bytes = b"") -> Response:
        """Answer one request (sans-IO). ``target`` is the path below the mount, with ``?query`` if any."""
        token = None
        try:
            request = self._request(method, target, headers, body)
            token = CURRENT.set(request)
            outcome = self._serve(request)
        except ScimError as error:
            extra = [("Allow", ", ".join(error.allow))] if isinstance(error, MethodNotAllowed) else None
            return error_response(error, extra)
        except Exception:
            log.exception("unexpected error serving %s %s", method, target)
            return error_response(ScimError("internal server error", status=500))
        finally:
            if token is not None:
                CURRENT.reset(token)
        if outcome.document is None:
            response = Response(outcome.status, outcome.headers)
        else:
            response = json_response(outcome.status, outcome.document, outcome.headers)
        if request.method == "HEAD":
            response.body = b""
        return response

    def _request(self, method: Any, target: Any, headers: Headers | None, body: Any) -> Request:
        if not isinstance(method, str) or not isinstance(target, str):
            raise InvalidSyntax("the method and the target must be strings")
        if body is None:
            body = b""
        elif isinstance(body, (bytearray, memoryview)):
            body = bytes(body)
        elif isinstance(body, str):
            body = body.encode("utf-8", "surrogateescape")
        elif not isinstance(body, bytes):
            raise InvalidSyntax("the body must be bytes")
        path, segments, query = split_target(target)
        return Request(method.upper(), path, segments, query, lower_headers(headers), body)

    def _serve(self, request: Request) -> Outcome:
        try:
            route: Route | None = self.router.route(request.segments)
            refused: ScimError | None = None
        except ScimError as error:
            route, refused = None, error
        if self.authenticate is not None and not (
            self.public_discovery and route is not None and route.kind in _DISCOVERY
        ):
            principal = self.authenticate(request)
            if principal is None:
                raise Unauthorized(
                    "missing credentials" if "authorization" not in request.headers else "invalid credentials",
                    challenge=self.challenge,
                )
            request.principal = principal
        if refused is not None:
            raise refused
        assert route is not None
        if request.method not in route.allow:
            raise MethodNotAllowed(f"{request.method} is not allowed here", route.allow)
        me = route.kind == "me"
        if me:
            route = self._me(request)
        data = self._body(request, route) if request.method in _BODY_METHODS else None
        outcome = self.dispatch(request, route, self.policy_for(request), data)
        if me and not any(name == "Location" for name, _ in outcome.headers):
            outcome.headers.append(("Location", self.prefixes[route.resource_type or ""] + str(route.resource_id)))
        return outcome

    def _body(self, request: Request, route: Route) -> Any:
        """The JSON body of a POST/PUT/PATCH (RFC 7644 §3.8): 413 over the limit, 415 if not JSON media,
        ``invalidSyntax`` if not one JSON object or if an object gives a name twice (:mod:`.json_keys`)."""
        limit = self.limits.bulk_max_payload_size if route.kind == "bulk" else self.limits.max_body_bytes
        if len(request.body) > limit:
            what = "maxPayloadSize" if route.kind == "bulk" else "the maximum body size"
            raise ScimError(f"the request body is {len(request.body)} bytes, over {what} ({limit})", status=413)
        content_type = request.headers.get("content-type")
        if content_type is not None and request.body and not is_json_media(content_type):
            raise ScimError(
                f"the body must be application/scim+json or application/json, not {content_type!r}", status=415
            )
        if not request.body.strip():
            raise InvalidSyntax("the request needs a JSON body")
        data = load_json(request.body, max_bytes=limit, what="request body")
        if not isinstance(data, dict):
            raise InvalidSyntax("the request body must be a JSON object")
        check_unique_keys(request.body)
        return data

    def policy_for(self, request: Request) -> Policy:
        """The policy of this request: the service's, or the one its policy callable chooses."""
        if self._policy is None or isinstance(self._policy, Policy):
            return self._default_policy
        chosen = self._policy(request)
        if not isinstance(chosen, Policy):
            raise TypeError(f"the policy callable returned {chosen!r}, not a scimcore.Policy")
        return chosen

    def _me(self, request: Request) -> Route:
        """``/Me`` (RFC 7644 §3.11): the caller's own resource, when the service knows how to find it."""
        if self.me is None:
            raise ScimError("/Me is not supported by this service", status=501)
        found = self.me(request)
        if found is None:
            raise NotFound("the authenticated caller has no resource here")
        resource_type, resource_id = found
        if resource_type not in self.stores:
            raise NotFound(f"the caller's resource type {resource_type!r} is not served")
        if request.method == "POST":
            raise MethodNotAllowed("POST is not allowed on /Me", ("GET", "HEAD", "PUT", "PATCH", "DELETE"))
        return Route("resource", resource_type, resource_id)

    # -- dispatch ------------------------------------------------------------------------------------------

    def dispatch(self, request: Request, route: Route, policy: Policy, data: Any) -> Outcome:
        """Run one routed request (also used by Bulk, which passes its operations' ``data``)."""
        kind, method = route.kind, request.method
        if kind == "resource":
            assert route.resource_type is not None and route.resource_id is not None
            if method in ("GET", "HEAD"):
                return self._get(request, route.resource_type, route.resource_id, policy)
            if method == "PUT":
                return self._put(request, route.resource_type, route.resource_id, policy, data)
            if method == "PATCH":
                return self._patch(request, route.resource_type, route.resource_id, policy, data)
            return self._delete(request, route.resource_type, route.resource_id)
        if kind == "collection":
            assert route.resource_type is not None
            if method == "POST":
                return self._post(request, route.resource_type, policy, data)
            return Outcome(200, self.listing.get(request, route.resource_type, policy))
        if kind == "search":
            assert route.resource_type is not None
            return Outcome(200, self.listing.post(request, route.resource_type, policy, data))
        if kind == "root_search":
            return Outcome(200, self.listing.root(request, policy, data))
        if kind == "bulk":
            return Outcome(200, self.bulk.run(request, policy, data))
        if "filter" in request.query:
            raise ScimError("filtering is not supported on the discovery endpoints (RFC 7644 §4)", status=403)
        if kind == "config":
            return Outcome(200, self.discovery.config())
        if kind == "schemas":
            return Outcome(200, self.discovery.schemas(route.resource_id))
        return Outcome(200, self.discovery.resource_types(route.resource_id))

    # -- resources -----------------------------------------------------------------------------------------

    def _post(self, request: Request, resource_type: str, policy: Policy, data: Any) -> Outcome:
        """Create (RFC 7644 §3.3): 201, ``Location``, ``ETag``."""
        store = self.stores[resource_type]
        resource = self._validated(resource_type, data, policy)
        if resource_type in self.memberships.group_types:
            created = self.memberships.create(resource_type, resource)
        else:
            created = store.add(resource)
        return self._written(request, resource_type, created, 201, policy)

    def _get(self, request: Request, resource_type: str, resource_id: str, policy: Policy) -> Outcome:
        """Read (RFC 7644 §3.4.1) with ``If-None-Match`` (304) and ``If-Match`` (412), RFC 7644 §3.14."""
        store = self.stores[resource_type]
        grouped = resource_type in self.memberships.group_types
        # a group is read without its members first: the ETag checks and a read that excludes them never pay for them
        resource = store.get(resource_id, excluded_attributes=["members"]) if grouped else store.get(resource_id)
        version = _version(resource)
        headers = [("ETag", version)] if version else []
        none_match = request.headers.get("if-none-match")
        if none_match is not None and version and _matches(none_match, version):
            return Outcome(304, None, headers)
        match = request.headers.get("if-match")
        if match is not None and not (version and _matches(match, version)):
            raise ScimError("the resource has changed (If-Match)", status=412)
        attributes, excluded = request.query.get("attributes"), request.query.get("excludedattributes")
        encoded = None
        if grouped and wants_members(attributes, excluded):
            # members as their stored JSON when they go out whole: no Python object per member (scimcore stores)
            found = read_encoded(store, resource_id) if whole_members(attributes, excluded) else None
            resource, encoded = found if found is not None else (store.get(resource_id), None)
            version = _version(resource)
            headers = [("ETag", version)] if version else []
        self._locate(resource_type, resource)
        out = self._projected(request, resource_type, resource, policy)
        if encoded is not None and "members" in out:
            out["members"] = msgspec.Raw(encoded)
        return Outcome(200, out, headers)

    def _put(self, request: Request, resource_type: str, resource_id: str, policy: Policy, data: Any) -> Outcome:
        """Replace (RFC 7644 §3.5.1): 200; never creates (unknown id: 404)."""
        store = self.stores[resource_type]
        resource = self._validated(resource_type, data, policy)
        version = _if_match(request)
        if resource_type in self.memberships.group_types:
            replaced = self.memberships.replace(resource_type, resource_id, resource, version)
        else:
            replaced = store.replace(resource_id, resource, version=version)
        return self._written(request, resource_type, replaced, 200, policy)

    def _patch(self, request: Request, resource_type: str, resource_id: str, policy: Policy, data: Any) -> Outcome:
        """Modify (RFC 7644 §3.5.2): 200 with the resource, or 204 for a group type (see the module doc)."""
        store = self.stores[resource_type]
        version = _if_match(request)
        if resource_type in self.memberships.group_types:
            patched = self.memberships.patch(resource_type, resource_id, data, version, policy)
            if "attributes" not in request.query and "excludedattributes" not in request.query:
                etag = _version(patched)
                return Outcome(204, None, [("ETag", etag)] if etag else [])
            patched = store.get(resource_id)  # asked for: the group with its members
        else:
            patched = store.patch(resource_id, data, version=version, policy=policy)
        return self._written(request, resource_type, patched, 200, policy)

    def _delete(self, request: Request, resource_type: str, resource_id: str) -> Outcome:
        """Delete (RFC 7644 §3.6): 204; the id also leaves every group's ``members``."""
        store = self.stores[resource_type]
        version = _if_match(request)
        if self.memberships.active:
            self.memberships.delete(resource_type, resource_id, version)
        else:
            store.delete(resource_id, version=version)
        return Outcome(204)

    def _validated(self, resource_type: str, data: Any, policy: Policy) -> dict[str, Any]:
        """A resource body checked against its schema (RFC 7643 §2-§3), in canonical JSON form: the codec's
        ``decode`` (a msgspec fast path for canonical documents, the general schema walk otherwise), as a dict."""
        return to_dict(decode(data, resource_type, registry=self.registry, policy=policy), registry=self.registry)

    # -- output --------------------------------------------------------------------------------------------

    def _written(
        self, request: Request, resource_type: str, resource: dict[str, Any], status: int, policy: Policy
    ) -> Outcome:
        location = self._locate(resource_type, resource)
        headers = [("Location", location)]
        version = _version(resource)
        if version:
            headers.append(("ETag", version))
        return Outcome(status, self._projected(request, resource_type, resource, policy), headers)

    def _locate(self, resource_type: str, resource: dict[str, Any]) -> str:
        """Set ``meta.location`` from the base URL (RFC 7643 §3.1) and return it."""
        location = self.prefixes[resource_type] + str(resource.get("id"))
        meta = resource.get("meta")
        if type(meta) is dict:
            meta["location"] = location
        return location

    def _projected(
        self, request: Request, resource_type: str, resource: dict[str, Any], policy: Policy
    ) -> dict[str, Any]:
        """``attributes`` / ``excludedAttributes`` of the query applied (RFC 7644 §3.9)."""
        query = request.query
        if not query:
            return resource
        attributes = query.get("attributes")
        excluded = query.get("excludedattributes")
        if attributes is None and excluded is None:
            return resource
        from ..query import project

        return project(
            resource,
            resource_type=resource_type,
            attributes=attributes,
            excluded_attributes=excluded,
            registry=self.registry,
            policy=policy,
        )


def _version(resource: Mapping[str, Any]) -> str | None:
    meta = resource.get("meta")
    version = meta.get("version") if type(meta) is dict else None
    return version if isinstance(version, str) else None


def _if_match(request: Request) -> str | list[str] | None:
    """The ``If-Match`` header as the stores' ``version=``: ``None``, ``"*"``, one ETag or a list."""
    header = request.headers.get("if-match")
    if header is None:
        return None
    tags = [tag.strip() for tag in header.split(",") if tag.strip()]
    if not tags:
        raise InvalidValue("If-Match is empty")
    return tags[0] if len(tags) == 1 else tags


def _matches(header: str, version: str) -> bool:
    """Weak comparison of an ``If-None-Match``/``If-Match`` list (or ``*``) with an ETag (RFC 9110 §8.8.3.2)."""
    wanted = version.removeprefix("W/")
    for tag in header.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == wanted:
            return True
    return False
