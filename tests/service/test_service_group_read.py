"""``GET /Groups/{id}`` (RFC 7644 §3.4.1) with the members as the relation keeps them encoded: the same body as
the group read as a dict, built without a Python object per member (docs/semantics.md §Stores)."""

from __future__ import annotations

from typing import Any

import pytest

from scimcore.store.members import read_encoded, relation_of, whole_members

from .service_helpers import BASE, Client


def _expected(client: Client, gid: str) -> dict[str, Any]:
    group = client.service.stores["Group"].get(gid)
    group["meta"]["location"] = f"{BASE}/Groups/{gid}"
    return group


def test_a_group_read_gives_its_members_as_stored(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    users = [client.user(name) for name in ("ann", "bob", "cy")]
    status, _, team = client.post(
        "/Groups",
        {
            "displayName": "Team",
            "members": [{"value": u["id"], "display": u["userName"], "type": "User"} for u in users],
        },
    )
    assert status == 201, team
    empty = client.group("Empty")
    expected, expected_empty = _expected(client, team["id"]), _expected(client, empty["id"])
    relation = relation_of(client.service.stores["Group"])
    assert relation is not None

    def refused(*_: Any) -> Any:
        raise AssertionError("the members were decoded")

    monkeypatch.setattr(relation.relation, "members", refused)  # the read must not build the members
    status, headers, body = client.get(f"/Groups/{team['id']}")
    assert status == 200 and body == expected
    assert [m["value"] for m in body["members"]] == [u["id"] for u in users]
    assert headers["etag"] == expected["meta"]["version"]
    status, _, body = client.get(f"/Groups/{team['id']}?excludedAttributes=displayName")
    assert status == 200 and "displayName" not in body and body["members"] == expected["members"]
    status, _, body = client.get(f"/Groups/{empty['id']}")
    assert status == 200 and "members" not in body and body == expected_empty
    monkeypatch.undo()
    status, _, body = client.get(f"/Groups/{team['id']}?excludedAttributes=members.display")
    assert status == 200 and body["members"] == [
        {k: v for k, v in m.items() if k != "display"} for m in expected["members"]
    ]
    assert client.get("/Groups/nope")[0] == 404


def test_which_projections_take_the_members_whole() -> None:
    assert whole_members(None, None)
    assert whole_members(None, "displayName")
    assert not whole_members(None, "members.display")
    assert not whole_members(None, "urn:ietf:params:scim:schemas:core:2.0:Group:members.value")
    assert not whole_members("members", None)
    assert read_encoded(object(), "x") is None
