"""Groups and users agree, on every store (RFC 7643 §4.1.2, §4.2; docs/semantics.md §Protocol)."""

from __future__ import annotations

from typing import Any

from .service_helpers import BASE, Client, patch_op


def _groups(client: Client, user: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(client.get(f"/Users/{user['id']}")[2].get("groups", []), key=lambda g: g["display"])


def test_user_groups_are_derived_direct_and_indirect(client: Client) -> None:
    ann = client.user("ann")
    team = client.group("Team", ann["id"])
    org = client.group("Org", team["id"])
    assert _groups(client, ann) == [
        {"value": org["id"], "$ref": f"{BASE}/Groups/{org['id']}", "display": "Org", "type": "indirect"},
        {"value": team["id"], "$ref": f"{BASE}/Groups/{team['id']}", "display": "Team", "type": "direct"},
    ]


def test_user_groups_are_filterable_and_projectable(client: Client) -> None:
    ann, bob = client.user("ann"), client.user("bob")
    team = client.group("Team", ann["id"])
    body = client.get(f'/Users?filter=groups.value eq "{team["id"]}"&attributes=groups')[2]
    assert [r["id"] for r in body["Resources"]] == [ann["id"]]
    assert body["Resources"][0]["groups"][0]["value"] == team["id"]
    assert "groups" not in client.get(f"/Users/{bob['id']}")[2]


def test_membership_changes_through_put_patch_and_delete(client: Client) -> None:
    ann, bob = client.user("ann"), client.user("bob")
    team = client.group("Team", ann["id"])
    target = f"/Groups/{team['id']}"
    assert client.patch(target, patch_op({"op": "add", "path": "members", "value": [{"value": bob["id"]}]}))[0] == 204
    assert [g["value"] for g in _groups(client, bob)] == [team["id"]]
    op = patch_op({"op": "remove", "path": f'members[value eq "{ann["id"]}"]'})
    assert client.patch(target, op)[0] == 204
    assert _groups(client, ann) == []
    status, _, body = client.put(target, {"displayName": "Team", "members": [{"value": ann["id"]}]})
    assert status == 200, body
    assert [g["value"] for g in _groups(client, ann)] == [team["id"]]
    assert _groups(client, bob) == []
    assert client.delete(target)[0] == 204
    assert _groups(client, ann) == []


def test_renaming_a_group_renames_it_in_every_members_groups(client: Client) -> None:
    ann = client.user("ann")
    team = client.group("Team", ann["id"])
    org = client.group("Org", team["id"])
    client.patch(f"/Groups/{org['id']}", patch_op({"op": "replace", "value": {"id": org["id"], "displayName": "Corp"}}))
    assert [g["display"] for g in _groups(client, ann)] == ["Corp", "Team"]


def test_deleting_a_user_removes_it_from_every_group(client: Client) -> None:
    ann, bob = client.user("ann"), client.user("bob")
    team = client.group("Team", ann["id"], bob["id"])
    other = client.group("Other", ann["id"])
    assert client.delete(f"/Users/{ann['id']}")[0] == 204
    assert [m["value"] for m in client.get(f"/Groups/{team['id']}")[2]["members"]] == [bob["id"]]
    assert "members" not in client.get(f"/Groups/{other['id']}")[2]
    assert client.get(f'/Groups?filter=members.value eq "{ann["id"]}"')[2]["totalResults"] == 0


def test_deleting_a_nested_group_updates_indirect_memberships(client: Client) -> None:
    ann = client.user("ann")
    team = client.group("Team", ann["id"])
    org = client.group("Org", team["id"])
    assert client.delete(f"/Groups/{team['id']}")[0] == 204
    assert _groups(client, ann) == []
    assert "members" not in client.get(f"/Groups/{org['id']}")[2]


def test_member_references_must_exist(client: Client) -> None:
    status, _, body = client.post("/Groups", {"displayName": "Ghosts", "members": [{"value": "nobody"}]})
    assert (status, body["scimType"]) == (400, "invalidValue")
    ann = client.user("ann")
    status, _, body = client.post(
        "/Groups", {"displayName": "Wrong", "members": [{"value": ann["id"], "type": "Group"}]}
    )
    assert (status, body["scimType"]) == (400, "invalidValue")
    team = client.group("Team")
    op = patch_op({"op": "add", "path": "members", "value": [{"value": "nobody"}]})
    status, _, body = client.patch(f"/Groups/{team['id']}", op)
    assert (status, body["scimType"]) == (400, "invalidValue")
    assert "members" not in client.get(f"/Groups/{team['id']}")[2]


def test_member_references_may_be_unchecked(service_factory: Any) -> None:
    client = Client(service_factory(check_members=False))
    assert client.post("/Groups", {"displayName": "Loose", "members": [{"value": "elsewhere"}]})[0] == 201


def test_a_nesting_cycle_is_refused(client: Client) -> None:
    a = client.group("A")
    b = client.group("B", a["id"])
    c = client.group("C", b["id"])
    op = patch_op({"op": "add", "path": "members", "value": [{"value": c["id"]}]})
    status, _, body = client.patch(f"/Groups/{a['id']}", op)
    assert (status, body["scimType"]) == (400, "invalidValue")
    op = patch_op({"op": "add", "path": "members", "value": [{"value": a["id"]}]})
    status, _, body = client.patch(f"/Groups/{a['id']}", op)
    assert (status, body["scimType"]) == (400, "invalidValue")
    status, _, body = client.put(f"/Groups/{a['id']}", {"displayName": "A", "members": [{"value": b["id"]}]})
    assert (status, body["scimType"]) == (400, "invalidValue")


def test_entra_member_removal_by_value(service_factory: Any) -> None:
    """Entra removes a member with ``path: members`` and a value list (PEERS §8.1 E5) under Policy.ENTRA."""
    import scimcore

    client = Client(service_factory(policy=scimcore.Policy.ENTRA))
    ann, bob = client.user("ann"), client.user("bob")
    team = client.group("Team", ann["id"], bob["id"])
    op = patch_op({"op": "Remove", "path": "members", "value": [{"$ref": None, "value": ann["id"]}]})
    assert client.patch(f"/Groups/{team['id']}", op)[0] == 204
    assert [m["value"] for m in client.get(f"/Groups/{team['id']}")[2]["members"]] == [bob["id"]]
    assert _groups(client, ann) == []


def test_concurrent_membership_changes_lose_nothing(client: Client) -> None:
    import threading

    users = [client.user(f"c{i}") for i in range(8)]
    team = client.group("Team")

    def join(user: dict[str, Any]) -> None:
        op = patch_op({"op": "add", "path": "members", "value": [{"value": user["id"]}]})
        assert client.patch(f"/Groups/{team['id']}", op)[0] == 204

    workers = [threading.Thread(target=join, args=(user,)) for user in users]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    members = {m["value"] for m in client.get(f"/Groups/{team['id']}")[2]["members"]}
    assert members == {u["id"] for u in users}
    assert all([g["value"] for g in _groups(client, u)] == [team["id"]] for u in users)
