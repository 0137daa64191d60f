"""Bad input never crashes a store: whatever JSON a client sends to ``add``, ``replace``, ``patch``, ``load`` or
``search``, every store answers with a result or a ``ScimError``, never another exception (docs/semantics.md
§Errors), and what it returns never holds ``password``."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scimcore
from scimcore.store.native import native_module

NAMES = ["id", "meta", "userName", "password", "groups", "emails", "name", "active", "schemas", "title", "x", "ID"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=8))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(NAMES) | st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
resources = st.dictionaries(st.sampled_from(NAMES), values, max_size=6)
operations = st.lists(
    st.fixed_dictionaries(
        {"op": st.sampled_from(["add", "replace", "remove", "ADD", "bogus"])},
        optional={
            "path": st.sampled_from([*NAMES, 'emails[type eq "work"].value', "name.givenName", "]["]),
            "value": values,
        },
    ),
    max_size=3,
)
versions = st.one_of(st.none(), st.just("*"), st.text(max_size=6), st.lists(st.text(max_size=4), max_size=2))


def _stores():
    stores = [scimcore.Directory("User", backend="python"), scimcore.SqlDirectory(sqlite3.connect(":memory:"))]
    if native_module() is not None:
        stores.append(scimcore.Directory("User", backend="native"))
    return stores


STORES = _stores()


def _safely(call):
    try:
        result = call()
    except scimcore.ScimError:
        return None
    for resource in result if isinstance(result, list) else [result] if isinstance(result, dict) else []:
        assert "password" not in resource
    return result


@pytest.mark.parametrize("store", STORES, ids=lambda s: type(s).__name__ + getattr(s, "backend", ""))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=resources, second=resources, patch=operations, version=versions, text=st.text(max_size=12))
def test_bad_input_gives_scim_errors_only(store, first, second, patch, version, text):
    created = _safely(lambda: store.add({**first, "userName": f"u{len(store)}"}))
    _safely(lambda: store.add(first))
    _safely(lambda: store.load([second]))
    if created is not None:
        rid = created["id"]
        _safely(lambda: store.replace(rid, second, version=version))
        _safely(lambda: store.patch(rid, patch, version=version))
        _safely(lambda: store.patch(rid, {"Operations": patch}))
        _safely(lambda: store.get(rid, attributes=text))
        _safely(lambda: store.set_derived(rid, {"groups": second.get("groups")}))
        _safely(lambda: store.delete(rid, version=version))
    _safely(lambda: store.search(filter=text or None, sort_by=text or None, count=len(text)).resources)
