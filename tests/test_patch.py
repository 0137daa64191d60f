"""apply_patch beyond the data corpus: message shapes, atomicity, copy-on-write, Structs, policies, registries,
error details (RFC 7644 §3.5.2; docs/semantics.md §PATCH and §Policies)."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import msgspec
import pytest

import scimcore
from scimcore import Policy
from scimcore.patch import PatchResult, apply_patch
from scimcore.schema.messages import PatchOperation

CORPUS = Path(__file__).parent / "corpus"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def fixture(name: str) -> dict:
    own = CORPUS / "patch" / f"{name}.json"
    path = own if own.exists() else CORPUS / "resources" / f"{name}.json"
    return json.loads(path.read_text("utf-8"))


@pytest.fixture
def user() -> dict:
    return fixture("user-rfc7643-8.2")


@pytest.fixture
def group() -> dict:
    return fixture("group-rfc7643-8.4")


REPLACE_NICK = [{"op": "replace", "path": "nickName", "value": "Barbie"}]


# -- message shapes (RFC 7644 §3.5.2) ---------------------------------------------------------------------


@pytest.mark.parametrize("shape", ["list", "dict", "bytes", "str", "struct", "lowercase-key"])
def test_message_shapes(user, shape):
    message = {"schemas": [PATCH_OP], "Operations": REPLACE_NICK}
    patch = {
        "list": REPLACE_NICK,
        "dict": message,
        "bytes": msgspec.json.encode(message),
        "str": json.dumps(message),
        "struct": scimcore.PatchOp(operations=[PatchOperation(op="replace", path="nickName", value="Barbie")]),
        "lowercase-key": {"schemas": [PATCH_OP], "operations": REPLACE_NICK},
    }[shape]
    assert apply_patch(user, patch)["nickName"] == "Barbie"


@pytest.mark.parametrize(
    "patch",
    [
        b"{not json",
        "[",
        42,
        None,
        {"schemas": [PATCH_OP]},
        {"schemas": [PATCH_OP], "Operations": {"op": "add"}},
        {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "Operations": REPLACE_NICK},
        {"schemas": "nope", "Operations": REPLACE_NICK},
        [["add"]],
        [{"path": "nickName", "value": "x"}],
        [{"op": 3, "path": "nickName", "value": "x"}],
        [{"op": "test", "path": "nickName", "value": "x"}],
        [{"op": "move", "from": "nickName", "path": "title"}],
    ],
    ids=repr,
)
def test_malformed_messages_are_invalid_syntax(user, patch):
    with pytest.raises(scimcore.InvalidSyntax):
        apply_patch(user, patch)


def test_message_strictness_follows_the_policy(user):
    bare = {"Operations": REPLACE_NICK}
    assert apply_patch(user, bare)["nickName"] == "Barbie"
    with pytest.raises(scimcore.InvalidSyntax):
        apply_patch(user, bare, policy=Policy.STRICT)
    with pytest.raises(scimcore.InvalidSyntax):
        apply_patch(user, {"schemas": [PATCH_OP], "operations": REPLACE_NICK}, policy=Policy.STRICT)
    with pytest.raises(scimcore.InvalidSyntax):
        apply_patch(user, [{"OP": "replace", "path": "nickName", "value": "x"}], policy=Policy.STRICT)
    assert apply_patch(user, [{"OP": "Replace", "Path": "nickName", "Value": "x"}])["nickName"] == "x"


def test_path_must_be_a_string(user):
    with pytest.raises(scimcore.InvalidPath):
        apply_patch(user, [{"op": "replace", "path": ["nickName"], "value": "x"}])


def test_path_null_is_no_path(user):
    assert apply_patch(user, [{"op": "replace", "path": None, "value": {"nickName": "x"}}])["nickName"] == "x"


def test_bad_arguments_are_scim_errors(user):
    with pytest.raises(scimcore.InvalidValue):
        apply_patch(["not", "a", "resource"], REPLACE_NICK)
    with pytest.raises(scimcore.ScimError):
        apply_patch(user, REPLACE_NICK, policy="entra")
    with pytest.raises(scimcore.ScimError) as caught:
        apply_patch(user, REPLACE_NICK, resource_type="Printer")
    assert caught.value.status == 404
    with pytest.raises(scimcore.ScimError):
        apply_patch(user, REPLACE_NICK, registry={"User": "nope"})


def test_a_request_may_not_leave_two_primaries(user):
    dirty = dict(user, emails=[dict(e, primary=True) for e in user["emails"]])
    with pytest.raises(scimcore.InvalidValue):
        apply_patch(dirty, [{"op": "add", "path": "emails", "value": [{"value": "z@example.com"}]}])
    assert apply_patch(dirty, [{"op": "replace", "path": "nickName", "value": "x"}])["nickName"] == "x"
    fixed = apply_patch(dirty, [{"op": "replace", "path": 'emails[type eq "home"].primary', "value": True}])
    assert [e.get("primary") for e in fixed["emails"]] == [False, True]


# -- atomicity and copy-on-write ---------------------------------------------------------------------------

ATOMIC_PREFIX = [
    {"op": "replace", "path": 'emails[type eq "work"].value', "value": "changed@example.com"},
    {"op": "add", "value": {"name.givenName": "X", f"{ENT}:employeeNumber": "1"}},
    {"op": "remove", "path": 'addresses[type eq "home"]'},
    {"op": "replace", "path": "phoneNumbers", "value": [{"value": "1"}]},
    {"op": "add", "path": "emails", "value": [{"value": "p@example.com", "primary": True}]},
]


@pytest.mark.parametrize(
    "failing",
    [
        {"op": "remove", "path": "userName"},  # mutability
        {"op": "replace", "path": 'emails[type eq "other"].value', "value": "x"},  # noTarget
        {"op": "replace", "path": "emails[type eq].value", "value": "x"},  # invalidFilter
        {"op": "add", "path": "bogus", "value": 1},  # invalidPath
        {"op": "replace", "path": "active", "value": "maybe"},  # invalidValue
        {"op": "remove"},  # noTarget
        {"op": "jump", "path": "active"},  # invalidSyntax
    ],
    ids=lambda o: json.dumps(o),
)
def test_a_failing_last_operation_leaves_the_input_unchanged(user, failing):
    before = msgspec.json.encode(user)
    snapshot = copy.deepcopy(user)
    assert apply_patch(user, ATOMIC_PREFIX) != user  # the prefix alone succeeds and changes things
    with pytest.raises(scimcore.ScimError):
        apply_patch(user, [*ATOMIC_PREFIX, failing])
    assert msgspec.json.encode(user) == before
    assert user == snapshot


def test_the_input_is_never_modified_and_changed_containers_are_copies(user):
    before = msgspec.json.encode(user)
    emails, name = user["emails"], user["name"]
    new = apply_patch(user, ATOMIC_PREFIX)
    assert msgspec.json.encode(user) == before
    assert new is not user and new["emails"] is not emails and new["name"] is not name
    new["emails"][0]["value"] = "mutated"
    new["name"]["givenName"] = "mutated"
    assert msgspec.json.encode(user) == before
    assert new["ims"] is user["ims"]  # unchanged values are shared, not copied


def test_the_result_does_not_alias_the_patch_value(user):
    value = [{"value": "new@example.com", "type": "other"}]
    name = {"givenName": "Alias"}
    new = apply_patch(
        user, [{"op": "add", "path": "emails", "value": value}, {"op": "replace", "path": "name", "value": name}]
    )
    value[0]["value"] = "mutated"
    name["givenName"] = "mutated"
    assert new["emails"][-1]["value"] == "new@example.com"
    assert new["name"]["givenName"] == "Alias"


def test_report_says_whether_anything_changed(user):
    result = apply_patch(user, REPLACE_NICK, report=True)
    assert isinstance(result, PatchResult) and result.changed and result.resource["nickName"] == "Barbie"
    same = apply_patch(user, [{"op": "replace", "path": "nickName", "value": "Babs"}], report=True)
    assert same.changed is False and same.resource == user and same.resource is not user
    new, changed = apply_patch(user, [{"op": "add", "path": "title", "value": None}], report=True)
    assert changed is False and new == user


def test_structs_in_structs_out(user, group):
    struct = scimcore.decode(user, resource_type="User")
    before = msgspec.json.encode(struct)
    new = apply_patch(
        struct,
        [
            {"op": "replace", "path": "name.givenName", "value": "Struct"},
            {"op": "add", "path": f"{ENT}:employeeNumber", "value": "7"},
        ],
    )
    assert type(new) is scimcore.User
    assert new.name.given_name == "Struct" and new.enterprise_user.employee_number == "7"
    assert msgspec.json.encode(struct) == before and struct.name.given_name == "Barbara"
    group_struct = scimcore.decode(group, resource_type="Group")
    new_group = apply_patch(
        group_struct, [{"op": "remove", "path": 'members[display eq "Babs Jensen"]'}], resource_type="Group"
    )
    assert type(new_group) is scimcore.Group
    assert [m.display for m in new_group.members] == ["Mandy Pepperidge"]
    result = apply_patch(
        group_struct,
        [{"op": "replace", "path": "displayName", "value": "Tour Guides"}],
        resource_type="Group",
        report=True,
    )
    assert result.changed is False and type(result.resource) is scimcore.Group


# -- error details name the operation ----------------------------------------------------------------------


def test_error_detail_names_the_operation(user):
    with pytest.raises(scimcore.NoTarget) as caught:
        apply_patch(user, [REPLACE_NICK[0], {"op": "Replace", "path": 'emails[type eq "other"].value', "value": "x"}])
    assert caught.value.detail.startswith("Operations[1] (replace 'emails[type eq \"other\"].value'): ")
    assert caught.value.to_error().scim_type == "noTarget"
    with pytest.raises(scimcore.InvalidPath) as caught:
        apply_patch(user, [{"op": "add", "value": {"nickName": "x", "shoeSize": 44}}])
    assert caught.value.detail.startswith("Operations[0] (add (no path)): value key 'shoeSize': ")


def test_filter_syntax_error_keeps_its_position(user):
    with pytest.raises(scimcore.InvalidFilter) as caught:
        apply_patch(user, [{"op": "replace", "path": "emails[type eq].value", "value": "x"}])
    assert caught.value.position == len("emails[type eq")
    with pytest.raises(scimcore.InvalidPath) as caught:
        apply_patch(user, [{"op": "replace", "path": 'emails[value eq "]"]x', "value": "x"}])
    assert caught.value.position == len('emails[value eq "]"]')


# -- policies ---------------------------------------------------------------------------------------------


def test_policies_are_named_fields():
    assert (
        dataclasses.replace(Policy(), upsert_filtered=True, remove_by_value=True, bare_string_complex=True)
        == Policy.ENTRA
    )
    assert not any(
        getattr(Policy.STRICT, f.name) for f in dataclasses.fields(Policy) if f.name not in ("check_canonical_values",)
    )
    assert Policy().remove_missing_is_noop and not Policy().upsert_filtered


def test_each_entra_tolerance_switches_on_alone():
    minimal = fixture("user-minimal")
    upsert = [{"op": "replace", "path": 'emails[type eq "work"].value', "value": "a@example.com"}]
    assert apply_patch(minimal, upsert, policy=Policy(upsert_filtered=True))["emails"] == [
        {"type": "work", "value": "a@example.com"}
    ]
    entra_group = fixture("group-entra")
    by_value = [{"op": "remove", "path": "members", "value": [{"value": "f648f8d5ea4e4cd38e9c"}]}]
    with pytest.raises(scimcore.InvalidValue):
        apply_patch(entra_group, by_value, resource_type="Group", policy=Policy(upsert_filtered=True))
    kept = apply_patch(entra_group, by_value, resource_type="Group", policy=Policy(remove_by_value=True))
    assert [m["value"] for m in kept["members"]] == ["a1b2c3d4e5f6a7b8c9d0", "0099887766554433aabb"]
    manager = [{"op": "add", "path": f"{ENT}:manager", "value": "271"}]
    assert apply_patch(minimal, manager, policy=Policy(bare_string_complex=True))[ENT] == {"manager": {"value": "271"}}


def test_null_ref_matching_without_the_tolerance():
    entra_group = fixture("group-entra")
    policy = Policy(remove_by_value=True, ignore_null_ref=False)
    with_ref = [{"op": "remove", "path": "members", "value": [{"$ref": None, "value": "a1b2c3d4e5f6a7b8c9d0"}]}]
    result = apply_patch(entra_group, with_ref, resource_type="Group", policy=policy, report=True)
    assert result.changed is False  # "$ref": null only matches members without a $ref
    without_ref = [{"op": "remove", "path": "members", "value": [{"$ref": None, "value": "f648f8d5ea4e4cd38e9c"}]}]
    new = apply_patch(entra_group, without_ref, resource_type="Group", policy=policy)
    assert "f648f8d5ea4e4cd38e9c" not in [m["value"] for m in new["members"]]


def test_remove_by_value_on_a_simple_multi_valued_attribute(user):
    with_ent = apply_patch(user, [{"op": "add", "path": "schemas", "value": [ENT]}])
    new = apply_patch(with_ent, [{"op": "remove", "path": "schemas", "value": [ENT.upper()]}], policy=Policy.ENTRA)
    assert new["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:User"]


def test_extension_keys_match_any_case_and_are_rewritten_canonically(user):
    resource = dict(user, schemas=[*user["schemas"], ENT.lower()], **{ENT.lower(): {"employeeNumber": "1"}})
    new = apply_patch(resource, [{"op": "replace", "path": f"{ENT}:employeeNumber", "value": "2"}])
    assert new[ENT] == {"employeeNumber": "2"} and ENT.lower() not in new
    gone = apply_patch(resource, [{"op": "remove", "path": f"{ENT}:employeeNumber"}])
    assert ENT not in gone and ENT.lower() not in gone
    assert [s.lower() for s in gone["schemas"]] == ["urn:ietf:params:scim:schemas:core:2.0:user"]


def test_foreign_malformed_resources_are_invalid_value():
    broken = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "x",
        "emails": "a@b.c",
        "name": "Just A String",
        ENT: "nope",
    }
    for operation in (
        {"op": "add", "path": "emails", "value": [{"value": "x@example.com"}]},
        {"op": "replace", "path": "name.givenName", "value": "x"},
        {"op": "add", "path": f"{ENT}:employeeNumber", "value": "1"},
    ):
        with pytest.raises(scimcore.InvalidValue):
            apply_patch(broken, [operation])
    # a replace does not need the old value
    assert apply_patch(broken, [{"op": "replace", "path": "emails", "value": [{"value": "x@example.com"}]}])[
        "emails"
    ] == [{"value": "x@example.com"}]


# -- registries ---------------------------------------------------------------------------------------------

BADGE = "urn:example:params:scim:schemas:extension:badge:2.0:User"
BADGE_SCHEMA = {
    "id": BADGE,
    "name": "Badge",
    "attributes": [
        {"name": "badgeId", "type": "string", "required": True, "mutability": "immutable"},
        {"name": "floors", "type": "integer", "multiValued": True},
        {"name": "issued", "type": "dateTime"},
    ],
}


def test_custom_extension_in_own_registry(user):
    registry = scimcore.SchemaRegistry.default()
    with pytest.raises(scimcore.InvalidPath):
        apply_patch(user, [{"op": "add", "path": f"{BADGE}:floors", "value": [1]}], registry=registry)
    registry.register_schema(BADGE_SCHEMA)
    registry.register_extension("User", BADGE, required=False)
    new = apply_patch(
        user,
        [
            {"op": "add", "value": {f"{BADGE}:badgeId": "B-1", f"{BADGE}:floors": [3, 4]}},
            {"op": "add", "path": f"{BADGE}:floors", "value": [4, 5]},
        ],
        registry=registry,
    )
    assert new[BADGE] == {"badgeId": "B-1", "floors": [3, 4, 5]} and BADGE in new["schemas"]
    with pytest.raises(scimcore.Mutability):  # immutable with a value
        apply_patch(new, [{"op": "replace", "path": f"{BADGE}:badgeId", "value": "B-2"}], registry=registry)
    with pytest.raises(scimcore.Mutability):  # required
        apply_patch(new, [{"op": "remove", "path": f"{BADGE}:badgeId"}], registry=registry)
    with pytest.raises(scimcore.InvalidValue):
        apply_patch(new, [{"op": "add", "path": f"{BADGE}:floors", "value": ["three"]}], registry=registry)
    with pytest.raises(scimcore.InvalidValue):
        apply_patch(new, [{"op": "add", "path": f"{BADGE}:issued", "value": "yesterday"}], registry=registry)
    with pytest.raises(scimcore.InvalidPath):  # the default registry does not know the extension
        apply_patch(new, [{"op": "remove", "path": f"{BADGE}:floors"}])


def test_required_extension_cannot_go(user):
    registry = scimcore.SchemaRegistry.default()
    registry.register_schema(BADGE_SCHEMA)
    registry.register_extension("User", BADGE, required=True)
    badged = dict(user, schemas=[*user["schemas"], BADGE], **{BADGE: {"badgeId": "B-1", "floors": [1]}})
    for operation in ({"op": "remove", "path": BADGE}, {"op": "replace", "path": BADGE, "value": None}):
        with pytest.raises(scimcore.Mutability):
            apply_patch(badged, [operation], registry=registry)
    assert apply_patch(badged, [{"op": "remove", "path": f"{BADGE}:floors"}], registry=registry)[BADGE] == {
        "badgeId": "B-1"
    }


def test_simple_multi_valued_filter(user):
    registry = scimcore.SchemaRegistry.default()
    registry.register_schema(BADGE_SCHEMA)
    registry.register_extension("User", BADGE)
    badged = apply_patch(user, [{"op": "add", "path": f"{BADGE}:floors", "value": [1, 2, 3, 10]}], registry=registry)
    new = apply_patch(badged, [{"op": "remove", "path": f"{BADGE}:floors[value ge 3]"}], registry=registry)
    assert new[BADGE]["floors"] == [1, 2]
    new = apply_patch(
        badged, [{"op": "replace", "path": f"{BADGE}:floors[value eq 2]", "value": 20}], registry=registry
    )
    assert new[BADGE]["floors"] == [1, 20, 3, 10]


def test_resolution_follows_registry_changes(user):
    registry = scimcore.SchemaRegistry.default()
    path = [{"op": "add", "path": f"{BADGE}:floors", "value": [1]}]
    with pytest.raises(scimcore.InvalidPath):
        apply_patch(user, path, registry=registry)
    registry.register_schema(BADGE_SCHEMA)
    registry.register_extension("User", BADGE)
    assert apply_patch(user, path, registry=registry)[BADGE] == {"floors": [1]}


def test_patch_text_that_is_no_unicode_is_invalid_syntax():
    """A PATCH body given as text with a lone surrogate is malformed, not a crash (RFC 7644 §3.12)."""
    with pytest.raises(scimcore.InvalidSyntax):
        scimcore.apply_patch({"userName": "a"}, '{"Operations": [{"op": "add", "value": {"title": "\ud800"}}]}')
