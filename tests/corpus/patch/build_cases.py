"""Build ``tests/corpus/patch_cases.json``: PATCH cases as data, for every backend (RFC 7644 §3.5.2).

Each case: ``{"id", "source", "resource_type", "resource", "policy", "operations", "expect" | "error",
"changed"}``. ``resource`` names a fixture (``tests/corpus/patch/<name>.json``, else
``tests/corpus/resources/<name>.json``); ``policy`` is ``default``, ``strict`` or ``entra``; ``expect`` is the
whole resulting resource, ``error`` the expected ``scimType``; ``changed`` says whether the result differs.

The expected resources are written here by hand, as edits of a deep copy of the fixture (the way a reader of
the RFC would apply the request), never by running scimcore. Run ``python tests/corpus/patch/build_cases.py``
after editing; ``tests/test_patch_corpus.py`` checks that the JSON file is up to date.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent
OUTPUT = CORPUS / "patch_cases.json"

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
BABS = "2819c223-7f76-453a-919d-413861904646"
MANDY = "902c246b-6245-4190-8e05-00816be7344a"
JAMES = "08e1d05d-121c-4561-8b96-473d93df9210"

U = "user-rfc7643-8.2"
G = "group-rfc7643-8.4"
UE = "user-enterprise"
UMIN = "user-minimal"
GNONE = "group-nomembers"
UFOREIGN = "user-foreign-case"
UPHONES = "user-two-work-phones"
GENTRA = "group-entra"

CASES: list[dict] = []


def fixture(name: str) -> dict:
    own = HERE / f"{name}.json"
    path = own if own.exists() else CORPUS / "resources" / f"{name}.json"
    return json.loads(path.read_text("utf-8"))


def case(cid, resource, operations, *, source, edit=None, error=None, policy="default", rt=None):
    """Add a case; ``edit(d)`` changes a deep copy of the fixture into the expected result."""
    base = fixture(resource)
    entry = {
        "id": cid,
        "source": source,
        "resource_type": rt or ("Group" if resource.startswith("group") else "User"),
        "resource": resource,
        "policy": policy,
        "operations": operations,
    }
    if error is not None:
        entry["error"] = error
    else:
        expected = copy.deepcopy(base)
        if edit is not None:
            edit(expected)
        entry["expect"] = expected
        entry["changed"] = expected != base
    CASES.append(entry)


def op(name, path=None, value=..., **extra):
    out = {"op": name}
    if path is not None:
        out["path"] = path
    if value is not ...:
        out["value"] = value
    out.update(extra)
    return out


def member(value, display=None, ref=None):
    out = {"value": value}
    if ref is not None:
        out["$ref"] = ref
    if display is not None:
        out["display"] = display
    return out


def element(items, **match):
    """The first element of ``items`` whose keys have the given values."""
    return next(e for e in items if all(e.get(k) == v for k, v in match.items()))


# ---------------------------------------------------------------------------------------------------------
# RFC 7644 §3.5.2 examples, against the RFC 7643 §8.2 User and §8.4 Group
# ---------------------------------------------------------------------------------------------------------

BABS_REF_ELIDED = "https://example.com/v2/Users/2819c223...413861904646"
JAMES_REF_ELIDED = "https://example.com/v2/Users/08e1d05d...473d93df9210"
RFC = {
    p["id"]: p["json"]["Operations"]
    for p in json.loads((HERE.parent / "rfc7644-examples.json").read_text("utf-8"))["patch_requests"]
}

case(
    "rfc7644-3.5.2.1-add-member-already-present",
    G,
    RFC["add-member"],
    source="RFC 7644 §3.5.2.1: a member already present is not added again, success, no change",
)


def _add_babs(d):
    d["members"] = [{"display": "Babs Jensen", "$ref": BABS_REF_ELIDED, "value": BABS}]


case(
    "rfc7644-3.5.2.1-add-member",
    GNONE,
    RFC["add-member"],
    source="RFC 7644 §3.5.2.1 add-member: the member is added",
    edit=_add_babs,
)

case(
    "rfc7644-3.5.2.1-add-no-path-already-present",
    U,
    RFC["add-no-path"],
    source="RFC 7644 §3.5.2.1 add without path: the email is present and nickName already Babs",
)


def _add_no_path(d):
    d["emails"] = [{"value": "babs@jensen.org", "type": "home"}]
    d["nickName"] = "Babs"


case(
    "rfc7644-3.5.2.1-add-no-path",
    UMIN,
    RFC["add-no-path"],
    source="RFC 7644 §3.5.2.1 add without path: 'nickname' matches nickName case-insensitively",
    edit=_add_no_path,
)

case(
    "rfc7644-3.5.2.2-remove-member-as-printed",
    G,
    RFC["remove-member"],
    source="RFC 7644 §3.5.2.2: the elided id matches no member: success, no change",
)


def _remove_babs(d):
    d["members"] = [m for m in d["members"] if m["value"] != BABS]


case(
    "rfc7644-3.5.2.2-remove-member",
    G,
    [op("remove", f'members[value eq "{BABS}"]')],
    source="RFC 7644 §3.5.2.2 remove-member, with the id written out",
    edit=_remove_babs,
)

case(
    "rfc7644-3.5.2.2-remove-member-no-space",
    G,
    [op("remove", f'members[value eq"{BABS}"]')],
    source="RFC 7644 §3.5.2.2: the printed path lacks the space before the string",
    edit=_remove_babs,
)

case(
    "rfc7644-3.5.2.2-remove-all-members",
    G,
    RFC["remove-all-members"],
    source="RFC 7644 §3.5.2.2 remove-all-members",
    edit=lambda d: d.pop("members"),
)


def _remove_work_email(d):
    d["emails"] = [e for e in d["emails"] if e["type"] != "work"]


case(
    "rfc7644-3.5.2.2-remove-complex-mv-value",
    U,
    RFC["remove-complex-mv-value"],
    source="RFC 7644 §3.5.2.2: one element satisfies the whole bracket",
    edit=_remove_work_email,
)

JAMES_ELIDED = {"display": "James Smith", "$ref": JAMES_REF_ELIDED, "value": "08e1d05d...473d93df9210"}


case(
    "rfc7644-3.5.2.2-remove-and-add-member-as-printed",
    G,
    RFC["remove-and-add-member"],
    source="RFC 7644 §3.5.2.2: the elided remove matches nothing; James is added",
    edit=lambda d: d["members"].append(dict(JAMES_ELIDED)),
)


def _swap_babs_james(d):
    _remove_babs(d)
    d["members"].append({"display": "James Smith", "$ref": JAMES_REF_ELIDED, "value": JAMES})


case(
    "rfc7644-3.5.2.2-remove-and-add-member",
    G,
    [
        op("remove", f'members[value eq "{BABS}"]'),
        op("add", "members", [{"display": "James Smith", "$ref": JAMES_REF_ELIDED, "value": JAMES}]),
    ],
    source="RFC 7644 §3.5.2.2: sequential operations, with the ids written out",
    edit=_swap_babs_james,
)


def _babs_and_james(d):
    d["members"] = [
        {"display": "Babs Jensen", "$ref": BABS_REF_ELIDED, "value": BABS},
        {"display": "James Smith", "$ref": JAMES_REF_ELIDED, "value": JAMES},
    ]


case(
    "rfc7644-3.5.2.2-replace-members-via-remove-add",
    G,
    RFC["replace-members-via-remove-add"],
    source="RFC 7644 §3.5.2.2: remove all, then add two",
    edit=_babs_and_james,
)


def _babs_and_james_elided(d):
    d["members"] = [
        {"display": "Babs Jensen", "$ref": BABS_REF_ELIDED, "value": "2819c223...413861904646"},
        dict(JAMES_ELIDED),
    ]


case(
    "rfc7644-3.5.2.3-replace-members",
    G,
    RFC["replace-members"],
    source="RFC 7644 §3.5.2.3: a multi-valued attribute without filter is replaced whole",
    edit=_babs_and_james_elided,
)

WORK_ADDRESS = RFC["replace-work-address"][0]["value"]


def _replace_work_address(d):
    d["addresses"] = [dict(WORK_ADDRESS) if a["type"] == "work" else a for a in d["addresses"]]


case(
    "rfc7644-3.5.2.3-replace-work-address",
    U,
    RFC["replace-work-address"],
    source="RFC 7644 §3.5.2.3: the matching element is replaced; the home address had no primary, keeps none",
    edit=_replace_work_address,
)


def _street(d):
    element(d["addresses"], type="work")["streetAddress"] = "1010 Broadway Ave"


case(
    "rfc7644-3.5.2.3-replace-street-address", U, RFC["replace-street-address"], source="RFC 7644 §3.5.2.3", edit=_street
)

case(
    "rfc7644-3.5.2.3-replace-no-path-same-values",
    U,
    RFC["replace-no-path"],
    source="RFC 7644 §3.5.2.3 replace without path: the §8.2 User already holds these values: unchanged",
)


def _replace_no_path(d):
    d["emails"] = [
        {"value": "bjensen@example.com", "type": "work", "primary": True},
        {"value": "babs@jensen.org", "type": "home"},
    ]
    d["nickName"] = "Babs"


case(
    "rfc7644-3.5.2.3-replace-no-path",
    UMIN,
    RFC["replace-no-path"],
    source="RFC 7644 §3.5.2.3 replace without path",
    edit=_replace_no_path,
)


def _address_primary_moves(d):
    d["addresses"][0]["primary"] = False
    d["addresses"][1] = dict(WORK_ADDRESS, type="home")


case(
    "rfc7644-3.5.2.3-replace-address-primary-moves",
    U,
    [op("replace", 'addresses[type eq "home"]', dict(WORK_ADDRESS, type="home"))],
    source="RFC 7644 §3.5.2.3: the replaced element is primary: the other address gets primary false",
    edit=_address_primary_moves,
)


def _bulk_patch(d):
    d.pop("nickName")
    d["userName"] = "Dave"


case(
    "rfc7644-3.7.3-bulk-patch-data",
    U,
    [op("remove", "nickName"), op("add", "userName", "Dave")],
    source="RFC 7644 §3.7.3: the PATCH inside the bulk example (its intended data)",
    edit=_bulk_patch,
)

case(
    "rfc7644-3.5.2-fig8-displayname-path",
    G,
    [op("replace", f'members[value eq "{BABS}"].displayName', "B")],
    source="RFC 7644 Figure 8: members has no displayName sub-attribute",
    error="invalidPath",
)

# ---------------------------------------------------------------------------------------------------------
# add (docs/semantics.md §PATCH)
# ---------------------------------------------------------------------------------------------------------

case(
    "add-simple-absent",
    UMIN,
    [op("add", "title", "Guide")],
    source="add creates an absent attribute",
    edit=lambda d: d.update(title="Guide"),
)
case(
    "add-simple-present-replaces",
    U,
    [op("add", "title", "Chief")],
    source="RFC 7644 §3.5.2.1: add on a set single value replaces it (Entra E3)",
    edit=lambda d: d.update(title="Chief"),
)


def _merge_name(d):
    d["name"]["givenName"] = "Barb"
    d["name"]["middleName"] = "J"


case(
    "add-complex-merge",
    U,
    [op("add", "name", {"givenName": "Barb", "middleName": "J"})],
    source="docs/semantics.md §PATCH: add to a complex attribute merges sub-attributes",
    edit=_merge_name,
)
case(
    "add-sub-creates-parent",
    UMIN,
    [op("add", "name.givenName", "Min")],
    source="add name.givenName creates name",
    edit=lambda d: d.update(name={"givenName": "Min"}),
)
case(
    "add-mv-append",
    U,
    [op("add", "emails", [{"value": "babs@work.example.com", "type": "other"}])],
    source="RFC 7644 §3.5.2.1: values are appended",
    edit=lambda d: d["emails"].append({"value": "babs@work.example.com", "type": "other"}),
)
case(
    "add-mv-duplicate-case-insensitive",
    U,
    [op("add", "emails", [{"value": "BJensen@Example.COM", "type": "Work", "primary": True}])],
    source="docs/semantics.md §PATCH: the same value (emails.value is not caseExact) is not added twice",
)
case(
    "add-mv-single-object-wrapped",
    UMIN,
    [op("add", "emails", {"value": "m@example.com", "type": "work"})],
    source="add of one object to a multi-valued attribute appends it",
    edit=lambda d: d.update(emails=[{"value": "m@example.com", "type": "work"}]),
)
case(
    "add-members-dedupe-on-value",
    G,
    [op("add", "members", [{"value": BABS, "display": "Barbara"}])],
    source="docs/semantics.md §PATCH: members are the same when their value is (members.value is immutable)",
)
case("add-null-noop", U, [op("add", "title", None)], source="docs/semantics.md §PATCH: add null is a no-op")
case("add-empty-list-noop", U, [op("add", "emails", [])], source="docs/semantics.md §PATCH: add [] is a no-op")
case(
    "add-primary-resets-others",
    U,
    [op("add", "emails", [{"value": "babs@new.example.com", "type": "other", "primary": True}])],
    source="RFC 7644 §3.5.2: the new primary wins, the old primary gets primary: false",
    edit=lambda d: (
        d["emails"][0].update(primary=False),
        d["emails"].append({"value": "babs@new.example.com", "type": "other", "primary": True}),
    ),
)
case(
    "add-two-primaries",
    U,
    [op("add", "emails", [{"value": "a@example.com", "primary": True}, {"value": "b@example.com", "primary": True}])],
    source="docs/semantics.md §PATCH: two primaries in one request",
    error="invalidValue",
)
case(
    "add-filter-without-sub",
    U,
    [op("add", 'emails[type eq "work"]', {"value": "x@example.com"})],
    source="docs/semantics.md §PATCH: add to attr[filter] without a sub-attribute",
    error="invalidPath",
)
case(
    "add-mv-sub-without-filter",
    U,
    [op("add", "emails.display", "x")],
    source="docs/semantics.md §PATCH: a sub-attribute of a multi-valued attribute needs a filter",
    error="invalidPath",
)
case(
    "add-filter-sub-match",
    U,
    [op("add", 'emails[type eq "work"].display', "Work mail")],
    source="docs/semantics.md §PATCH: add attr[filter].sub sets sub on the matches",
    edit=lambda d: element(d["emails"], type="work").update(display="Work mail"),
)
case(
    "add-filter-sub-no-match",
    U,
    [op("add", 'emails[type eq "other"].value', "o@example.com")],
    source="docs/semantics.md §PATCH with the default policy: no match is noTarget",
    error="noTarget",
)
case("add-type-mismatch-boolean", U, [op("add", "active", "yes")], source="value type check", error="invalidValue")
case(
    "add-type-mismatch-string",
    U,
    [op("add", "emails", [{"value": 5}])],
    source="value type check",
    error="invalidValue",
)
case(
    "add-not-canonical",
    U,
    [op("add", "emails", [{"value": "x@example.com", "type": "untyped"}])],
    source="canonicalValues are checked (check_canonical_values)",
    error="invalidValue",
)
case(
    "add-unknown-sub-attribute",
    U,
    [op("add", "name", {"nickName": "x"})],
    source="name has no nickName",
    error="invalidValue",
)
case("add-unknown-attribute", U, [op("add", "shoeSize", 42)], source="unknown path", error="invalidPath")
case("add-read-only", U, [op("add", "groups", [{"value": "g1"}])], source="groups is readOnly", error="mutability")
case("add-read-only-id", U, [op("add", "id", "other")], source="id is readOnly", error="mutability")
case(
    "add-read-only-meta-sub", U, [op("replace", "meta.version", 'W/"1"')], source="meta is readOnly", error="mutability"
)
case(
    "add-case-insensitive-path",
    U,
    [op("add", "NAME.GIVENNAME", "B")],
    source="RFC 7643 §2.1: attribute names in paths are case-insensitive",
    edit=lambda d: d["name"].update(givenName="B"),
)


def _ent_employee(d):
    d["schemas"] = [USER, ENT]
    d[ENT] = {"employeeNumber": "701984"}


case(
    "add-extension-attribute-adds-urn",
    U,
    [op("add", f"{ENT}:employeeNumber", "701984")],
    source="RFC 7644 §3.5.2: adding an extension attribute adds its URN to schemas",
    edit=_ent_employee,
)
case(
    "add-extension-object-path",
    U,
    [op("add", ENT, {"employeeNumber": "701984"})],
    source="a bare extension URN names the whole extension object",
    edit=_ent_employee,
)
case(
    "add-no-path-extension-object",
    U,
    [op("add", value={ENT: {"employeeNumber": "701984"}})],
    source="RFC 7644 §3.5.2: a path-less key that is an extension URN takes an object",
    edit=_ent_employee,
)
case(
    "add-no-path-urn-qualified-key",
    U,
    [op("add", value={f"{ENT}:employeeNumber": "701984"})],
    source="docs/semantics.md §Policies: URN-qualified key in a path-less value",
    edit=_ent_employee,
)
case(
    "add-no-path-urn-qualified-key-strict",
    U,
    [op("add", value={f"{ENT}:employeeNumber": "701984"})],
    source="RFC 7644 §3.5.2 allows URN-qualified names: also under strict",
    policy="strict",
    edit=_ent_employee,
)
case(
    "add-no-path-not-object",
    U,
    [op("add", value=["x"])],
    source="a path-less value must be an object",
    error="invalidValue",
)
case("add-without-value", U, [op("add", "title")], source="add MUST carry a value", error="invalidValue")


def _members_added(d):
    d["members"] = [{"value": BABS}, {"value": MANDY, "display": "Mandy"}]


case(
    "add-immutable-sub-on-new-elements",
    GNONE,
    [op("add", "members", [{"value": BABS}, {"value": MANDY, "display": "Mandy"}])],
    source="members.value is immutable: new elements may set it",
    edit=_members_added,
)

# ---------------------------------------------------------------------------------------------------------
# replace (docs/semantics.md §PATCH)
# ---------------------------------------------------------------------------------------------------------

case(
    "replace-mv-all",
    U,
    [op("replace", "phoneNumbers", [{"value": "555-0000", "type": "work"}])],
    source="RFC 7644 §3.5.2.3: all values replaced",
    edit=lambda d: d.update(phoneNumbers=[{"value": "555-0000", "type": "work"}]),
)
case(
    "replace-filter-wholesale",
    U,
    [op("replace", 'emails[type eq "work"]', {"value": "w@example.com", "type": "work"})],
    source="docs/semantics.md §PATCH: a matching element is replaced wholesale (its primary goes)",
    edit=lambda d: d["emails"].__setitem__(0, {"value": "w@example.com", "type": "work"}),
)


def _both_work_phones(d):
    for p in d["phoneNumbers"]:
        if p["type"] == "work":
            p["display"] = "Office"


case(
    "replace-filter-sub-all-matches",
    UPHONES,
    [op("replace", 'phoneNumbers[type eq "work"].display', "Office")],
    source="RFC 7644 §3.5.2.3: the sub-attribute of all matching records",
    edit=_both_work_phones,
)
case(
    "replace-filter-no-match",
    U,
    [op("replace", 'emails[type eq "other"].value', "x@example.com")],
    source="docs/semantics.md §PATCH: no match is noTarget",
    error="noTarget",
)
case(
    "replace-filter-no-match-wholesale",
    U,
    [op("replace", 'emails[type eq "other"]', {"value": "x@example.com"})],
    source="docs/semantics.md §PATCH: no match is noTarget",
    error="noTarget",
)
case(
    "replace-filter-no-match-entra-non-eq",
    U,
    [op("replace", 'emails[value co "zzz"].type', "work")],
    source="upsert needs a filter of eq terms",
    policy="entra",
    error="noTarget",
)
case(
    "replace-null-removes",
    U,
    [op("replace", "title", None)],
    source="docs/semantics.md §PATCH: replace null behaves as remove",
    edit=lambda d: d.pop("title"),
)
case(
    "replace-empty-list-removes",
    U,
    [op("replace", "phoneNumbers", [])],
    source="docs/semantics.md §PATCH: replace [] removes",
    edit=lambda d: d.pop("phoneNumbers"),
)
case(
    "replace-null-required",
    U,
    [op("replace", "userName", None)],
    source="docs/semantics.md §PATCH: unassigning userName",
    error="mutability",
)
case(
    "replace-filter-null-removes-matches",
    U,
    [op("replace", 'emails[type eq "home"]', None)],
    source="replace null on a filter removes the matching elements",
    edit=lambda d: d.update(emails=[e for e in d["emails"] if e["type"] != "home"]),
)


def _sailpoint(d):
    d["name"]["familyName"] = "Jensen-Smith"
    d["name"]["givenName"] = "Barbara Ann"


case(
    "replace-complex-merge-sailpoint",
    U,
    [
        op("replace", value={"name": {"familyName": "Jensen-Smith"}}),
        op("replace", value={"name": {"givenName": "Barbara Ann"}}),
    ],
    source="RFC 7644 §3.5.2.3 / SailPoint: partial complex replaces merge",
    edit=_sailpoint,
)
case(
    "replace-complex-null-sub-unassigns",
    U,
    [op("replace", "name", {"middleName": None, "givenName": "B"})],
    source="RFC 7643 §2.5: a null sub-attribute in a replacement unassigns it",
    edit=lambda d: (d["name"].pop("middleName"), d["name"].update(givenName="B")),
)
case(
    "replace-immutable-identical",
    G,
    [op("replace", f'members[value eq "{BABS}"].display', "Babs Jensen")],
    source="docs/semantics.md §PATCH: setting an immutable attribute to its value is a no-op",
)
case(
    "replace-immutable-changed",
    G,
    [op("replace", f'members[value eq "{BABS}"].display', "B. Jensen")],
    source="members.display is immutable",
    error="mutability",
)
case(
    "replace-immutable-wholesale",
    G,
    [op("replace", f'members[value eq "{BABS}"]', {"value": JAMES})],
    source="replacing a member element changes its immutable value",
    error="mutability",
)
case(
    "replace-read-only-identical",
    U,
    [op("replace", "id", BABS)],
    source="docs/semantics.md §PATCH: same value, no change",
)
case("replace-read-only-changed", U, [op("replace", "id", "x")], source="id is readOnly", error="mutability")


def _primary_home(d):
    d["emails"][0]["primary"] = False
    d["emails"][1]["primary"] = True


case(
    "replace-filter-sub-primary",
    U,
    [op("replace", 'emails[type eq "home"].primary', True)],
    source="RFC 7644 §3.5.2: setting primary resets the other primary",
    edit=_primary_home,
)
case(
    "replace-filter-primary-two-matches",
    UPHONES,
    [op("replace", 'phoneNumbers[type eq "work"].primary', True)],
    source="docs/semantics.md §PATCH: the operation makes two values primary",
    error="invalidValue",
)
case(
    "replace-filter-wholesale-array",
    U,
    [op("replace", 'emails[type eq "work"]', [{"value": "x@example.com"}])],
    source="a filtered replace takes one object",
    error="invalidValue",
)
case(
    "replace-filter-on-single-valued",
    U,
    [op("replace", 'name[givenName eq "Barbara"].familyName', "X")],
    source="a value filter needs a multi-valued attribute",
    error="invalidPath",
)
case(
    "schemas-add-extension-urn",
    U,
    [op("add", "schemas", [ENT])],
    source="schemas may list an optional extension without data",
    edit=lambda d: d.update(schemas=[USER, ENT]),
)
case(
    "schemas-filter-remove",
    U,
    [op("add", "schemas", [ENT]), op("remove", f'schemas[value eq "{ENT}"]')],
    source="value in a filter on a simple multi-valued attribute is the element itself",
)
case(
    "replace-filter-schemas-simple-mv",
    UE,
    [op("remove", f'schemas[value eq "{ENT}"]')],
    source="value in a filter on a simple multi-valued attribute is the element; schemas must list the "
    "extension while it holds data",
    error="invalidValue",
)

# ---------------------------------------------------------------------------------------------------------
# remove (docs/semantics.md §PATCH)
# ---------------------------------------------------------------------------------------------------------

case("remove-no-path", U, [op("remove")], source="RFC 7644 §3.5.2.2: remove without path", error="noTarget")
case("remove-absent-noop", UMIN, [op("remove", "title")], source="docs/semantics.md §PATCH: nothing to remove")
case(
    "remove-absent-strict",
    UMIN,
    [op("remove", "title")],
    source="docs/semantics.md §PATCH strict",
    policy="strict",
    error="noTarget",
)
case("remove-filter-no-match-noop", U, [op("remove", 'emails[type eq "other"]')], source="docs/semantics.md §PATCH")
case(
    "remove-filter-no-match-strict",
    U,
    [op("remove", 'emails[type eq "other"]')],
    source="docs/semantics.md §PATCH strict",
    policy="strict",
    error="noTarget",
)
case(
    "remove-filter-absent-attribute",
    UMIN,
    [op("remove", 'emails[type eq "work"]')],
    source="Entra E8: a filtered remove on an absent attribute is a no-op",
)
case(
    "remove-filter-sub",
    U,
    [op("remove", 'addresses[type eq "work"].formatted')],
    source="remove attr[filter].sub",
    edit=lambda d: element(d["addresses"], type="work").pop("formatted"),
)
case(
    "remove-filter-sub-empties-element",
    UPHONES,
    [op("remove", 'roles[value eq "Writer"].value')],
    source="an element left empty goes",
    edit=lambda d: d["roles"].pop(1),
)
case(
    "remove-sub",
    U,
    [op("remove", "name.middleName")],
    source="remove a sub-attribute",
    edit=lambda d: d["name"].pop("middleName"),
)
case(
    "remove-required",
    U,
    [op("remove", "userName")],
    source="docs/semantics.md §PATCH: removing a required attribute",
    error="mutability",
)
case("remove-read-only", U, [op("remove", "meta")], source="meta is readOnly", error="mutability")
case(
    "remove-with-value-default",
    G,
    [op("remove", "members", [{"value": BABS}])],
    source="docs/semantics.md §Policies: a remove with a value list needs the remove_by_value policy",
    error="invalidValue",
)


def _ent_drop(d):
    d["schemas"] = [USER]
    d.pop(ENT)


def _ent_drop_all_but_one(d):
    d[ENT] = {"employeeNumber": "E-42"}


case(
    "remove-extension-attributes-one-left",
    UE,
    [op("remove", f"{ENT}:costCenter"), op("remove", f"{ENT}:department"), op("remove", f"{ENT}:manager")],
    source="the extension keeps its remaining attribute",
    edit=_ent_drop_all_but_one,
)
case(
    "remove-last-extension-attribute",
    UE,
    [
        op("remove", f"{ENT}:costCenter"),
        op("remove", f"{ENT}:department"),
        op("remove", f"{ENT}:manager"),
        op("remove", f"{ENT}:employeeNumber"),
    ],
    source="docs/semantics.md §PATCH: the last attribute takes the extension object and its URN along",
    edit=_ent_drop,
)
case(
    "remove-extension-object", UE, [op("remove", ENT)], source="a bare extension URN removes the object", edit=_ent_drop
)
case(
    "remove-extension-unqualified",
    UE,
    [op("remove", "costCenter")],
    source="docs/semantics.md §Evaluation: an unqualified extension attribute resolves in the one extension with it",
    edit=lambda d: d[ENT].pop("costCenter"),
)
case(
    "remove-manager-value",
    UE,
    [op("remove", f"{ENT}:manager.value")],
    source="remove a sub-attribute",
    edit=lambda d: d[ENT]["manager"].pop("value"),
)
case(
    "set-and-restore-unchanged",
    U,
    [op("add", "title", "X"), op("replace", "title", "Tour Guide")],
    source="a request that ends where it started reports unchanged",
)

# ---------------------------------------------------------------------------------------------------------
# paths and filters
# ---------------------------------------------------------------------------------------------------------

case(
    "path-syntax",
    U,
    [op("replace", 'emails[type eq "work"]x', "a")],
    source="a path that does not parse",
    error="invalidPath",
)
case(
    "path-bad-attribute-syntax",
    U,
    [op("replace", "na me", "a")],
    source="a path that does not parse",
    error="invalidPath",
)
case(
    "path-filter-syntax",
    U,
    [op("replace", "emails[type eq].value", "a")],
    source="a bad filter inside a path",
    error="invalidFilter",
)
case(
    "path-filter-unknown-attribute",
    U,
    [op("replace", 'emails[kind eq "work"].value', "a")],
    source="a filter naming no sub-attribute",
    error="invalidFilter",
)
case(
    "path-filter-type-mismatch",
    U,
    [op("replace", "emails[primary gt true].value", "a")],
    source="gt on a boolean",
    error="invalidFilter",
)
case(
    "path-sub-before-filter",
    U,
    [op("replace", 'emails.value[type eq "work"]', "a")],
    source="attr.sub[filter] is not a PATCH path",
    error="invalidPath",
)
case("path-unknown-sub", U, [op("replace", "name.nickName", "a")], source="name has no nickName", error="invalidPath")
case(
    "path-unknown-urn",
    U,
    [op("replace", "urn:example:unknown:2.0:User:thing", "a")],
    source="a URN that is not a schema of the resource type",
    error="invalidPath",
)
case(
    "path-filter-and-or",
    U,
    [op("remove", 'emails[(type eq "home" or type eq "other") and not (value ew "example.com")]')],
    source="the full filter grammar inside brackets",
    edit=lambda d: d.update(emails=[e for e in d["emails"] if e["type"] != "home"]),
)

# ---------------------------------------------------------------------------------------------------------
# identity-provider quirks (PEERS-AND-IDP-QUIRKS §8), exact payloads
# ---------------------------------------------------------------------------------------------------------

case(
    "entra-E1-capitalised-op",
    U,
    [{"op": "Replace", "path": "active", "value": False}],
    source="Entra E1",
    edit=lambda d: d.update(active=False),
)
case(
    "entra-E1-capitalised-op-strict",
    U,
    [{"op": "Replace", "path": "active", "value": False}],
    source="Entra E1 under strict",
    policy="strict",
    error="invalidSyntax",
)
case(
    "entra-E2-string-boolean",
    U,
    [{"op": "Replace", "path": "active", "value": "False"}],
    source="Entra E2",
    edit=lambda d: d.update(active=False),
)
case(
    "entra-E2-string-boolean-strict",
    U,
    [{"op": "replace", "path": "active", "value": "False"}],
    source="Entra E2 under strict",
    policy="strict",
    error="invalidValue",
)


def _roles_true(d):
    d["roles"] = [{"value": "DocumentMgmt-Admin", "primary": True}]


case(
    "entra-E2-string-boolean-primary",
    UMIN,
    [{"op": "Add", "path": "roles", "value": [{"value": "DocumentMgmt-Admin", "primary": "True"}]}],
    source='Entra E2: roles primary "True"',
    edit=_roles_true,
)

E4_VALUE = {"displayName": "Bjfe", "name.givenName": "Kkom", "name.familyName": "Unua", f"{ENT}:employeeNumber": "Aklq"}


def _e4(d):
    d["displayName"] = "Bjfe"
    d["name"]["givenName"] = "Kkom"
    d["name"]["familyName"] = "Unua"
    d["schemas"] = [USER, ENT]
    d[ENT] = {"employeeNumber": "Aklq"}


case("entra-E4-dotted-keys-replace", U, [{"op": "replace", "value": E4_VALUE}], source="Entra E4", edit=_e4)
case("entra-E4-dotted-keys-add", U, [{"op": "add", "value": E4_VALUE}], source="Entra E4 with add", edit=_e4)
case(
    "entra-E4-dotted-keys-strict",
    U,
    [{"op": "replace", "value": E4_VALUE}],
    source="Entra E4 under strict",
    policy="strict",
    error="invalidPath",
)

E5 = [{"op": "Remove", "path": "members", "value": [{"$ref": None, "value": "f648f8d5ea4e4cd38e9c"}]}]


def _e5(d):
    d["members"] = [m for m in d["members"] if m["value"] != "f648f8d5ea4e4cd38e9c"]


case("entra-E5-remove-member-by-value", GENTRA, E5, source="Entra E5", policy="entra", edit=_e5)
case(
    "entra-E5-remove-member-by-value-default",
    GENTRA,
    E5,
    source="Entra E5 without remove_by_value",
    error="invalidValue",
)
case(
    "entra-E5-remove-member-with-ref",
    GENTRA,
    [{"op": "Remove", "path": "members", "value": [{"$ref": None, "value": "a1b2c3d4e5f6a7b8c9d0"}]}],
    source="Entra E5: matched on value, $ref: null ignored although the member has a $ref",
    policy="entra",
    edit=lambda d: d.update(members=[m for m in d["members"] if m["value"] != "a1b2c3d4e5f6a7b8c9d0"]),
)
case(
    "entra-E5-remove-absent-member",
    GENTRA,
    [{"op": "Remove", "path": "members", "value": [{"$ref": None, "value": "not-a-member"}]}],
    source="Entra E5: a member that is not there: no-op",
    policy="entra",
)
case(
    "entra-E6-add-member-null-ref",
    GENTRA,
    [{"op": "Add", "path": "members", "value": [{"$ref": None, "value": "5e6f7a8b9c0d1e2f3a4b"}]}],
    source="Entra E6: $ref null is unassigned",
    edit=lambda d: d["members"].append({"value": "5e6f7a8b9c0d1e2f3a4b"}),
)
case(
    "entra-E6-add-member-null-ref-strict",
    GENTRA,
    [{"op": "add", "path": "members", "value": [{"$ref": None, "value": "5e6f7a8b9c0d1e2f3a4b"}]}],
    source="Entra E6 under strict: null is unassigned (RFC 7643 §2.5)",
    policy="strict",
    edit=lambda d: d["members"].append({"value": "5e6f7a8b9c0d1e2f3a4b"}),
)

case(
    "entra-E7-upsert-email",
    UMIN,
    [{"op": "Replace", "path": 'emails[type eq "work"].value', "value": "min@work.example.com"}],
    source="Entra E7",
    policy="entra",
    edit=lambda d: d.update(emails=[{"type": "work", "value": "min@work.example.com"}]),
)
case(
    "entra-E7-upsert-email-default",
    UMIN,
    [{"op": "Replace", "path": 'emails[type eq "work"].value', "value": "min@work.example.com"}],
    source="Entra E7 without upsert_filtered",
    error="noTarget",
)
case(
    "entra-E7-upsert-address-formatted",
    U,
    [{"op": "Replace", "path": 'addresses[type eq "other"].formatted', "value": "1 Main St"}],
    source="Entra E7",
    policy="entra",
    edit=lambda d: d["addresses"].append({"type": "other", "formatted": "1 Main St"}),
)
case(
    "entra-E7-upsert-phone",
    UMIN,
    [{"op": "Add", "path": 'phoneNumbers[type eq "work"].value', "value": "555-0123"}],
    source="Entra E7",
    policy="entra",
    edit=lambda d: d.update(phoneNumbers=[{"type": "work", "value": "555-0123"}]),
)
case(
    "entra-E7-upsert-address-locality",
    UMIN,
    [{"op": "Add", "path": 'addresses[type eq "work"].locality', "value": "Redmond"}],
    source="Entra E7",
    policy="entra",
    edit=lambda d: d.update(addresses=[{"type": "work", "locality": "Redmond"}]),
)
case(
    "entra-E7-upsert-existing-sets",
    U,
    [{"op": "Replace", "path": 'emails[type eq "work"].value', "value": "babs@work.example.com"}],
    source="Entra E7: a match is updated, nothing is created",
    policy="entra",
    edit=lambda d: element(d["emails"], type="work").update(value="babs@work.example.com"),
)
case(
    "entra-E8-remove-filter-absent",
    UMIN,
    [{"op": "Remove", "path": 'phoneNumbers[type eq "work"]'}],
    source="Entra E8",
    policy="entra",
)


def _manager(d):
    d["schemas"] = [USER, ENT]
    d[ENT] = {"manager": {"value": "271"}}


case(
    "entra-E9-manager-string",
    U,
    [{"op": "Add", "path": f"{ENT}:manager", "value": "271"}],
    source="Entra E9",
    policy="entra",
    edit=_manager,
)
case(
    "entra-E9-manager-string-default",
    U,
    [{"op": "Add", "path": f"{ENT}:manager", "value": "271"}],
    source="Entra E9 without bare_string_complex",
    error="invalidValue",
)
case(
    "entra-E9-manager-string-existing",
    UE,
    [{"op": "Replace", "path": f"{ENT}:manager", "value": "271"}],
    source="Entra E9: merged into the existing manager",
    policy="entra",
    edit=lambda d: d[ENT]["manager"].update(value="271"),
)
case(
    "entra-E13-replace-members-partial",
    GENTRA,
    [{"op": "Replace", "path": "members", "value": [{"value": "new"}]}],
    source="Entra E13: replace sets the whole list (the server must honour excludedAttributes=members)",
    edit=lambda d: d.update(members=[{"value": "new"}]),
)


def _foreign(d):
    emails = d.pop("Emails")
    d["emails"] = [
        {"primary": True, "type": "work", "value": "new@example.com"},
        {"type": "home", "value": "fc@home.example.org"},
    ]
    del emails
    d.pop("Active")
    d["active"] = False


case(
    "entra-E14-foreign-case-resource",
    UFOREIGN,
    [
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "new@example.com"},
        {"op": "Replace", "path": "active", "value": "False"},
    ],
    source="Entra E14: resource keys in any case; written back under the canonical names",
    edit=_foreign,
)
case(
    "entra-E14-foreign-case-resource-strict",
    UFOREIGN,
    [{"op": "replace", "path": "displayName", "value": "X"}],
    source="under strict a foreign 'DisplayName' is not displayName: the new one is added",
    policy="strict",
    edit=lambda d: d.update(displayName="X"),
)
case(
    "entra-E15-validator-garbage",
    U,
    [{"op": "Replace", "path": 'phoneNumbers[type eq "untyped"].primary', "value": "1-648-081-5815 x2534"}],
    source="Entra E15",
    policy="entra",
    error="invalidValue",
)
case("entra-E15-empty-operations", U, [], source="Entra E15: empty Operations is a no-op")
case(
    "entra-E15-empty-operations-strict",
    U,
    [],
    source="RFC 7644 §3.5.2: one or more operations",
    policy="strict",
    error="invalidSyntax",
)

case(
    "okta-O1-path-less-active",
    U,
    [{"op": "replace", "value": {"active": False}}],
    source="Okta O1",
    edit=lambda d: d.update(active=False),
)
case(
    "okta-O2-group-rename-echoes-id",
    G,
    [{"op": "replace", "value": {"id": "acbf3ae7-8463-4692-b4fd-9b4da3f908ce", "displayName": "Test SCIMv2"}}],
    source="Okta O2",
    edit=lambda d: d.update(displayName="Test SCIMv2"),
)
case(
    "okta-O2-group-rename-unchanged",
    G,
    [{"op": "replace", "value": {"id": "acbf3ae7-8463-4692-b4fd-9b4da3f908ce", "displayName": "Tour Guides"}}],
    source="Okta O2: sent even when unchanged",
)
case(
    "okta-O2-echo-other-id-default",
    G,
    [{"op": "replace", "value": {"id": "other", "displayName": "T"}}],
    source="docs/semantics.md §Policies: echoed id ignored by default",
    edit=lambda d: d.update(displayName="T"),
)
case(
    "okta-O2-echo-other-id-strict",
    G,
    [{"op": "replace", "value": {"id": "other", "displayName": "T"}}],
    source="docs/semantics.md §Policies strict: changing id is mutability",
    policy="strict",
    error="mutability",
)
case(
    "okta-O2-echo-meta-schemas-default",
    G,
    [{"op": "replace", "value": {"schemas": ["x"], "meta": {"version": 'W/"0"'}, "displayName": "T"}}],
    source="docs/semantics.md §Policies: schemas and meta echoed in a path-less value are ignored",
    edit=lambda d: d.update(displayName="T"),
)
case(
    "okta-O3-membership",
    GENTRA,
    [
        {"op": "remove", "path": 'members[value eq "0099887766554433aabb"]'},
        {"op": "add", "path": "members", "value": [{"value": "00u1", "display": "New Person"}]},
    ],
    source="Okta O3",
    edit=lambda d: d.update(members=[d["members"][0], d["members"][1], {"value": "00u1", "display": "New Person"}]),
)


def main() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    OUTPUT.write_text(render(), "utf-8")
    print(f"wrote {len(CASES)} cases to {OUTPUT}")


def render() -> str:
    return json.dumps(CASES, indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    main()
