"""Applying PATCH operations to a JSON-shaped resource, copy-on-write (RFC 7644 §3.5.2; docs/semantics.md §PATCH,
§Policies).

:class:`Patcher` works on a shallow copy of the resource. Each operation computes the new value of one
top-level attribute from the old one, copying only the containers it changes (the list, the changed elements,
the extension object), checks the change against the attribute's mutability, and stores it. Nothing of the
caller's resource is ever modified, so an error at any point leaves it as it was (atomicity): the caller simply
never sees the copy. Values that were not changed are shared between the input and the result.
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidPath, InvalidValue, Mutability, NoTarget, ScimError
from ..policy import Policy
from ..schema.model import AttributeDef
from ..schema.registry import SchemaRegistry
from ..schema.values import check_single_primary, coerce_attribute, coerce_element
from .elements import canonical_keys, identity, is_present, value_identity
from .message import Operation
from .targets import ExtensionTarget, Target, target_for, upsert_terms

__all__ = ["Patcher", "prefix_detail"]

_ECHOED = ("id", "meta", "schemas")  # read-only common attributes that clients echo back (Okta)


class Patcher:
    """The state of one PATCH request: the working copy of the resource and what has changed."""

    def __init__(self, original: dict, resource_type: str, policy: Policy, registry: SchemaRegistry) -> None:
        self.original = original
        self.root = dict(original)
        self.policy = policy
        self.registry = registry
        self.rt = registry.resource_type(resource_type)
        self.resource_type = self.rt.name
        self.modified = False
        self.schemas_touched = False
        self._owned_extensions: dict[str, dict] = {}  # extension URN -> the object we copied into root
        self._written: dict[tuple[str | None, str], AttributeDef] = {}  # multi-valued complex attributes written

    # -- operations -----------------------------------------------------------------------------------------

    def apply(self, operation: Operation) -> None:
        """Apply one operation to the working copy (RFC 7644 §3.5.2.1–§3.5.2.3)."""
        if operation.path is None:
            self._apply_pathless(operation)
            return
        target = target_for(operation.path, self.resource_type, self.registry)
        self._apply(operation.op, target, operation.value, operation.has_value)

    def _apply_pathless(self, operation: Operation) -> None:
        """No ``path``: the target is the resource and each key of ``value`` is a path (§3.5.2.1)."""
        if operation.op == "remove":
            raise NoTarget("remove needs a path (RFC 7644 §3.5.2.2)")
        if not operation.has_value:
            raise InvalidValue(f"{operation.op} without a path needs a value")
        if not isinstance(operation.value, dict):
            raise InvalidValue("without a path, the value must be a JSON object whose keys are attribute paths")
        for key, item in operation.value.items():
            try:
                target = target_for(key, self.resource_type, self.registry)
                self._apply_key(operation.op, target, key, item)
            except ScimError as exc:
                prefix_detail(exc, f"value key {key!r}")
                raise

    def _apply_key(self, op: str, target: Target | ExtensionTarget, key: str, item: Any) -> None:
        if isinstance(target, Target):
            if target.dotted and not self.policy.path_keys_in_values:
                raise InvalidPath(
                    f"{key!r} is not an attribute name (dotted keys are paths only with path_keys_in_values)"
                )
            attr = target.attribute
            if self.policy.ignore_read_only_echo and attr.schema is None and attr.name in _ECHOED:
                return
        self._apply(op, target, item, True)

    def _apply(self, op: str, target: Target | ExtensionTarget, value: Any, has_value: bool) -> None:
        if isinstance(target, ExtensionTarget):
            self._apply_extension(op, target.extension, value, has_value)
            return
        attr = target.attribute
        container = self._read_container(target.extension)
        key = self._find_key(container, attr.name) if container is not None else None
        old = container[key] if container is not None and key is not None else None
        if op == "remove":
            new, pairs = self._remove(target, old, value, has_value)
        else:
            if not has_value:
                raise InvalidValue(f"{op} needs a value (RFC 7644 §3.5.2)")
            new, pairs = self._set(op, target, old, value)
        if new is old or new == old:
            return
        self._check_change(target, old, new, pairs)
        self._store(target.extension, attr, key, new)

    def _set(self, op: str, target: Target, old, value):
        """``add``/``replace``: the new value of the attribute and the (old, new) element pairs it changed."""
        attr, sub = target.attribute, target.sub
        if value is None or value == []:
            # RFC 7643 §2.5: null and [] are "unassigned". add: nothing to add; replace: a remove.
            if op == "add":
                return old, ()
            return self._remove(target, old, None, False)
        if target.filter is not None:
            if sub is None:
                if op == "add":
                    raise InvalidPath("add needs attr[filter].subAttribute, not attr[filter]")
                return self._replace_matches(target, old, value)
            return self._set_sub_of_matches(target, sub, old, value)
        if sub is not None:
            return self._set_sub(target, sub, old, value), ()
        where = target.text
        if attr.multi_valued:
            items = value if isinstance(value, list) else [value]
            if op == "add":
                return self._append(attr, old, items, where), ()
            new = [item for item in coerce_attribute(attr, items, self.policy, where=where) if is_present(item)]
            return new or None, ()
        if attr.is_complex:
            return self._merge(op, attr, old, value, where), ()
        return coerce_element(attr, value, self.policy, where=where), ()

    def _remove(self, target: Target, old, value, has_value: bool):
        """``remove`` (RFC 7644 §3.5.2.2): the new value of the attribute and the element pairs it changed."""
        attr = target.attribute
        if has_value and value is not None and value != []:
            if target.filter is None and target.sub is None and attr.multi_valued and self.policy.remove_by_value:
                return self._remove_by_value(attr, old, value, target.text), ()
            raise InvalidValue(
                'remove takes no value; select elements with a filter, as members[value eq "..."] '
                "(a value list is accepted with the remove_by_value policy)"
            )
        if not is_present(old):
            self._no_target(f"{attr.name!r} has no value")
            return old, ()
        sub = target.sub
        if target.filter is not None:
            if sub is None:
                return self._remove_matches(target, old), ()
            return self._remove_sub_of_matches(target, sub, old)
        if sub is not None:
            return self._remove_sub(target, sub, old), ()
        return None, ()

    # -- multi-valued attributes ----------------------------------------------------------------------------

    def _append(self, attr: AttributeDef, old, items: list, where: str):
        """``add`` to a multi-valued attribute: append the values not already there."""
        incoming = [v for v in coerce_attribute(attr, items, self.policy, where=where) if is_present(v)]
        if not incoming:
            return old
        elements = self._elements(attr, old)
        keys = {k for k in (identity(attr, e) for e in elements) if k is not None}
        added: list = []
        for item in incoming:
            key = identity(attr, item)
            if key is not None:
                if key in keys:
                    continue
                keys.add(key)
            elif item in elements or item in added:
                continue
            added.append(item)
        if not added:
            return old
        new = elements + added
        self._settle_primary(attr, new, added, where)
        return new

    def _remove_by_value(self, attr: AttributeDef, old, value, where: str):
        """``remove`` with a value list: drop the elements whose ``value`` is listed (Entra)."""
        items = value if isinstance(value, list) else [value]
        if not is_present(old):
            self._no_target(f"{attr.name!r} has no value")
            return old
        elements = self._elements(attr, old)
        if attr.is_complex:
            wanted: dict = {}  # value key -> "must have no $ref" (an explicit "$ref": null, policy permitting)
            for item in items:
                if item is None:
                    continue
                if not isinstance(item, dict):
                    raise InvalidValue(f"{where}: each value to remove must be an object with a 'value'")
                null_ref = any(isinstance(k, str) and k.lower() == "$ref" and v is None for k, v in item.items())
                key = value_identity(attr, coerce_element(attr, item, self.policy, where=where))
                if key is None:
                    raise InvalidValue(f"{where}: a value to remove needs its 'value' sub-attribute")
                wanted[key] = wanted.get(key, True) and null_ref and not self.policy.ignore_null_ref
            kept = [
                e
                for e in elements
                if not (
                    value_identity(attr, e) in wanted
                    and (not wanted[value_identity(attr, e)] or not is_present(e.get("$ref")))
                )
            ]
        else:
            wanted_keys = {
                identity(attr, coerce_element(attr, item, self.policy, where=where))
                for item in items
                if item is not None
            }
            kept = [e for e in elements if identity(attr, e) not in wanted_keys]
        if len(kept) == len(elements):
            self._no_target(f"no value of {attr.name!r} is among those listed")
            return old
        return kept or None

    def _replace_matches(self, target: Target, old, value):
        """``replace attr[filter]``: every matching element is replaced wholesale."""
        attr, where = target.attribute, target.text
        if isinstance(value, list):
            raise InvalidValue(f"{where}: replacing filtered values takes one value, not an array")
        element = coerce_element(attr, value, self.policy, where=where)
        elements = self._elements(attr, old)
        hits = self._hits(target, elements)
        if not hits:
            raise NoTarget(f"no value of {attr.name!r} matches the filter")
        new = list(elements)
        pairs, written = [], []
        for index in hits:
            fresh = dict(element) if isinstance(element, dict) else element
            pairs.append((elements[index], fresh))
            written.append(fresh)
            new[index] = fresh
        self._settle_primary(attr, new, written, where)
        return new, pairs

    def _set_sub_of_matches(self, target: Target, sub: AttributeDef, old: Any, value: Any) -> tuple[Any, Any]:
        """``add``/``replace attr[filter].sub``: set ``sub`` on every match; upsert by policy."""
        attr, where = target.attribute, target.text
        item = coerce_attribute(sub, value, self.policy, where=f"{attr.name}.{sub.name}")
        elements = self._elements(attr, old)
        hits = self._hits(target, elements)
        if not hits:
            terms = upsert_terms(target) if self.policy.upsert_filtered else None
            if terms is None:
                raise NoTarget(
                    f"no value of {attr.name!r} matches the filter (a filter of 'eq' terms creates one with "
                    "the upsert_filtered policy)"
                )
            raw = dict(terms)
            raw[sub.name] = value
            element = coerce_element(attr, raw, self.policy, where=where)
            new = [*elements, element]
            self._settle_primary(attr, new, [element], where)
            return new, ()
        new = list(elements)
        pairs = []
        for index in hits:
            current = elements[index]
            if sub.name in current and current[sub.name] == item:
                continue
            fresh = dict(current)
            fresh[sub.name] = item
            pairs.append((current, fresh))
            new[index] = fresh
        if sub.name == "primary" and item is True:
            self._settle_primary(attr, new, [new[i] for i in hits], where)
        if all(a is b for a, b in zip(new, elements, strict=True)):
            return old, ()
        return new, pairs

    def _remove_matches(self, target: Target, old):
        """``remove attr[filter]``: drop every matching element (§3.5.2.2); no match is a no-op."""
        attr = target.attribute
        elements = self._elements(attr, old)
        hits = set(self._hits(target, elements))
        if not hits:
            self._no_target(f"no value of {attr.name!r} matches the filter")
            return old
        kept = [e for i, e in enumerate(elements) if i not in hits]
        return kept or None

    def _remove_sub_of_matches(self, target: Target, sub: AttributeDef, old: Any) -> tuple[Any, Any]:
        """``remove attr[filter].sub``: drop ``sub`` from every match; emptied elements go too."""
        attr = target.attribute
        elements = self._elements(attr, old)
        hits = self._hits(target, elements)
        new = list(elements)
        pairs = []
        for index in hits:
            current = elements[index]
            if current.get(sub.name) is None:
                continue
            fresh = {k: v for k, v in current.items() if k != sub.name}
            pairs.append((current, fresh))
            new[index] = fresh if any(v is not None for v in fresh.values()) else None
        if not pairs:
            self._no_target(f"no value of {attr.name!r} matching the filter has {sub.name!r}")
            return old, ()
        new = [e for e in new if e is not None]
        return new or None, pairs

    def _elements(self, attr: AttributeDef, old) -> list:
        """The current values of a multi-valued attribute (a new list; complex keys canonical)."""
        if old is None:
            return []
        if not isinstance(old, list):
            raise InvalidValue(f"the resource's {attr.name!r} is multi-valued but not a JSON array")
        if attr.is_complex and self.policy.case_insensitive_names:
            return [canonical_keys(attr, e) for e in old]
        return list(old)

    def _hits(self, target: Target, elements: list[Any]) -> list[int]:
        """The indexes of the elements that ``attr[filter]`` selects (only called for a path with a filter)."""
        matcher = target.matcher
        assert matcher is not None
        if target.attribute.is_complex:
            return [i for i, e in enumerate(elements) if type(e) is dict and matcher(e)]
        return [i for i, e in enumerate(elements) if matcher(e)]

    def _settle_primary(self, attr: AttributeDef, elements: list, written: list, where: str) -> None:
        """One value may be primary: the one just written wins, the others get ``primary: false``."""
        if not attr.is_complex:
            return
        chosen = [e for e in written if type(e) is dict and e.get("primary") is True]
        if not chosen:
            return
        if len(chosen) > 1:
            raise InvalidValue(f"{where}: the request would make {len(chosen)} values of {attr.name!r} primary")
        keep = chosen[0]
        for index, element in enumerate(elements):
            if element is not keep and type(element) is dict and element.get("primary") is True:
                fresh = dict(element)
                fresh["primary"] = False
                elements[index] = fresh

    # -- single-valued complex attributes -------------------------------------------------------------------

    def _merge(self, op: str, attr: AttributeDef, old, value, where: str):
        """``add``/``replace`` of a complex value: merge sub-attributes; for replace, null unassigns."""
        incoming = coerce_element(attr, value, self.policy, where=where)
        current = self._complex(attr, old)
        cleared: list[str] = []
        if op == "replace" and isinstance(value, dict):
            for name, item in value.items():
                sub = attr.sub(name) if isinstance(name, str) and item is None else None
                if sub is not None:
                    cleared.append(sub.name)
        if all(current.get(k) == v for k, v in incoming.items()) and not any(k in current for k in cleared):
            return old
        fresh = {k: v for k, v in current.items() if k not in cleared}
        fresh.update(incoming)
        return fresh or None

    def _set_sub(self, target: Target, sub: AttributeDef, old: Any, value: Any) -> Any:
        """``attr.sub`` of a single-valued complex attribute: set it, creating the parent if needed."""
        attr = target.attribute
        item = coerce_attribute(sub, value, self.policy, where=f"{attr.name}.{sub.name}")
        current = self._complex(attr, old)
        if sub.name in current and current[sub.name] == item:
            return old
        fresh = dict(current)
        fresh[sub.name] = item
        return fresh

    def _remove_sub(self, target: Target, sub: AttributeDef, old: Any) -> Any:
        attr = target.attribute
        current = self._complex(attr, old)
        if current.get(sub.name) is None:
            self._no_target(f"{attr.name}.{sub.name} has no value")
            return old
        fresh = {k: v for k, v in current.items() if k != sub.name}
        return fresh if any(v is not None for v in fresh.values()) else None

    def _complex(self, attr: AttributeDef, old) -> dict:
        if old is None:
            return {}
        if not isinstance(old, dict):
            raise InvalidValue(f"the resource's {attr.name!r} is complex but not a JSON object")
        return canonical_keys(attr, old) if self.policy.case_insensitive_names else old

    # -- whole extension objects ----------------------------------------------------------------------------

    def _apply_extension(self, op: str, urn: str, value, has_value: bool) -> None:
        """A bare extension URN as the path (or a path-less key): its object as a whole (RFC 7644 §3.5.2)."""
        if op == "remove" or (has_value and value is None and op == "replace"):
            if op == "remove" and has_value and value is not None:
                raise InvalidValue("remove takes no value")
            self._remove_extension(urn)
            return
        if not has_value:
            raise InvalidValue(f"{op} needs a value (RFC 7644 §3.5.2)")
        if value is None:
            return
        if not isinstance(value, dict):
            raise InvalidValue(f"the value of the extension {urn} must be an object of its attributes")
        for key, item in value.items():
            if self.policy.ignore_read_only_echo and isinstance(key, str) and key.lower() == "schemas":
                continue  # an extension object has no schemas; clients echo the resource's (scim2-tester)
            try:
                target = target_for(key, self.resource_type, self.registry, within=urn)
                self._apply_key(op, target, key, item)
            except ScimError as exc:
                prefix_detail(exc, f"{urn} key {key!r}")
                raise

    def _remove_extension(self, urn: str) -> None:
        container = self._read_container(urn)
        if container is None or not any(v is not None for v in container.values()):
            self._no_target(f"the resource has no {urn} attributes")
            if container is None:
                return
        schema = self.registry.schema(urn)
        for key, item in container.items():
            attr = schema.attribute(key) if isinstance(key, str) else None
            if attr is not None and is_present(item) and attr.mutability in ("readOnly", "immutable"):
                raise Mutability(f"attribute {attr.name!r} of {urn} is {attr.mutability}")
        self._check_extension_optional(urn)
        self._store_extension(urn, None)

    # -- checks ---------------------------------------------------------------------------------------------

    def _check_change(self, target: Target, old, new, pairs) -> None:
        """Mutability (RFC 7643 §7, RFC 7644 §3.5.2): readOnly never changes, immutable only from unassigned,
        required is never unassigned. Called only when ``new`` differs from ``old``.

        Sub-attributes are checked where the operation wrote them: the one named by the path, or all of them
        for a merged or replaced element. Removing a whole complex value takes its sub-attributes along
        (a readOnly ``manager.displayName`` goes with ``manager``)."""
        attr = target.attribute
        _check_characteristics(attr, old, new, attr.name)
        if not attr.is_complex:
            return
        if attr.multi_valued:
            for old_element, new_element in pairs:
                _check_sub_attributes(attr, old_element, new_element, target.sub)
        elif isinstance(new, dict) or target.sub is not None:
            old_value = canonical_keys(attr, old) if isinstance(old, dict) else {}
            _check_sub_attributes(attr, old_value, new if isinstance(new, dict) else {}, target.sub)

    def _check_extension_optional(self, urn: str) -> None:
        for ext_urn, required in self.rt.extensions:
            if ext_urn == urn and required:
                raise Mutability(f"the extension {urn} is required for {self.rt.name} resources")

    def _no_target(self, detail: str) -> None:
        """A remove that finds nothing: a no-op, or ``noTarget`` when the policy says so."""
        if not self.policy.remove_missing_is_noop:
            raise NoTarget(detail)

    def finish(self) -> None:
        """Checks on the final state: at most one primary in every multi-valued attribute written, and
        ``schemas`` lists the base schema and every extension in use."""
        for (urn, name), attr in self._written.items():
            container = self._read_container(urn)
            values = container.get(name) if container is not None else None
            if isinstance(values, list):
                check_single_primary(attr, values, where=attr.name)
        if not self.schemas_touched:
            return
        schemas = self.root.get("schemas")
        if not isinstance(schemas, list) or not all(isinstance(s, str) for s in schemas):
            raise InvalidValue("'schemas' must be an array of schema URNs")
        lowered = {s.lower() for s in schemas}
        if self.rt.schema.lower() not in lowered:
            raise InvalidValue(f"'schemas' must contain the base schema {self.rt.schema}")
        known = {self.rt.schema.lower()} | {urn.lower() for urn, _ in self.rt.extensions}
        unknown = [s for s in schemas if s.lower() not in known]
        if unknown:
            raise InvalidValue(f"'schemas' holds {unknown[0]!r}, not a schema of {self.rt.name} resources")
        for urn, _ in self.rt.extensions:
            if urn.lower() not in lowered and self._read_container(urn):
                raise InvalidValue(f"'schemas' must list {urn} while the resource holds its attributes")

    # -- the working copy -----------------------------------------------------------------------------------

    def _find_key(self, container: dict, name: str, *, any_case: bool = False) -> str | None:
        """The key under which ``container`` holds ``name`` (any case, by policy), or ``None``."""
        if name in container:
            return name
        if any_case or self.policy.case_insensitive_names:
            lowered = name.lower()
            for key in container:
                if isinstance(key, str) and key.lower() == lowered:
                    return key
        return None

    def _read_container(self, urn: str | None) -> dict | None:
        if urn is None:
            return self.root
        key = self._find_key(self.root, urn, any_case=True)
        if key is None:
            return None
        container = self.root[key]
        if container is not None and not isinstance(container, dict):
            raise InvalidValue(f"the resource's {urn} must be a JSON object")
        return container

    def _store(self, urn: str | None, attr: AttributeDef, key: str | None, new) -> None:
        """Write the new value of ``attr`` under its canonical name (``None``: remove it)."""
        if urn is None:
            container = self.root
        else:
            owned = self._owned_extensions.get(urn)
            if self.root.get(urn) is owned and owned is not None:
                container = owned
            else:  # not copied yet: copy on write
                container = dict(self._read_container(urn) or {})
                self._store_extension(urn, container)
                self._owned_extensions[urn] = container
        if key is not None and key != attr.name:
            del container[key]
        if new is None:
            container.pop(attr.name, None)
        else:
            container[attr.name] = new
        self.modified = True
        if attr.multi_valued and attr.is_complex:
            self._written[(urn, attr.name)] = attr
        if urn is None:
            if attr.name == "schemas":
                self.schemas_touched = True
        elif not any(v is not None for v in container.values()):
            self._check_extension_optional(urn)
            self._store_extension(urn, None)

    def _store_extension(self, urn: str, container: dict | None) -> None:
        """Put (or, for ``None``, drop) the extension object and keep ``schemas`` in step."""
        key = self._find_key(self.root, urn, any_case=True)
        if key is not None:
            del self.root[key]
        self._owned_extensions.pop(urn, None)
        if container is not None:
            self.root[urn] = container
        self.modified = True
        schemas_key = self._find_key(self.root, "schemas")
        schemas = self.root.get(schemas_key) if schemas_key is not None else None
        if not isinstance(schemas, list):
            schemas = [] if container is None else [self.rt.schema]
        listed = any(isinstance(s, str) and s.lower() == urn.lower() for s in schemas)
        if container is None and listed:
            schemas = [s for s in schemas if not (isinstance(s, str) and s.lower() == urn.lower())]
        elif container is not None and not listed:
            schemas = [*schemas, urn]
        else:
            return
        if schemas_key is not None and schemas_key != "schemas":
            del self.root[schemas_key]
        self.root["schemas"] = schemas


def _check_characteristics(attr: AttributeDef, old, new, name: str) -> None:
    if attr.mutability == "readOnly":
        raise Mutability(f"attribute {name!r} is readOnly")
    if attr.mutability == "immutable" and is_present(old):
        raise Mutability(f"attribute {name!r} is immutable and already has a value")
    if attr.required and is_present(old) and not is_present(new):
        raise Mutability(f"attribute {name!r} is required and cannot be removed")


def _check_sub_attributes(attr: AttributeDef, old: dict, new: dict, only: AttributeDef | None) -> None:
    for sub in (only,) if only is not None else attr.sub_attributes.values():
        before, after = old.get(sub.name), new.get(sub.name)
        if before != after:
            _check_characteristics(sub, before, after, f"{attr.name}.{sub.name}")


def prefix_detail(exc: ScimError, where: str) -> None:
    """Say where the error happened, at the front of its detail."""
    exc.detail = f"{where}: {exc.detail}"
    exc.args = (exc.detail,)
