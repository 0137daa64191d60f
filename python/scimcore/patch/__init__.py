"""PATCH (RFC 7644 §3.5.2): apply a PatchOp to a resource, atomically, under a :class:`~scimcore.Policy`.

``apply_patch(resource, patch, resource_type="User", *, registry=None, policy=None)`` returns a NEW resource: a dict
for a dict, a Struct of the same type for a Struct. ``apply_patch(..., report=True)`` returns a
:class:`PatchResult` ``(resource, changed)`` instead, where ``changed`` is ``False`` when the request changed
nothing, so that a server can keep ``meta.version`` and ``meta.lastModified`` (RFC 7644 §3.5.2,
docs/semantics.md §PATCH).

Guarantees:

- **The input is never modified**, also when an error is raised, and a request that fails anywhere applies
  nothing (RFC 7644 §3.5.2 "atomic"). The work is copy-on-write: only the containers along the changed paths are
  copied, and the result **shares unchanged sub-objects with the input** — treat both as immutable, or copy.
- Operations apply in order, each on the result of the previous one. Errors are :class:`~scimcore.ScimError`
  subclasses whose ``detail`` starts with the operation, as ``Operations[2] (replace 'emails[...]'): ...``.

The decisions (docs/semantics.md §PATCH and §Policies), where the RFC leaves room:

- Paths: unknown attribute or unparsable path ``invalidPath``; a syntax error inside ``[...]`` or a filter that
  does not fit the schema ``invalidFilter``; ``attr[filter]`` on a single-valued attribute, ``add`` to
  ``attr[filter]`` without a sub-attribute, and ``emails.value`` (sub-attribute of a multi-valued attribute
  without a filter) ``invalidPath``. A bare extension URN names the whole extension object.
- ``add``: a path-less value's keys are paths (dotted and URN-qualified keys included); multi-valued targets
  get the values not already present (strings compare by ``caseExact``; elements whose ``value`` is an
  identifier, like ``members``, are the same when their ``value`` is); complex values merge;
  ``attr[filter].sub`` sets ``sub`` on every match. ``null``/``[]`` is a no-op.
- ``replace``: multi-valued without filter replaces all values; ``attr[filter]`` replaces each match wholesale;
  ``attr[filter].sub`` sets ``sub`` on each match; no match ``noTarget`` unless the policy upserts
  a filter of ``eq`` terms. ``null``/``[]`` behaves as ``remove``; a ``null`` sub-attribute in a complex
  replacement unassigns it.
- ``remove``: no path ``noTarget``; nothing to remove is a no-op, ``noTarget`` under ``Policy.STRICT``; a
  value list is ``invalidValue`` unless the policy removes by value (matched on ``value``).
- Mutability: readOnly values never change, immutable ones only from unassigned, required ones are never
  unassigned (``mutability``); setting the value an attribute already has changes nothing.
  ``meta.version`` and ``meta.lastModified`` are the server's to maintain, not this function's.
- ``primary: true`` written by an operation resets the other values' ``primary`` to ``false``; an operation that
  would write two primaries is ``invalidValue``.
- Extension objects appear with their first attribute and go, with their URN in ``schemas``, with their last;
  a required extension cannot go (``mutability``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Generic, Literal, NamedTuple, TypeVar, cast, overload

import msgspec

from ..errors import InvalidValue, ScimError
from ..policy import Policy
from ..schema.messages import PatchOp
from ..schema.registry import SchemaRegistry
from .engine import Patcher, prefix_detail
from .message import read_operations

__all__ = ["PatchResult", "apply_patch"]

_DEFAULT_POLICY = Policy()


ResourceT = TypeVar("ResourceT", bound="dict[str, Any] | msgspec.Struct")
"""A JSON-shaped dict, or a resource Struct: :func:`apply_patch` returns the same kind."""

PatchInput = PatchOp | Mapping[str, Any] | Sequence[Mapping[str, Any]] | bytes | str
"""A PatchOp message (Struct, dict or JSON text), or a list of operation dicts."""


class PatchResult(NamedTuple, Generic[ResourceT]):
    """What :func:`apply_patch` returns with ``report=True``: the new resource and whether anything changed."""

    resource: ResourceT
    changed: bool


@overload
def apply_patch(
    resource: ResourceT,
    patch: PatchInput,
    resource_type: str = "User",
    *,
    registry: SchemaRegistry | None = None,
    policy: Policy | None = None,
    report: Literal[False] = False,
) -> ResourceT: ...
@overload
def apply_patch(
    resource: ResourceT,
    patch: PatchInput,
    resource_type: str = "User",
    *,
    registry: SchemaRegistry | None = None,
    policy: Policy | None = None,
    report: Literal[True],
) -> PatchResult[ResourceT]: ...
@overload
def apply_patch(
    resource: ResourceT,
    patch: PatchInput,
    resource_type: str = "User",
    *,
    registry: SchemaRegistry | None = None,
    policy: Policy | None = None,
    report: bool,
) -> ResourceT | PatchResult[ResourceT]: ...
def apply_patch(
    resource: ResourceT,
    patch: PatchInput,
    resource_type: str = "User",
    *,
    registry: SchemaRegistry | None = None,
    policy: Policy | None = None,
    report: bool = False,
) -> ResourceT | PatchResult[ResourceT]:
    """Apply the PATCH request ``patch`` to ``resource`` and return the new resource (RFC 7644 §3.5.2).

    ``patch`` is a PatchOp message (dict, JSON bytes/str or ``scimcore.PatchOp``) or a list of operation dicts.
    ``policy`` defaults to ``Policy()``; ``registry`` to ``scimcore.registry``. With ``report=True`` the result
    is a :class:`PatchResult`.
    """
    policy = _DEFAULT_POLICY if policy is None else policy
    if not isinstance(policy, Policy):
        raise ScimError(f"policy must be a scimcore.Policy, not {type(policy).__name__}")
    if registry is None:
        from ..schema.default import registry as default_registry

        registry = default_registry
    elif not isinstance(registry, SchemaRegistry):
        raise ScimError(f"registry must be a scimcore.SchemaRegistry, not {type(registry).__name__}")
    original = _as_dict(resource, registry)
    operations = read_operations(patch, policy)
    patcher = Patcher(original, resource_type, policy, registry)
    try:
        for operation in operations:
            try:
                patcher.apply(operation)
            except ScimError as exc:
                prefix_detail(exc, operation.describe())
                raise
        patcher.finish()
        changed = patcher.modified and patcher.root != original
    except RecursionError:
        raise InvalidValue("the resource or the PATCH value is nested too deeply") from None
    if isinstance(resource, dict):
        new = cast(ResourceT, patcher.root)
    else:
        new = cast(ResourceT, _as_struct(patcher.root, type(resource), patcher.resource_type, registry, policy))
    return PatchResult(new, changed) if report else new


def _as_dict(resource, registry) -> dict:
    if isinstance(resource, dict):
        return resource
    if isinstance(resource, msgspec.Struct):
        from ..schema.codec import to_dict

        return to_dict(resource, registry=registry)
    raise InvalidValue(
        f"a resource must be a JSON object (dict) or a scimcore resource Struct, not {type(resource).__name__}"
    )


def _as_struct(data: dict, kind: type, resource_type: str, registry, policy: Policy):
    """The patched resource as a Struct of the caller's type, validated by ``scimcore.decode``."""
    from ..schema.codec import decode

    result = decode(data, resource_type, registry=registry, policy=policy)
    if type(result) is kind:
        return result
    try:
        return msgspec.convert(data, kind)
    except msgspec.ValidationError as exc:
        raise InvalidValue(f"the patched resource is not a valid {kind.__name__}: {exc}") from None
