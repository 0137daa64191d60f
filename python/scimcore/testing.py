"""The store contract suite: the cases every ``scimcore.Store`` passes, for a server author's own store too.

Subclass :class:`StoreContract` in a test module and say how to make an empty store::

    from scimcore.testing import StoreContract

    class TestMyStore(StoreContract):                 # collected by pytest (or mix in unittest.TestCase)
        def make_store(self, resource_type):
            return MyStore(resource_type)

Every ``test_*`` method is one case of the contract (``scimcore.Store``, docs/semantics.md §Stores and
§Protocol): identity and ``meta`` assigned by the store, readOnly input ignored, ``returned: never`` attributes
never read out, weak ETags changed by real changes only, conditional writes (If-Match) refused with 412, the
PATCH ``check`` hook, ``set_derived``, honest paging, and threads patching one resource losing nothing. Errors
are compared by status and ``scimType``, and by message when ``exact_messages`` is true (scimcore's own stores
all use the same words; a store of one's own may word them differently and set it false).

The cases use the default schema registry (core ``User`` and ``Group``) and plain ``assert``, so they run under
pytest or unittest alike. The suite needs no test framework at import time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, ClassVar

from .errors import InvalidVersion, NotFound, ScimError, Uniqueness
from .schema.codec import encode

__all__ = ["StoreContract"]

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _raises(kind: type[ScimError], call: Callable[[], Any]) -> ScimError:
    """Run ``call`` and return the ``kind`` error it raises (an ``AssertionError`` when it raises none)."""
    try:
        call()
    except kind as error:
        return error
    raise AssertionError(f"expected {kind.__name__}, nothing was raised")


def _patch(*operations: dict) -> dict:
    return {"schemas": [PATCH_URN], "Operations": list(operations)}


def _user(user_name: str, **more: Any) -> dict:
    return {"schemas": [USER_URN], "userName": user_name, **more}


class StoreContract:
    """The contract cases; subclasses implement :meth:`make_store` (and, optionally, :meth:`store_for_thread`)."""

    exact_messages: ClassVar[bool] = True
    """Compare error messages with scimcore's words, too (false: status and ``scimType`` only)."""
    threads: ClassVar[int] = 4
    rounds: ClassVar[int] = 10

    def make_store(self, resource_type: str) -> Any:
        """A new, empty store of ``resource_type`` (``"User"`` or ``"Group"``)."""
        raise NotImplementedError("a StoreContract subclass says how to make a store: def make_store(...)")

    def store_for_thread(self, store: Any) -> Any:
        """The store a second thread uses to reach the same data (default: the same object)."""
        return store

    def _error(self, error: ScimError, status: int, scim_type: str | None, detail: str) -> None:
        assert (error.status, error.scim_type) == (status, scim_type), (error.status, error.scim_type, error.detail)
        if self.exact_messages:
            assert error.detail == detail, error.detail

    # -- identity and meta --------------------------------------------------------------------------------

    def test_add_assigns_id_and_meta_and_ignores_read_only_input(self) -> None:
        store = self.make_store("User")
        given = _user(
            "bjensen",
            id="admin",
            meta={"created": "2000-01-01T00:00:00Z", "version": 'W/"1"', "location": "https://evil/x"},
            groups=[{"value": "g1", "display": "Admins"}],
        )
        snapshot = repr(given)
        created = store.add(given)
        assert repr(given) == snapshot, "add modified its input"
        assert isinstance(created["id"], str) and created["id"] not in ("", "admin")
        assert "groups" not in created
        meta = created["meta"]
        assert meta["resourceType"] == "User" and meta["created"] == meta["lastModified"]
        assert meta["created"] != "2000-01-01T00:00:00Z" and meta.get("location") != "https://evil/x"
        assert meta["version"].startswith('W/"') and meta["version"] != 'W/"1"'
        assert store.get(created["id"]) == created
        created["userName"] = "changed"  # the caller's copy is the caller's
        assert store.get(created["id"])["userName"] == "bjensen"
        assert len(store) == 1

    def test_ids_are_unique(self) -> None:
        store = self.make_store("User")
        ids = {store.add(_user(f"user{n}"))["id"] for n in range(20)}
        assert len(ids) == 20

    # -- secrets --------------------------------------------------------------------------------------------

    def test_never_returned_attributes_never_leave_the_store(self) -> None:
        store = self.make_store("User")
        created = store.add(_user("bjensen", password="hunter2"))
        rid = created["id"]
        version = created["meta"]["version"]
        replaced = store.replace(rid, _user("bjensen", password="hunter3"), version=version)
        patched = store.patch(rid, _patch({"op": "replace", "path": "password", "value": "hunter4"}))
        reads = [
            created,
            replaced,
            patched,
            store.get(rid),
            store.get(rid, attributes=["password"]),
            store.get(rid, attributes="password,userName"),
            store.get(rid, excluded_attributes=["userName"]),
            *store.search().resources,
            *store.search(filter='userName eq "bjensen"', attributes=["password"]).resources,
            *store.search(sort_by="password").resources,
            *store.search(request={"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}).resources,
        ]
        for read in reads:
            assert "password" not in {key.lower() for key in read}, read
            assert b"hunter" not in encode(read)

    # -- uniqueness and unknown ids ---------------------------------------------------------------------

    def test_user_name_is_unique_case_insensitively(self) -> None:
        store = self.make_store("User")
        first = store.add(_user("bjensen"))
        error = _raises(Uniqueness, lambda: store.add(_user("BJENSEN")))
        self._error(error, 409, "uniqueness", 'userName "BJENSEN" is already taken by another resource')
        other = store.add(_user("someone"))
        error = _raises(Uniqueness, lambda: store.replace(other["id"], _user("BJensen")))
        self._error(error, 409, "uniqueness", 'userName "BJensen" is already taken by another resource')
        error = _raises(
            Uniqueness,
            lambda: store.patch(other["id"], _patch({"op": "replace", "path": "userName", "value": "bJensen"})),
        )
        self._error(error, 409, "uniqueness", 'userName "bJensen" is already taken by another resource')
        assert store.get(other["id"])["userName"] == "someone" and len(store) == 2
        store.replace(first["id"], _user("BJENSEN"))  # its own value in another case: no conflict

    def test_unknown_ids_are_not_found(self) -> None:
        store = self.make_store("User")
        store.add(_user("bjensen"))
        calls: list[Callable[[], Any]] = [
            lambda: store.get("nope"),
            lambda: store.replace("nope", _user("x")),
            lambda: store.patch("nope", _patch({"op": "replace", "path": "title", "value": "x"})),
            lambda: store.delete("nope"),
            lambda: store.set_derived("nope", {"groups": []}),
        ]
        for call in calls:
            self._error(_raises(NotFound, call), 404, None, 'resource "nope" not found')
        assert len(store) == 1

    # -- replace ----------------------------------------------------------------------------------------------

    def test_replace_keeps_read_only_values_and_clears_what_it_omits(self) -> None:
        store = self.make_store("User")
        created = store.add(_user("bjensen", title="Guide", displayName="Babs"))
        rid = created["id"]
        store.set_derived(rid, {"groups": [{"value": "g1", "display": "Admins", "type": "direct"}]})
        before = store.get(rid)
        body = _user("bjensen", id="other", displayName="Barbara", meta={"created": "2000-01-01T00:00:00Z"}, groups=[])
        replaced = store.replace(rid, body)
        assert replaced["id"] == rid and replaced["displayName"] == "Barbara" and "title" not in replaced
        assert replaced["groups"] == before["groups"]
        assert replaced["meta"]["created"] == created["meta"]["created"]
        assert replaced["meta"]["version"] != before["meta"]["version"]
        assert store.get(rid) == replaced
        same = store.replace(rid, _user("bjensen", displayName="Barbara"))
        assert same["meta"]["version"] == replaced["meta"]["version"], "a replace that changes nothing kept no ETag"

    # -- versions and conditional writes --------------------------------------------------------------

    def test_conditional_writes(self) -> None:
        store = self.make_store("User")
        created = store.add(_user("bjensen"))
        rid, first = created["id"], created["meta"]["version"]
        second = store.replace(rid, _user("bjensen", title="a"), version=first)["meta"]["version"]
        assert second != first
        stale: list[tuple[Callable[[], Any], str]] = [
            (lambda: store.replace(rid, _user("bjensen", title="b"), version=first), first),
            (lambda: store.patch(rid, _patch({"op": "replace", "path": "title", "value": "b"}), version=first), first),
            (lambda: store.delete(rid, version=first), first),
            (lambda: store.delete(rid, version=[first, 'W/"0"']), f'{first}, W/"0"'),
        ]
        for call, shown in stale:
            error = _raises(InvalidVersion, call)
            self._error(error, 412, None, f'resource "{rid}" is at version {second}, not {shown}')
        assert store.get(rid)["title"] == "a"
        third = store.patch(rid, _patch({"op": "replace", "path": "title", "value": "b"}), version=[first, second])
        fourth = store.replace(rid, _user("bjensen", title="c"), version="*")
        assert len({first, second, third["meta"]["version"], fourth["meta"]["version"]}) == 4
        store.delete(rid, version=fourth["meta"]["version"])
        assert len(store) == 0

    def test_patch_that_changes_nothing_keeps_the_version(self) -> None:
        store = self.make_store("User")
        created = store.add(_user("bjensen", title="Guide"))
        same = store.patch(created["id"], _patch({"op": "replace", "path": "title", "value": "Guide"}))
        assert same == created
        assert store.get(created["id"])["meta"]["version"] == created["meta"]["version"]

    def test_patch_check_hook_sees_the_new_resource_and_may_refuse_it(self) -> None:
        store = self.make_store("User")
        created = store.add(_user("bjensen", title="Guide"))
        seen: list[dict] = []

        def refuse(resource: dict) -> None:
            seen.append(resource)
            raise ScimError("titles are fixed here", status=400, scim_type="mutability")

        change = _patch({"op": "replace", "path": "title", "value": "Boss"})
        error = _raises(ScimError, lambda: store.patch(created["id"], change, check=refuse))
        self._error(error, 400, "mutability", "titles are fixed here")
        assert seen and seen[0]["title"] == "Boss" and seen[0]["id"] == created["id"]
        assert store.get(created["id"]) == created, "a refused patch was written"
        patched = store.patch(created["id"], change, check=lambda resource: None)
        assert patched["title"] == "Boss" and patched["meta"]["version"] != created["meta"]["version"]

    # -- derived attributes -----------------------------------------------------------------------------------

    def test_set_derived_stores_searchable_read_only_values(self) -> None:
        store = self.make_store("User")
        created = store.add(_user("bjensen"))
        rid = created["id"]
        groups = [{"value": "g1", "display": "Admins", "type": "direct"}]
        store.set_derived(rid, {"groups": groups})
        after = store.get(rid)
        assert after["groups"] == groups and after["meta"]["version"] != created["meta"]["version"]
        assert [r["id"] for r in store.search(filter='groups.value eq "g1"').resources] == [rid]
        assert store.search(filter='groups.display eq "admins"').total_results == 1
        store.set_derived(rid, {"groups": groups})
        assert store.get(rid)["meta"]["version"] == after["meta"]["version"], "an unchanged value renewed the ETag"
        patched = store.patch(rid, _patch({"op": "replace", "path": "displayName", "value": "Babs"}))
        assert patched["groups"] == groups
        store.set_derived(rid, {"groups": []})
        assert "groups" not in store.get(rid) and store.search(filter="groups pr").total_results == 0

    # -- search ---------------------------------------------------------------------------------------------

    def test_paging_is_honest(self) -> None:
        store = self.make_store("User")
        for n in range(12):
            store.add(_user(f"user{n:02d}", title="t"))
        page = store.search(sort_by="userName", start_index=4, count=5)
        assert (page.total_results, page.start_index, page.items_per_page) == (12, 4, 5)
        assert [r["userName"] for r in page.resources] == [f"user{n:02d}" for n in range(3, 8)]
        assert store.search(count=0).items_per_page == 0 and store.search(count=0).total_results == 12
        everything = store.search()
        cap = getattr(store, "max_results", None)
        assert everything.total_results == 12
        assert everything.items_per_page == (12 if cap is None else min(12, cap))

    def test_projection_drops_an_extension_with_its_urn(self) -> None:
        store = self.make_store("User")
        created = store.add(
            {"schemas": [USER_URN, ENTERPRISE_URN], "userName": "bjensen", ENTERPRISE_URN: {"employeeNumber": "7"}}
        )
        assert ENTERPRISE_URN in created["schemas"]
        only = store.get(created["id"], attributes="userName")
        assert ENTERPRISE_URN not in only and only["schemas"] == [USER_URN]

    # -- concurrency ------------------------------------------------------------------------------------------

    def test_threads_patching_one_resource_with_if_match_lose_nothing(self) -> None:
        store = self.make_store("User")
        rid = store.add(_user("counter", title="0"))["id"]
        errors: list[Exception] = []

        def worker(n: int) -> None:
            mine = self.store_for_thread(store)
            try:
                for i in range(self.rounds):
                    while True:  # read-modify-write of a counter, the ETag as If-Match; 412: read again
                        seen = mine.get(rid)
                        change = _patch({"op": "replace", "path": "title", "value": str(int(seen["title"]) + 1)})
                        try:
                            mine.patch(rid, change, version=seen["meta"]["version"])
                            break
                        except InvalidVersion:
                            continue
                    # an unconditional patch: the store retries a lost race by itself
                    mine.patch(
                        rid, _patch({"op": "add", "path": "emails", "value": [{"value": f"t{n}-{i}@x.example"}]})
                    )
            except Exception as error:
                errors.append(error)

        workers = [threading.Thread(target=worker, args=(n,)) for n in range(self.threads)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
        assert not errors, errors
        final = store.get(rid)
        assert final["title"] == str(self.threads * self.rounds)
        assert len(final["emails"]) == self.threads * self.rounds
