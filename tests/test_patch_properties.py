"""Property-based PATCH tests (hypothesis): random operation sequences never raise anything but ScimError, never
modify the input, and the reported ``changed`` agrees with the result (RFC 7644 §3.5.2 atomicity)."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

import scimcore
from scimcore import Policy

CORPUS = Path(__file__).parent / "corpus"
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def _fixture(name: str) -> dict:
    own = CORPUS / "patch" / f"{name}.json"
    path = own if own.exists() else CORPUS / "resources" / f"{name}.json"
    return json.loads(path.read_text("utf-8"))


USERS = [
    _fixture(n)
    for n in (
        "user-rfc7643-8.2",
        "user-enterprise",
        "user-minimal",
        "user-nulls",
        "user-empty",
        "user-foreign-case",
        "user-two-work-phones",
        "user-primary2",
    )
]
GROUPS = [_fixture(n) for n in ("group-rfc7643-8.4", "group-entra", "group-empty", "group-nomembers")]

PATHS = [
    "userName",
    "nickName",
    "NICKNAME",
    "title",
    "active",
    "displayName",
    "id",
    "meta",
    "meta.version",
    "schemas",
    "externalId",
    "password",
    "name",
    "name.givenName",
    "name.familyName",
    "emails",
    "emails.value",
    'emails[type eq "work"]',
    'emails[type eq "work"].value',
    'emails[type eq "home"].primary',
    "emails[primary eq true]",
    'emails[value co "example"].display',
    'emails[type eq "work" and value pr]',
    'phoneNumbers[type eq "work"].value',
    "phoneNumbers",
    'addresses[type eq "work"].streetAddress',
    'addresses[not (type eq "home")]',
    "roles",
    'roles[value eq "Writer"]',
    "groups",
    "x509Certificates",
    ENT,
    f"{ENT}:employeeNumber",
    f"{ENT}:manager",
    f"{ENT}:manager.value",
    f"{ENT}:manager.displayName",
    "costCenter",
    "members",
    'members[value eq "f648f8d5ea4e4cd38e9c"]',
    'members[value eq "2819c223-7f76-453a-919d-413861904646"].display',
    "members.value",
    'schemas[value eq "urn:ietf:params:scim:schemas:core:2.0:User"]',
    f'schemas[value eq "{ENT}"]',
    "emails[type eq]",
    "emails[",
    "na me",
    "bogus",
    "urn:x:y:z",
    "emails[kind eq 1]",
    "emails[primary gt true]",
    'name[givenName eq "x"].familyName',
    'emails.value[type eq "work"]',
    "",
    "[",
    "]",
    '"',
    "members[a[b eq 1]]",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        [
            "",
            "work",
            "home",
            "True",
            "false",
            "x@example.com",
            "271",
            "f648f8d5ea4e4cd38e9c",
            ENT,
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "2011-05-13T04:42:34Z",
        ]
    ),
    st.text(max_size=8),
)
KEYS = [
    "value",
    "type",
    "primary",
    "display",
    "$ref",
    "givenName",
    "familyName",
    "Value",
    "TYPE",
    "active",
    "name.givenName",
    f"{ENT}:employeeNumber",
    ENT,
    "id",
    "meta",
    "schemas",
    "emails",
    "nickName",
    "bogus",
    "manager",
    "employeeNumber",
]
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)),
    max_leaves=10,
)
random_operations = st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "remove", "replace", "Add", "REPLACE", "Remove", "copy"])},
    optional={"path": st.one_of(st.sampled_from(PATHS), st.text(max_size=12)), "value": json_values},
)
# well-formed operations that mostly succeed, so that sequences get to change things
SENSIBLE = [
    ("replace", "nickName", st.sampled_from(["Babs", "B", None])),
    ("add", "title", st.sampled_from(["Guide", None])),
    ("replace", "active", st.sampled_from([True, False, "False"])),
    ("remove", "title", st.none()),
    (
        "add",
        "emails",
        st.lists(
            st.fixed_dictionaries(
                {"value": st.sampled_from(["a@example.com", "b@example.com", "bjensen@example.com"])},
                optional={"type": st.sampled_from(["work", "home"]), "primary": st.booleans()},
            ),
            max_size=2,
        ),
    ),
    ("replace", 'emails[type eq "work"].value', st.sampled_from(["w@example.com", "x@example.com"])),
    ("replace", 'emails[type eq "home"].primary', st.booleans()),
    ("remove", 'emails[type eq "home"]', st.none()),
    (
        "replace",
        'emails[value ew "example.com"]',
        st.fixed_dictionaries({"value": st.just("r@example.com")}, optional={"primary": st.booleans()}),
    ),
    (
        "add",
        None,
        st.fixed_dictionaries(
            {},
            optional={
                "name.givenName": st.sampled_from(["G", "H"]),
                "nickName": st.just("N"),
                "id": st.just("echo"),
                f"{ENT}:employeeNumber": st.sampled_from(["1", "2"]),
            },
        ),
    ),
    (
        "replace",
        "name",
        st.fixed_dictionaries({}, optional={"givenName": st.sampled_from(["A", None]), "familyName": st.just("F")}),
    ),
    ("remove", "name.givenName", st.none()),
    ("add", f"{ENT}:manager", st.sampled_from(["271", {"value": "272"}])),
    ("remove", f"{ENT}:employeeNumber", st.none()),
    ("remove", ENT, st.none()),
    ("replace", 'phoneNumbers[type eq "work"].display', st.just("Office")),
    (
        "add",
        "members",
        st.lists(
            st.fixed_dictionaries(
                {"value": st.sampled_from(["m1", "m2", "f648f8d5ea4e4cd38e9c"])}, optional={"$ref": st.none()}
            ),
            max_size=2,
        ),
    ),
    ("remove", 'members[value eq "m1"]', st.none()),
    (
        "remove",
        "members",
        st.lists(st.fixed_dictionaries({"value": st.sampled_from(["m1", "f648f8d5ea4e4cd38e9c"])}), max_size=2),
    ),
    ("replace", "displayName", st.sampled_from(["Renamed", None])),
]


def _sensible(op, path, values):
    base = {"op": st.sampled_from([op, op.capitalize()])}
    if path is not None:
        base["path"] = st.just(path)
    return st.fixed_dictionaries({**base, "value": values})


sensible_operations = st.one_of(*[_sensible(*entry) for entry in SENSIBLE])
operations = st.one_of(sensible_operations, sensible_operations, sensible_operations, random_operations)
boolean_fields = [f.name for f in dataclasses.fields(Policy)]
policies = st.one_of(
    st.sampled_from([Policy(), Policy.STRICT, Policy.ENTRA]),
    st.sampled_from([Policy(), Policy.STRICT, Policy.ENTRA]),
    st.builds(
        lambda flags: Policy(**dict(zip(boolean_fields, flags, strict=True))),
        st.lists(st.booleans(), min_size=len(boolean_fields), max_size=len(boolean_fields)),
    ),
)
patches = st.one_of(
    st.lists(operations, max_size=5),
    st.lists(operations, max_size=5).map(
        lambda ops: {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops}
    ),
)


def _check(resource: dict, patch, resource_type: str, policy: Policy) -> None:
    before = msgspec.json.encode(resource)
    snapshot = copy.deepcopy(resource)
    try:
        result = scimcore.apply_patch(resource, patch, resource_type=resource_type, policy=policy, report=True)
    except scimcore.ScimError as exc:
        assert isinstance(exc.detail, str) and exc.status in (400, 404)
        result = None
    assert msgspec.json.encode(resource) == before
    assert resource == snapshot
    if result is not None:
        assert isinstance(result.resource, dict) and result.resource is not resource
        assert result.changed == (result.resource != resource)
        # applying to an independent copy gives the same result: nothing depends on shared state
        again = scimcore.apply_patch(snapshot, patch, resource_type=resource_type, policy=policy)
        assert again == result.resource
        msgspec.json.encode(result.resource)  # still JSON


SETTINGS = settings(max_examples=settings.default.max_examples * 4)


@SETTINGS
@given(resource=st.sampled_from(USERS), patch=patches, policy=policies)
def test_random_user_patches(resource, patch, policy):
    _check(resource, patch, "User", policy)


@SETTINGS
@given(resource=st.sampled_from(GROUPS), patch=patches, policy=policies)
def test_random_group_patches(resource, patch, policy):
    _check(resource, patch, "Group", policy)


@settings(max_examples=settings.default.max_examples * 2)
@given(resource=st.dictionaries(st.sampled_from(KEYS), json_values, max_size=6), patch=patches, policy=policies)
def test_random_patches_on_malformed_resources(resource, patch, policy):
    _check(resource, patch, "User", policy)
