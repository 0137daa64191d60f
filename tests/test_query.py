"""Queries (RFC 7644 §3.4.2-§3.4.3, §3.9; SEMANTICS "Query"): the shared query corpus, projection, sorting and
paging rules, SearchRequest input, and bad parameters."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

import scimcore
from scimcore.query import MAX_RESULTS, project, search

CORPUS = Path(__file__).parent / "corpus"
RESOURCES = [json.loads(p.read_text("utf-8")) for p in sorted((CORPUS / "resources").glob("*.json"))]
QUERY_CASES = json.loads((CORPUS / "query_cases.json").read_text("utf-8"))
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def resources_of(resource_type: str) -> list[dict]:
    return [r for r in RESOURCES if r["meta"]["resourceType"] == resource_type]


def by_id(resource_id: str) -> dict:
    return next(r for r in RESOURCES if r["id"] == resource_id)


def run(case, **extra):
    params = case["params"]
    return search(
        resources_of(case["resource_type"]),
        case["resource_type"],
        filter=params.get("filter"),
        sort_by=params.get("sortBy"),
        sort_order=params.get("sortOrder", "ascending"),
        start_index=params.get("startIndex", 1),
        count=params.get("count"),
        attributes=params.get("attributes"),
        excluded_attributes=params.get("excludedAttributes"),
        **extra,
    )


def check(case, page) -> None:
    expect = case["expect"]
    assert isinstance(page, scimcore.ListResponse)
    assert page.total_results == expect["totalResults"]
    assert page.start_index == expect["startIndex"]
    assert page.items_per_page == expect["itemsPerPage"] == len(page.resources)
    assert [r["id"] for r in page.resources] == expect["ids"]
    if "resources" in expect:
        assert page.resources == expect["resources"]
    for resource in page.resources:
        assert "password" not in resource and "schemas" in resource and "id" in resource


@pytest.mark.parametrize("case", QUERY_CASES, ids=[c["id"] for c in QUERY_CASES])
def test_query_case_keywords(case):
    originals = copy.deepcopy(RESOURCES)
    check(case, run(case))
    assert originals == RESOURCES  # the inputs are never modified


@pytest.mark.parametrize("case", QUERY_CASES, ids=[c["id"] for c in QUERY_CASES])
def test_query_case_search_request(case):
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], **case["params"]}
    pool = resources_of(case["resource_type"])
    check(case, search(pool, case["resource_type"], request=body))
    check(case, search(pool, case["resource_type"], request=scimcore.SearchRequest.from_json(body)))


@pytest.mark.parametrize("case", [c for c in QUERY_CASES if c["resource_type"] == "User"][:12], ids=lambda c: c["id"])
def test_query_case_on_structs(case):
    structs = [scimcore.decode(r, resource_type="User") for r in resources_of("User")]
    params = case["params"]
    page = search(
        structs,
        "User",
        filter=params.get("filter"),
        sort_by=params.get("sortBy"),
        sort_order=params.get("sortOrder", "ascending"),
        start_index=params.get("startIndex", 1),
        count=params.get("count"),
        attributes=params.get("attributes"),
    )
    assert [r["id"] for r in page.resources] == case["expect"]["ids"]
    assert page.total_results == case["expect"]["totalResults"]


# -- projection --------------------------------------------------------------------------------------------


def test_default_projection_drops_only_never_returned():
    full = by_id("2819c223-7f76-453a-919d-413861904646")
    out = project(full)
    assert "password" not in out and "password" in full
    assert {k: v for k, v in full.items() if k != "password"} == out


def test_comma_separated_string_equals_list():
    full = by_id("6c5bb468-14b2-4183-baf2-06d523e03bd3")
    as_list = project(full, attributes=["userName", "name.givenName", f"{ENTERPRISE}:manager"])
    as_text = project(full, attributes=f" userName ,NAME.GIVENNAME,{ENTERPRISE.upper()}:MANAGER ")
    assert (
        as_list
        == as_text
        == {
            "schemas": full["schemas"],
            "id": full["id"],
            "userName": full["userName"],
            "name": {"givenName": "Barbara"},
            ENTERPRISE: {"manager": full[ENTERPRISE]["manager"]},
        }
    )


def test_unqualified_extension_name_and_excluded_extension():
    full = by_id("6c5bb468-14b2-4183-baf2-06d523e03bd3")
    assert project(full, attributes="department")[ENTERPRISE] == {"department": "Tour Operations"}
    excluded = project(full, excluded_attributes=[ENTERPRISE])
    assert ENTERPRISE not in excluded and excluded["userName"] == full["userName"]
    partly = project(full, excluded_attributes=["manager.displayName", "costCenter"])
    assert partly[ENTERPRISE]["manager"] == {
        "value": full[ENTERPRISE]["manager"]["value"],
        "$ref": full[ENTERPRISE]["manager"]["$ref"],
    }
    assert "costCenter" not in partly[ENTERPRISE] and "division" in partly[ENTERPRISE]


def test_returned_request_and_always_on_a_custom_schema():
    reg = scimcore.SchemaRegistry.default()
    urn = "urn:example:params:scim:schemas:extension:q:2.0:User"
    reg.register_schema(
        {
            "id": urn,
            "attributes": [
                {"name": "audit", "returned": "request"},
                {"name": "badge", "returned": "always"},
                {
                    "name": "card",
                    "type": "complex",
                    "subAttributes": [
                        {"name": "number", "returned": "request"},
                        {"name": "holder"},
                        {"name": "pin", "returned": "never"},
                    ],
                },
            ],
        }
    )
    reg.register_extension("User", urn)
    user = {
        "schemas": [USER, urn],
        "id": "1",
        "userName": "u",
        urn: {"audit": "a", "badge": "b", "card": {"number": "42", "holder": "h", "pin": "0000"}},
    }
    assert project(user, registry=reg)[urn] == {"badge": "b", "card": {"holder": "h"}}
    assert project(user, registry=reg, attributes="userName")[urn] == {"badge": "b"}
    assert project(user, registry=reg, attributes="audit,card.number")[urn] == {
        "audit": "a",
        "badge": "b",
        "card": {"number": "42"},
    }
    assert project(user, registry=reg, attributes="card")[urn] == {"badge": "b", "card": {"holder": "h"}}
    assert project(user, registry=reg, excluded_attributes="badge,audit,card.holder")[urn] == {"badge": "b"}
    assert project(user, registry=reg, attributes=urn)[urn] == {"badge": "b", "card": {"holder": "h"}}


def test_schemas_always_present_and_input_untouched():
    user = {"id": "x", "userName": "u", ENTERPRISE: {"department": "D"}}
    snapshot = copy.deepcopy(user)
    out = project(user, attributes="department")
    assert out == {"schemas": [USER, ENTERPRISE], "id": "x", ENTERPRISE: {"department": "D"}}
    assert project(user, attributes="userName")["schemas"] == [USER]
    assert user == snapshot


def test_both_parameters_strict_is_invalid_syntax():
    user = by_id("u-minimal")
    assert project(user, attributes="userName", excluded_attributes="userName")["userName"] == "minimal"
    with pytest.raises(scimcore.InvalidSyntax):
        project(user, attributes="userName", excluded_attributes="userName", policy=scimcore.Policy.STRICT)


@pytest.mark.parametrize("bad", [5, {"userName": True}, ["userName", 3], 'emails[type eq "work"]', "a b", "x.y.z"])
def test_malformed_attribute_names_are_invalid_value(bad):
    with pytest.raises(scimcore.InvalidValue):
        project(by_id("u-minimal"), attributes=bad)


def test_project_struct_and_group():
    struct = scimcore.decode(by_id("u-enterprise"), resource_type="User")
    assert project(struct, attributes="manager.value") == {
        "schemas": [USER, ENTERPRISE],
        "id": "u-enterprise",
        ENTERPRISE: {"manager": {"value": "2819c223-7f76-453a-919d-413861904646"}},
    }
    group = by_id("g-unicode")
    assert project(group, "Group", excluded_attributes="members.display,meta") == {
        "schemas": group["schemas"],
        "id": "g-unicode",
        "displayName": "Équipe Straße",
        "externalId": "EQ-1",
        "members": [{"value": "u-strasse", "type": "User"}, {"value": "g-empty", "type": "Group"}],
    }


# -- sorting and paging -------------------------------------------------------------------------------------


def test_sort_is_stable_by_id_whatever_the_input_order():
    users = resources_of("User")
    forward = search(users, sort_by="title", attributes="id").resources
    backward = search(list(reversed(users)), sort_by="title", attributes="id").resources
    assert forward == backward


def test_no_sort_keeps_input_order():
    users = resources_of("User")
    assert [r["id"] for r in search(list(reversed(users)), attributes="id").resources] == [
        r["id"] for r in reversed(users)
    ]


def test_sort_numbers_and_strict_unknown_sort_by():
    reg = scimcore.SchemaRegistry.default()
    urn = "urn:example:params:scim:schemas:extension:n:2.0:User"
    reg.register_schema({"id": urn, "attributes": [{"name": "rank", "type": "decimal"}]})
    reg.register_extension("User", urn)
    users = [{"id": i, urn: {"rank": v}} for i, v in (("a", 2), ("b", 1.5), ("c", "9"), ("d", 10), ("e", True))]
    page = search(users, sort_by="rank", registry=reg)
    assert [r["id"] for r in page.resources] == ["b", "a", "d", "c", "e"]  # mistyped values sort as missing
    assert [r["id"] for r in search(users, sort_by="nope", registry=reg).resources] == ["a", "b", "c", "d", "e"]
    for bad in ("nope", "password", "name", 'emails[type eq "work"]', ENTERPRISE):
        with pytest.raises(scimcore.InvalidValue):
            search(users, sort_by=bad, registry=reg, policy=scimcore.Policy.STRICT)


def test_max_results_caps_the_page():
    from scimcore.demo import generate_users

    users = generate_users(30, seed=1)
    page = search(users, count=100, max_results=10, sort_by="userName")
    assert (page.total_results, page.items_per_page, len(page.resources)) == (30, 10, 10)
    assert search(users, max_results=7).items_per_page == 7
    assert search(users, max_results=None).items_per_page == 30
    assert MAX_RESULTS >= 100


def test_string_parameters_from_a_query_string():
    users = resources_of("User")
    page = search(users, sort_by="userName", start_index="2", count="3", sort_order="DESCENDING")
    assert (page.start_index, page.items_per_page) == (2, 3)
    assert [r["id"] for r in page.resources] == ["u-primary2", "u-offsets", "u-nulls"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"start_index": "one"},
        {"count": 1.5},
        {"count": True},
        {"start_index": [1]},
        {"sort_by": "userName", "sort_order": "up"},
        {"sort_by": 5},
    ],
)
def test_bad_parameters_are_invalid_value(kwargs):
    with pytest.raises(scimcore.InvalidValue):
        search(resources_of("User"), **kwargs)


@pytest.mark.parametrize(
    "body",
    [
        {"startIndex": "x"},
        {"count": [1]},
        {"filter": 5, "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]},
        {"schemas": ["urn:wrong"]},
        {"sortOrder": "sideways"},
        {"unknownMember": 1},
        "not json",
        b"[1,2]",
    ],
)
def test_bad_search_request_is_a_scim_error(body):
    with pytest.raises(scimcore.ScimError) as raised:
        search(resources_of("User"), request=body)
    assert raised.value.scim_type in ("invalidSyntax", "invalidFilter", "invalidValue")


def test_bad_filter_and_resources():
    with pytest.raises(scimcore.InvalidFilter):
        search(resources_of("User"), filter="password pr")
    with pytest.raises(scimcore.InvalidValue):
        search(5)
    with pytest.raises(scimcore.InvalidValue):
        search([{"id": "a"}, None])


def test_search_with_generator_and_filter_over_demo_users():
    from scimcore.demo import generate_users

    users = generate_users(500, seed=7)
    page = search(
        (u for u in users),
        filter='emails[type eq "work" and value ew "@example.com"] and active eq true',
        sort_by="meta.created",
        sort_order="descending",
        count=20,
        attributes="meta.created",
    )
    created = [scimcore.filter.runtime.instant(r["meta"]["created"]) for r in page.resources]
    assert created == sorted(created, reverse=True) and len(created) == 20
    expected = sum(
        1
        for u in users
        if u["active"] and any(e["type"] == "work" and e["value"].endswith("@example.com") for e in u["emails"])
    )
    assert page.total_results == expected


def test_demo_users_are_deterministic_and_schema_valid():
    from scimcore.demo import generate_users

    first, again, other = generate_users(200, seed=3), generate_users(200, seed=3), generate_users(200, seed=4)
    assert first == again and first != other
    assert len({u["id"] for u in first}) == 200 and len({u["userName"] for u in first}) == 200
    for user in first:
        scimcore.decode(user, resource_type="User", policy=scimcore.Policy.STRICT)
        assert sum(1 for e in user["emails"] if e.get("primary")) <= 1
    offsets = {u["meta"]["created"][19:] for u in first}
    assert "Z" in offsets and len(offsets) > 3
    assert any(ENTERPRISE in u for u in first) and any(ENTERPRISE not in u for u in first)
    assert any(not u["name"]["givenName"].isascii() or not u["name"]["familyName"].isascii() for u in first)
