"""Validation in decode/normalize (RFC 7643 §2-§3): errors, policy tolerances, hostile input, both code paths."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import msgspec
import pytest

import scimcore
from scimcore.schema import codec
from scimcore.schema.wire import MAX_DOCUMENT_BYTES

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def user(**extra) -> dict:
    return {"schemas": [USER], "userName": "bjensen", **extra}


def both_inputs(document):
    """The same document as a dict and as JSON bytes (decode takes different first steps for each)."""
    return [document, json.dumps(document).encode()]


@pytest.mark.parametrize(
    "document,message",
    [
        (user(active="yes"), "active"),
        (user(active=1), "active"),
        (user(userName=5), "userName"),
        (user(emails={"value": "x"}), "multi-valued"),
        (user(emails=["x@example.com"]), "complex"),
        (user(name="Babs"), "complex"),
        ({"schemas": [USER]}, "userName"),
        (user(userName=""), "userName"),
        (user(emails=[{"value": "a", "primary": True}, {"value": "b", "primary": True}]), "primary"),
        (user(emails=[{"value": "a", "type": "office"}]), "work, home, other"),
        (user(meta={"created": "yesterday"}), "dateTime"),
        (user(meta={"created": "2011-05-13"}), "dateTime"),
        (user(nickname="x", nickName="y"), "twice"),
        (user(shoeSize=42), "shoeSize"),
        (user(**{"urn:example:unknown:1.0:User": {"a": 1}}), "not a schema extension"),
        (user(**{ENTERPRISE: {"employeeNumber": 7}}), "employeeNumber"),
        (user(**{ENTERPRISE: {"badge": "7"}}), "badge"),
        (user(**{ENTERPRISE: "701984"}), "JSON object"),
        ({"schemas": [ENTERPRISE], "userName": "x"}, "base schema"),
        ({"schemas": [USER, "urn:example:unknown:1.0:User"], "userName": "x"}, "not a schema"),
        ({"schemas": "urn:ietf:params:scim:schemas:core:2.0:User", "userName": "x"}, "schemas"),
    ],
)
def test_invalid_value(document, message):
    for data in both_inputs(document):
        with pytest.raises(scimcore.InvalidValue, match=message) as info:
            scimcore.decode(data)
        assert info.value.status == 400 and info.value.scim_type == "invalidValue"
    with pytest.raises(scimcore.InvalidValue):
        scimcore.normalize(document)


@pytest.mark.parametrize(
    "data",
    [
        b"{",
        b"",
        b"[1, 2",
        b"{'userName': 'x'}",
        '{"userName": tru}',
        b"\xff\xfe{}",
        b'{"userName": "\xc3\x28"}',
        b"null",
        b"[]",
        b"42",
    ],
)
def test_invalid_syntax(data):
    with pytest.raises(scimcore.InvalidSyntax) as info:
        scimcore.decode(data)
    assert info.value.status == 400 and info.value.scim_type == "invalidSyntax"
    assert info.value.to_error().scim_type == "invalidSyntax"


def test_error_message_of_a_failure():
    with pytest.raises(scimcore.ScimError) as info:
        scimcore.decode(user(active="maybe"))
    body = json.loads(scimcore.encode(info.value.to_error()))
    assert body == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": "400",
        "scimType": "invalidValue",
        "detail": info.value.detail,
    }


# -- policy tolerances --------------------------------------------------------------------------------------


def test_default_policy_tolerances():
    document = {
        "Schemas": [USER.upper()],
        "UserName": "bjensen",
        "ACTIVE": "True",
        "Emails": [{"Value": "b@example.com", "Primary": "False", "TYPE": "Work"}],
        ENTERPRISE.lower(): {"EmployeeNumber": "1", "manager": {"VALUE": "42"}},
    }
    original = copy.deepcopy(document)
    for data in both_inputs(document):
        u = scimcore.decode(data)
        assert u.user_name == "bjensen" and u.active is True
        assert u.emails[0].primary is False and u.emails[0].type == "Work"
        assert u.enterprise_user.manager.value == "42"
        assert u.schemas == [USER, ENTERPRISE]
    assert scimcore.normalize(document) == {
        "schemas": [USER, ENTERPRISE],
        "userName": "bjensen",
        "active": True,
        "emails": [{"value": "b@example.com", "primary": False, "type": "Work"}],
        ENTERPRISE: {"employeeNumber": "1", "manager": {"value": "42"}},
    }
    assert document == original  # never mutated


def test_strict_policy_refuses_the_tolerances():
    strict = scimcore.Policy.STRICT
    with pytest.raises(scimcore.InvalidValue, match="UserName"):
        scimcore.decode({"schemas": [USER], "UserName": "x"}, policy=strict)
    with pytest.raises(scimcore.InvalidValue, match="active"):
        scimcore.decode(user(active="True"), policy=strict)
    with pytest.raises(scimcore.InvalidValue, match="Primary"):
        scimcore.decode(user(emails=[{"value": "a", "Primary": True}]), policy=strict)
    assert scimcore.decode(user(active=True), policy=strict).active is True


def test_canonical_values_can_be_switched_off():
    lenient = scimcore.Policy(check_canonical_values=False)
    assert scimcore.decode(user(emails=[{"value": "a", "type": "office"}]), policy=lenient).emails[0].type == "office"


def test_unassigned_values_are_dropped():
    document = user(
        displayName=None, emails=[], phoneNumbers=[None], name={}, addresses=[{}], **{ENTERPRISE: {"manager": None}}
    )
    assert scimcore.normalize(document) == {"schemas": [USER], "userName": "bjensen"}
    for data in both_inputs(document):
        u = scimcore.decode(data)
        assert (u.emails, u.name, u.addresses, u.phone_numbers, u.enterprise_user) == (None,) * 5
    assert scimcore.encode(scimcore.decode(document)) == b'{"schemas":["%s"],"userName":"bjensen"}' % USER.encode()


def test_absent_schemas_means_the_base_schema():
    document = {"userName": "bjensen", ENTERPRISE: {"department": "Tours"}}
    assert scimcore.normalize(document)["schemas"] == [USER, ENTERPRISE]
    for data in both_inputs(document):
        assert scimcore.decode(data).schemas == [USER, ENTERPRISE]


def test_extension_urn_added_to_schemas():
    document = user(**{ENTERPRISE: {"department": "Tours"}})
    assert scimcore.normalize(document)["schemas"] == [USER, ENTERPRISE]
    for data in both_inputs(document):
        assert scimcore.decode(data).schemas == [USER, ENTERPRISE]


def test_required_extension():
    registry = scimcore.SchemaRegistry.default()
    registry.register_extension("User", ENTERPRISE, required=True)
    with pytest.raises(scimcore.InvalidValue, match="required extension"):
        scimcore.decode(user(), registry=registry)
    assert scimcore.decode(user(**{ENTERPRISE: {"department": "x"}}), registry=registry).enterprise_user
    scimcore.decode(user())  # the default registry is unchanged


def test_paths_agree_on_a_sample_of_documents():
    """The direct msgspec path and the general schema walk give equal Structs, and both reject the same."""
    default = codec._DEFAULT_POLICY
    plan = codec._plan(scimcore.registry, "User", default)
    documents = [
        user(),
        user(emails=[{"value": "a", "type": "home", "primary": True}, {"value": "b", "primary": False}]),
        user(
            name={"givenName": "B"},
            meta={"created": "2011-05-13T04:42:34", "lastModified": "2011-05-13T04:42:34+02:00"},
        ),
        user(emails=[{"value": "a", "primary": True}, {"value": "b", "primary": True}]),
        user(emails=[{"value": "a", "type": "pager"}]),
        user(userName=""),
        user(**{ENTERPRISE: {}}),
        user(groups=[{"value": "g", "$ref": "../Groups/g", "type": "direct"}], x509Certificates=[{"value": "TUlJ"}]),
    ]
    for document in documents:
        try:
            expected = codec._build(plan, codec._normalize(plan, document, default))
        except scimcore.ScimError as exc:
            expected = type(exc)
        try:
            direct = plan.direct(msgspec.convert(document, scimcore.User))
        except codec._Fallback:
            direct = codec._Fallback
        assert direct is codec._Fallback or direct == expected, document
        try:
            got = scimcore.decode(document)
        except scimcore.ScimError as exc:
            got = type(exc)
        assert got == expected


def test_offsetless_datetime_is_utc_on_both_paths():
    direct = scimcore.decode(user(meta={"created": "2011-05-13T04:42:34"}))
    general = scimcore.decode({"schemas": [USER], "UserName": "bjensen", "meta": {"created": "2011-05-13T04:42:34"}})
    assert direct == general
    assert direct.meta.created.utcoffset().total_seconds() == 0


# -- hostile input ------------------------------------------------------------------------------------------


def test_deeply_nested_array():
    deep = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(scimcore.InvalidSyntax):
        scimcore.decode(deep)
    nested_value = b'{"schemas":["%s"],"userName":"x","title":%s}' % (USER.encode(), b"[" * 5000 + b"]" * 5000)
    with pytest.raises(scimcore.ScimError):
        scimcore.decode(nested_value)


def test_deeply_nested_dict_input():
    value: list = []
    for _ in range(100_000):
        value = [value]
    with pytest.raises(scimcore.InvalidValue):
        scimcore.decode(user(title=value))
    with pytest.raises(scimcore.InvalidValue):
        scimcore.decode(user(**{ENTERPRISE: {"manager": {"value": value}}}))


def test_oversized_document_is_refused_before_parsing():
    huge = b'{"schemas":["%s"],"userName":"%s"}' % (USER.encode(), b"x" * (50 * 1024 * 1024))
    with pytest.raises(scimcore.TooMany, match="maximum"):
        scimcore.decode(huge)
    with pytest.raises(scimcore.TooMany):
        scimcore.decode(huge.decode())
    small = json.dumps(user(title="x" * 100)).encode()
    with pytest.raises(scimcore.TooMany):
        scimcore.decode(small, max_bytes=50)
    assert len(huge) > MAX_DOCUMENT_BYTES


def test_unknown_urns_and_strange_keys():
    with pytest.raises(scimcore.InvalidValue):
        scimcore.decode(user(**{"urn:" + "x:" * 10_000: {}}))
    with pytest.raises(scimcore.InvalidValue):
        scimcore.decode({1: "x", "schemas": [USER], "userName": "y"})
    with pytest.raises(scimcore.InvalidValue):
        scimcore.decode(user(extensions={ENTERPRISE: {"department": "x"}}))
    with pytest.raises(scimcore.ScimError):
        scimcore.decode(user(), resource_type="urn:nothing")
    with pytest.raises(scimcore.ScimError):
        scimcore.decode(user(), resource_type=["User"])
    with pytest.raises(scimcore.ScimError):
        scimcore.decode(object())


def test_lone_surrogates_and_nul():
    assert scimcore.decode(json.dumps(user(title="a\u0000b"))).title == "a\u0000b"
    with pytest.raises(scimcore.ScimError):
        scimcore.decode('{"schemas":["' + USER + '"],"userName":"\ud800"}')


# -- import cost -------------------------------------------------------------------------------------------


def test_import_builds_nothing():
    """``import scimcore`` builds no schema, decoder or grammar (what it costs: ``benches/bench_import.py``)."""
    code = (
        "import sys, scimcore; print([m for m in ('scimcore.schema.default', 'scimcore.schema.codec', 'lark', "
        "'msgspec', 'scimcore.filter.lark_parser') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("bad", ["\ud800", {"\ud800": 1}, {"userName": object()}], ids=["surrogate", "key", "object"])
def test_encode_of_something_that_is_no_json_is_invalid_value(bad):
    with pytest.raises(scimcore.InvalidValue):
        scimcore.encode(bad)
