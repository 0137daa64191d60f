"""``/Bulk`` (RFC 7644 §3.7; docs/semantics.md §Protocol "Bulk").

Operations run in the order given, except that one referring to ``bulkId:x`` (in its ``path`` or anywhere in
its ``data``) waits until the operation creating ``x`` has run; then every ``bulkId:x`` value is replaced by the
new ``id``. A reference to a bulkId no operation creates, or whose creation failed, fails that operation with
409 naming it; operations left waiting on each other (a cycle) fail with 409. Each operation is atomic on its
own and runs through the same code as the single request (``version`` acts as ``If-Match``).
``failOnErrors: n`` stops once ``n`` operations have failed; the response lists the operations that ran, in
request order, ``status`` as a string, ``location`` absolute, and the Error body as ``response`` of a failure.
More than ``maxOperations`` operations, or a body over ``maxPayloadSize``, is 413 with nothing applied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import InvalidSyntax, InvalidValue, ScimError
from ..policy import Policy
from ..schema.messages import BULK_RESPONSE, BulkOperation, BulkRequest
from .http import Request, error_document
from .routes import split_target

if TYPE_CHECKING:
    from .service import Service

__all__ = ["Bulk"]

_PREFIX = "bulkId:"
_METHOD_KINDS = {"POST": "collection", "PUT": "resource", "PATCH": "resource", "DELETE": "resource"}


class Bulk:
    """The ``/Bulk`` endpoint of one service."""

    def __init__(self, service: Service) -> None:
        self.service = service

    def run(self, request: Request, policy: Policy, data: dict[str, Any]) -> dict[str, Any]:
        limits = self.service.limits
        if limits.bulk_max_operations <= 0:
            raise ScimError("Bulk is not supported by this service", status=501)
        message = BulkRequest.from_json(data, policy=policy)
        operations = message.operations
        if len(operations) > limits.bulk_max_operations:
            raise ScimError(
                f"the bulk request has {len(operations)} operations, more than maxOperations "
                f"({limits.bulk_max_operations})",
                status=413,
            )
        fail_on_errors = message.fail_on_errors
        if fail_on_errors is not None and fail_on_errors < 1:
            raise InvalidValue("failOnErrors must be 1 or more")
        creators: dict[str, int] = {}
        for index, operation in enumerate(operations):
            if operation.method == "POST" and operation.bulk_id is not None:
                if operation.bulk_id in creators:
                    raise InvalidValue(f"bulkId {operation.bulk_id!r} is used by more than one operation")
                creators[operation.bulk_id] = index
        job = _Job(self.service, request, policy, operations, creators, fail_on_errors)
        job.run()
        return {"schemas": [BULK_RESPONSE], "Operations": [job.results[i] for i in sorted(job.results)]}


class _Job:
    """One bulk request being processed."""

    def __init__(
        self,
        service: Service,
        request: Request,
        policy: Policy,
        operations: list[BulkOperation],
        creators: dict[str, int],
        fail_on_errors: int | None,
    ) -> None:
        self.service = service
        self.request = request
        self.policy = policy
        self.operations = operations
        self.creators = creators
        self.fail_on_errors = fail_on_errors
        self.references = [_references(op) for op in operations]
        self.ids: dict[str, str] = {}  # bulkId -> id of the created resource
        self.failed: set[str] = set()
        self.results: dict[int, dict[str, Any]] = {}
        self.errors = 0

    @property
    def stopped(self) -> bool:
        return self.fail_on_errors is not None and self.errors >= self.fail_on_errors

    def run(self) -> None:
        waiting: list[int] = []
        for index in range(len(self.operations)):
            if self.stopped:
                return
            if self._waits(index):
                waiting.append(index)
                continue
            self._run(index)
            waiting = self._drain(waiting)
        for index in waiting:
            if self.stopped:
                return
            self._fail(index, ScimError("circular bulkId references could not be resolved", status=409))

    def _waits(self, index: int) -> bool:
        """Whether an operation refers to a bulkId whose creating operation has not run yet."""
        return any(
            ref in self.creators and ref not in self.ids and ref not in self.failed and self.creators[ref] != index
            for ref in self.references[index]
        )

    def _drain(self, waiting: list[int]) -> list[int]:
        progress = True
        while progress and waiting and not self.stopped:
            progress = False
            for index in list(waiting):
                if self.stopped:
                    break
                if not self._waits(index):
                    waiting.remove(index)
                    self._run(index)
                    progress = True
        return waiting

    def _run(self, index: int) -> None:
        operation = self.operations[index]
        try:
            for ref in self.references[index]:
                if ref not in self.ids:
                    state = "failed" if ref in self.failed else "is not created by any operation"
                    if ref in self.creators and self.creators[ref] == index:
                        state = "refers to its own operation"
                    raise ScimError(f"bulkId {ref!r} {state}", status=409)
            result = self._execute(operation)
        except ScimError as error:
            self._fail(index, error)
            return
        self.results[index] = result
        if operation.method == "POST" and operation.bulk_id is not None:
            self.ids[operation.bulk_id] = result.pop("_id")
        else:
            result.pop("_id", None)

    def _execute(self, operation: BulkOperation) -> dict[str, Any]:
        service = self.service
        if not isinstance(operation.path, str) or not operation.path.startswith("/"):
            raise InvalidSyntax("every bulk operation needs a 'path' relative to the service root")
        if operation.method == "POST" and operation.bulk_id is None:
            raise InvalidSyntax("a bulk POST needs a 'bulkId'")
        path, segments, _ = split_target(_substitute(operation.path, self.ids))
        route = service.router.route(segments)
        if route.kind != _METHOD_KINDS[operation.method]:
            raise InvalidValue(f"{operation.method} {operation.path!r} is not a bulk operation on a resource")
        data = None
        if operation.method != "DELETE":
            if not isinstance(operation.data, dict):
                raise InvalidSyntax(f"a bulk {operation.method} needs 'data' (a JSON object)")
            data = _substitute(operation.data, self.ids)  # parsed for this request: changed in place
        headers = {"if-match": operation.version} if operation.version is not None else {}
        sub = Request(operation.method, path, segments, {}, headers, b"", self.request.principal)
        outcome = service.dispatch(sub, route, self.policy, data)
        result: dict[str, Any] = {"method": operation.method}
        if operation.bulk_id is not None:
            result["bulkId"] = operation.bulk_id
        found = {name.lower(): value for name, value in outcome.headers}
        document = outcome.document if isinstance(outcome.document, dict) else {}
        resource_id = document.get("id") or route.resource_id
        if "etag" in found:
            result["version"] = found["etag"]
        result["location"] = found.get("location") or service.prefixes[route.resource_type or ""] + str(resource_id)
        result["status"] = str(outcome.status)
        result["_id"] = resource_id
        return result

    def _fail(self, index: int, error: ScimError) -> None:
        operation = self.operations[index]
        self.errors += 1
        if operation.method == "POST" and operation.bulk_id is not None:
            self.failed.add(operation.bulk_id)
        result: dict[str, Any] = {"method": operation.method}
        if operation.bulk_id is not None:
            result["bulkId"] = operation.bulk_id
        if operation.method != "POST" and isinstance(operation.path, str):
            result["location"] = self.service.base_url + operation.path
        result["status"] = str(error.status)
        result["response"] = error_document(error)
        self.results[index] = result


def _references(operation: BulkOperation) -> list[str]:
    """The bulkIds an operation refers to (``bulkId:x`` in its path or as a string anywhere in its data)."""
    found: list[str] = []
    if isinstance(operation.path, str):
        found.extend(part[len(_PREFIX) :] for part in operation.path.split("/") if part.startswith(_PREFIX))
    stack = [operation.data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if value.startswith(_PREFIX):
                found.append(value[len(_PREFIX) :])
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return list(dict.fromkeys(found))


def _substitute(value: Any, ids: dict[str, str]) -> Any:
    """``value`` with every ``bulkId:x`` (a whole string, or a path segment) replaced by the id of ``x``."""
    if isinstance(value, str):
        if _PREFIX not in value:
            return value
        if value.startswith(_PREFIX) and value[len(_PREFIX) :] in ids:
            return ids[value[len(_PREFIX) :]]
        parts = value.split("/")
        return "/".join(ids.get(p[len(_PREFIX) :], p) if p.startswith(_PREFIX) else p for p in parts)
    stack = [value]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, item in list(items):
            if isinstance(item, str):
                if item.startswith(_PREFIX) and item[len(_PREFIX) :] in ids:
                    node[key] = ids[item[len(_PREFIX) :]]
            elif isinstance(item, (dict, list)):
                stack.append(item)
    return value
