"""Schemaless evaluation (``resource_type=None``): the lowering of bound filters whose paths are unresolved.

Without a schema, names match in any case, absent attributes have no value, and types come from the JSON
values (docs/semantics.md §Evaluation): the comparison's type is the literal's (:mod:`.bind`), a list is
flattened one level, and an object compared without a sub-attribute contributes its ``value`` member. The
generated predicate (:mod:`.codegen`) calls these functions with the path and tests what they return as it
tests any value.
"""

from __future__ import annotations

from .bind import Unresolved

__all__ = ["elements", "lookup", "raw", "values"]


def lookup(container, name: str):
    """``container[name]`` with the name matched case-insensitively; ``None`` when absent or not an object."""
    if type(container) is not dict:
        return None
    value = container.get(name)
    if value is not None or name in container:
        return value
    folded = name.casefold()
    for key, item in container.items():
        if type(key) is str and key.casefold() == folded:
            return item
    return None


def _scope(resource, uri: str | None):
    """The object a URN-qualified name lives in: the extension object keyed by the URN, else the resource."""
    if uri is None:
        return resource
    extension = lookup(resource, uri)
    return extension if type(extension) is dict else resource


def raw(resource, path: Unresolved):
    """The raw value at ``[uri:]name[.sub]``: for a sub-attribute of a list of objects, the list of values."""
    value = lookup(_scope(resource, path.uri), path.name)
    if path.sub is None:
        return value
    if type(value) is list:
        return [lookup(item, path.sub) for item in value if type(item) is dict]
    return lookup(value, path.sub)


def values(resource, path: Unresolved) -> list:
    """The scalar values a comparison on ``path`` looks at (lists flattened one level; an object's ``value``)."""
    found = raw(resource, path)
    items = found if type(found) is list else (found,)
    out: list = []
    for item in items:
        if type(item) is dict:
            item = lookup(item, "value")
        if type(item) is list:
            out.extend(x for x in item if type(x) is not dict and type(x) is not list)
        elif item is not None:
            out.append(item)
    return out


def elements(resource, path: Unresolved) -> list:
    """The objects a value path ``[uri:]name[...]`` tests: the elements of a list, or a single object."""
    value = lookup(_scope(resource, path.uri), path.name)
    if type(value) is dict:
        return [value]
    if type(value) is list:
        return [item for item in value if type(item) is dict]
    return []
