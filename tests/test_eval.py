"""Filter evaluation (RFC 7644 §3.4.2.2, SEMANTICS "Evaluation"): the shared corpus on ASTs from both parser
backends, on dicts and on resource Structs, plus the rules the corpus cannot express (custom schema types,
schemaless evaluation, hostile values, caching, element matchers for PATCH)."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest

import scimcore
from scimcore.filter.ast import And, AttrPath, Compare, Not, Or, Present, ValuePath
from scimcore.filter.compile import CompiledFilter, compile_filter, element_matcher
from scimcore.filter.parse import parse_filter

CORPUS = Path(__file__).parent / "corpus"
RESOURCES = [json.loads(p.read_text("utf-8")) for p in sorted((CORPUS / "resources").glob("*.json"))]
EVAL_CASES = json.loads((CORPUS / "eval_cases.json").read_text("utf-8"))
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def resources_of(resource_type: str) -> list[dict]:
    return [r for r in RESOURCES if r["meta"]["resourceType"] == resource_type]


def pool_of(case: dict) -> list[dict]:
    """The resources a case is evaluated over: its own ``resources`` file, else the shared corpus resources."""
    if "resources" in case:
        return json.loads((CORPUS / case["resources"]).read_text("utf-8"))
    return resources_of(case["resource_type"])


def test_corpus_is_well_formed():
    ids = [r["id"] for r in RESOURCES]
    assert len(ids) == len(set(ids)) and len(RESOURCES) >= 15
    case_ids = [c["id"] for c in EVAL_CASES]
    assert len(case_ids) == len(set(case_ids)) and len(EVAL_CASES) >= 100
    for case in EVAL_CASES:
        assert case["resource_type"] in ("User", "Group")
        assert ("matches" in case) != ("error" in case)
        assert set(case.get("matches", ())) <= {r["id"] for r in pool_of(case)}


@pytest.mark.parametrize("case", EVAL_CASES, ids=[c["id"] for c in EVAL_CASES])
def test_corpus_case(case, backend):
    pool = pool_of(case)
    if "error" in case:
        with pytest.raises(scimcore.InvalidFilter) as raised:
            compile_filter(parse_filter(case["filter"], backend=backend), case["resource_type"])
        assert raised.value.scim_type == case["error"] and raised.value.status == 400
        return
    predicate = compile_filter(parse_filter(case["filter"], backend=backend), case["resource_type"])
    matched = [r["id"] for r in predicate.filter(pool)]
    assert matched == [r["id"] for r in pool if r["id"] in case["matches"]]  # input order kept
    assert [r["id"] for r in pool if predicate(r)] == matched


_STRUCTS: dict = {}


def structs_of(resource_type: str) -> list:
    if resource_type not in _STRUCTS:
        _STRUCTS[resource_type] = [scimcore.decode(r, resource_type=resource_type) for r in resources_of(resource_type)]
    return _STRUCTS[resource_type]


@pytest.mark.parametrize(
    "case", [c for c in EVAL_CASES if "matches" in c and "resources" not in c], ids=lambda c: c["id"]
)
def test_corpus_case_on_structs(case):
    structs = structs_of(case["resource_type"])
    predicate = compile_filter(case["filter"], case["resource_type"])
    matched = predicate.filter(structs)
    assert all(type(s).__name__ == case["resource_type"] for s in matched)  # the Structs themselves come back
    assert sorted(s.id for s in matched) == sorted(case["matches"])


def test_evaluation_never_modifies_the_resource():
    originals = copy.deepcopy(RESOURCES)
    for case in EVAL_CASES:
        if "matches" in case:
            compile_filter(case["filter"], case["resource_type"]).filter(resources_of(case["resource_type"]))
    assert originals == RESOURCES


# -- rules on a custom schema: numbers, caseExact, ambiguity -------------------------------------------------

TEST_EXT = "urn:example:params:scim:schemas:extension:test:2.0:User"
OTHER_EXT = "urn:example:params:scim:schemas:extension:other:2.0:User"


@pytest.fixture(scope="module")
def registry():
    reg = scimcore.SchemaRegistry.default()
    reg.register_schema(
        {
            "id": TEST_EXT,
            "name": "Test",
            "attributes": [
                {"name": "level", "type": "integer"},
                {"name": "score", "type": "decimal"},
                {"name": "tags", "type": "string", "multiValued": True},
                {"name": "code", "type": "string", "caseExact": True},
                {"name": "secret", "type": "string", "returned": "never"},
                {"name": "shared", "type": "string"},
                {
                    "name": "badges",
                    "type": "complex",
                    "multiValued": True,
                    "subAttributes": [
                        {"name": "value", "type": "integer"},
                        {"name": "label", "type": "string"},
                        {"name": "pin", "type": "string", "returned": "never"},
                    ],
                },
            ],
        }
    )
    reg.register_schema({"id": OTHER_EXT, "name": "Other", "attributes": [{"name": "shared", "type": "string"}]})
    reg.register_extension("User", TEST_EXT)
    reg.register_extension("User", OTHER_EXT)
    return reg


NUMBER_USERS = [
    {
        "id": "n1",
        TEST_EXT: {
            "level": 3,
            "score": 2.5,
            "tags": ["Blue", "Green"],
            "code": "AbC",
            "badges": [{"value": 1, "label": "one"}, {"value": 10, "label": "ten"}],
        },
    },
    {"id": "n2", TEST_EXT: {"level": 10, "score": 3, "tags": [], "code": "abc"}},
    {"id": "n3", TEST_EXT: {"level": True, "score": "3", "tags": "Blue", "code": 7, "badges": {"value": 1}}},
    {"id": "n4"},
]

CUSTOM_CASES = [
    ("level eq 3", ["n1"]),
    ("level eq 3.0", ["n1"]),  # integer attribute, decimal literal
    ("level gt 2.5", ["n1", "n2"]),
    ("level ge 10", ["n2"]),
    ("level lt 1e1", ["n1"]),  # exponent literal
    ("score eq 3", ["n2"]),  # decimal attribute, integer literal; "3" (a string) never
    ("score le 2.5", ["n1"]),
    ("score gt 2.4999999999999999999", ["n1", "n2"]),  # exact decimal literal vs float value
    ("level ne 3", ["n2", "n3", "n4"]),  # true is no number: n3 does not equal 3
    ("level pr", ["n1", "n2", "n3"]),
    ('tags eq "blue"', ["n1"]),  # multi-valued simple: any value; a bare string is no list
    ('tags sw "GR"', ["n1"]),
    ("tags pr", ["n1"]),
    ('tags ne "green"', ["n2", "n3", "n4"]),
    ('code eq "AbC"', ["n1"]),  # caseExact
    ('code eq "abc"', ["n2"]),
    ('code gt "B"', ["n2"]),  # caseExact: code points, "a" > "B"
    ("badges eq 10", ["n1"]),  # complex -> value, integer
    ('badges[value lt 5 and label eq "ONE"]', ["n1"]),
    ('badges[value gt 5 and label eq "one"]', []),
    ("badges.value ge 10", ["n1"]),
    (f"{TEST_EXT}:shared pr", []),
    (f'{OTHER_EXT}:shared eq "x"', []),
]


@pytest.mark.parametrize("text, expected", CUSTOM_CASES)
def test_custom_schema_rules(registry, text, expected, backend):
    predicate = compile_filter(parse_filter(text, backend=backend), "User", registry)
    assert [u["id"] for u in predicate.filter(NUMBER_USERS)] == expected


@pytest.mark.parametrize(
    "text",
    [
        'shared eq "x"',  # defined by two extensions: ambiguous (J15)
        'secret eq "x"',  # returned: never (J16)
        'badges[pin eq "1"]',  # returned: never sub-attribute
        'level eq "3"',  # string literal for an integer
        "level eq true",
        'level co "3"',  # substring operator on a number
        "score sw 1",
        'tags[value eq "x"]',  # brackets on a simple attribute
        'badges[value eq "1"]',  # string literal for the integer sub-attribute
    ],
)
def test_custom_schema_errors(registry, text):
    with pytest.raises(scimcore.InvalidFilter):
        compile_filter(text, "User", registry)


# -- schemaless evaluation (resource_type=None) ---------------------------------------------------------------

SCHEMALESS = [
    {
        "id": "s1",
        "UserName": "Straße",
        "count": 5,
        "flag": True,
        "when": "2011-05-13T06:42:34+02:00",
        "emails": [{"Value": "a@example.com", "type": "work"}, {"value": "b@example.org", "type": "home"}],
        "urn:x:ext": {"dept": "Ops"},
    },
    {"id": "s2", "userName": "other", "count": 5.5, "flag": False, "when": "not a date", "emails": []},
    {"id": "s3", "count": "5", "manager": {"value": "s1"}},
]


@pytest.mark.parametrize(
    "text, expected",
    [
        ('username eq "STRASSE"', ["s1"]),  # names in any case, strings folded
        ('unknown eq "x"', []),  # unknown: absent, not an error
        ('unknown ne "x"', ["s1", "s2", "s3"]),
        ("unknown pr", []),
        ("count eq 5", ["s1"]),  # types from the values: "5" is a string
        ("count gt 5", ["s2"]),
        ('count eq "5"', ["s3"]),
        ("flag eq false", ["s2"]),
        ('when eq "2011-05-13T04:42:34Z"', ["s1"]),  # instants when both sides are dateTimes
        ('when gt "2000-01-01T00:00:00Z"', ["s1"]),
        ('when eq "NOT A DATE"', ["s2"]),
        ('emails co "example.org"', ["s1"]),  # objects compare their value
        ('emails.value ew ".COM"', ["s1"]),
        ('emails[type eq "work" and value ew ".com"]', ["s1"]),
        ('emails[type eq "home" and value ew ".com"]', []),
        ('manager eq "S1"', ["s3"]),
        ("manager[value pr]", ["s3"]),
        ("emails pr", ["s1"]),
        ('urn:x:ext:dept eq "ops"', ["s1"]),
        ("emails eq null", ["s2", "s3"]),
    ],
)
def test_schemaless(text, expected, backend):
    predicate = compile_filter(parse_filter(text, backend=backend), None)
    assert [r["id"] for r in predicate.filter(SCHEMALESS)] == expected


@pytest.mark.parametrize("text", ["flag gt true", "count co 5", "x gt null", "flag sw false"])
def test_schemaless_errors(text):
    with pytest.raises(scimcore.InvalidFilter):
        compile_filter(text, None)


# -- values of the wrong type never raise -----------------------------------------------------------------------

HOSTILE = [
    {},
    {
        "userName": 42,
        "active": "true",
        "title": ["a"],
        "name": "Barbara",
        "emails": {"value": "x"},
        "meta": "2011-05-13T04:42:34Z",
        ENTERPRISE: ["not", "an", "object"],
    },
    {
        "userName": None,
        "emails": [None, 1, "str", [], {"value": 5, "type": None, "primary": "yes"}],
        "meta": {"created": 20110513, "lastModified": "2011-13-45T99:99:99Z"},
        "x509Certificates": [{"value": b"x"}],
    },
    {
        "name": {"givenName": {"nested": "dict"}},
        "groups": [[{"value": "x"}]],
        "active": 1,
        ENTERPRISE: {"manager": ["x"], "employeeNumber": 701984},
    },
    {"emails": [{"value": "x" * 10_000 + "@example.com", "type": "WORK"}], "meta": {"lastModified": "x" * 100}},
]


@pytest.mark.parametrize(
    "case", [c for c in EVAL_CASES if c["resource_type"] == "User" and "matches" in c], ids=lambda c: c["id"]
)
def test_hostile_values_do_not_raise(case):
    predicate = compile_filter(case["filter"], "User")
    results = [predicate(resource) for resource in HOSTILE]
    assert all(type(result) is bool for result in results)


def test_hostile_values_do_not_match_comparisons():
    for text in [
        'userName eq "42"',
        "active eq true",
        'title eq "a"',
        'name.givenName eq "Barbara"',
        'emails.value eq "x"',
        'meta.created gt "2000-01-01T00:00:00Z"',
        'emails.value eq "5"',
        'employeeNumber eq "701984"',
        'manager eq "x"',
    ]:
        assert compile_filter(text).filter(HOSTILE) == [], text
    matching = compile_filter('emails[type eq "work" and value ew "@EXAMPLE.com"]').filter(HOSTILE)
    assert matching == [HOSTILE[4]]


@pytest.mark.parametrize("bad", [None, 5, "userName", ["a"], object()])
def test_a_non_resource_is_invalid_value(bad):
    predicate = compile_filter("userName pr")
    with pytest.raises(scimcore.InvalidValue):
        predicate(bad)
    with pytest.raises(scimcore.InvalidValue):
        predicate.filter([{"userName": "a"}, bad])


def test_filter_accepts_any_iterable_and_mixed_items():
    predicate = compile_filter('userName sw "b"')
    struct = scimcore.decode({"userName": "bob", "id": "x"}, resource_type="User")
    items = ({"userName": n} for n in ["bea", "al", "Ben"])
    assert predicate.filter(items) == [{"userName": "bea"}, {"userName": "Ben"}]
    assert predicate.filter([{"userName": "al"}, struct, {"userName": "bo"}]) == [struct, {"userName": "bo"}]
    with pytest.raises(scimcore.InvalidValue):
        predicate.filter(5)


# -- compile time: errors, literals, generated source, cache ------------------------------------------------


def test_literals_cannot_inject_code():
    nasty = "x\" ) or True or ( \"\\n__import__('os').system('false')\\\\"
    text = f'userName eq "{nasty.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
    predicate = compile_filter(text)
    value = parse_filter(text).value
    assert predicate({"userName": value.upper()}) is True
    assert predicate({"userName": "x"}) is False
    assert "__import__" not in predicate.source or repr(value.casefold()) in predicate.source


def test_deep_and_wide_hand_built_asts_are_invalid_filter_not_crashes():
    node = Compare(path=AttrPath(name="userName"), op="eq", value="x")
    for _ in range(1000):
        node = Not(filter=node)
    with pytest.raises(scimcore.InvalidFilter):
        compile_filter(node)
    wide = Or(terms=tuple(Compare(path=AttrPath(name="userName"), op="eq", value=str(i)) for i in range(1001)))
    with pytest.raises(scimcore.InvalidFilter):
        compile_filter(wide)
    with pytest.raises(scimcore.InvalidFilter):
        compile_filter(Compare(path=AttrPath(name="userName"), op="regex", value="x"))
    with pytest.raises(scimcore.InvalidFilter):
        compile_filter(
            ValuePath(
                path=AttrPath(name="emails"),
                filter=ValuePath(path=AttrPath(name="value"), filter=Present(path=AttrPath(name="x"))),
            )
        )
    for bad in (None, 5, b"userName pr", AttrPath(name="userName")):
        with pytest.raises(scimcore.InvalidFilter):
            compile_filter(bad)


def test_deepest_parseable_filter_compiles_and_evaluates():
    text = "not (" * 63 + 'userName eq "a"' + ")" * 63
    predicate = compile_filter(text)
    assert predicate({"userName": "A"}) is False and predicate({"userName": "b"}) is True
    wide = " or ".join(f'userName eq "{i}"' for i in range(1000))
    assert compile_filter(wide)({"userName": "999"}) is True


def test_ast_input_equals_text_input_and_bool_is_not_int(registry):
    text = "level eq 1"
    assert compile_filter(text, "User", registry)({TEST_EXT: {"level": 1}}) is True
    ast_true = Compare(path=AttrPath(name="active"), op="eq", value=True)
    ast_one = Compare(path=AttrPath(name="active"), op="eq", value=1)
    assert compile_filter(ast_true)({"active": True}) is True
    with pytest.raises(scimcore.InvalidFilter):
        compile_filter(ast_one)  # must not come back from the cache as `active eq true`


def test_cache_reuses_and_tracks_registry_generation():
    reg = scimcore.SchemaRegistry.default()
    first = compile_filter('userName eq "a"', "User", reg)
    assert compile_filter('userName eq "a"', "User", reg) is first
    assert compile_filter('userName eq "a"', "user", reg) is first
    assert compile_filter('userName eq "a"', "User") is not first  # another registry
    with pytest.raises(scimcore.InvalidFilter):
        compile_filter('urn:example:late:User:badge eq "x"', "User", reg)
    reg.register_schema({"id": "urn:example:late:User", "attributes": [{"name": "badge"}]})
    reg.register_extension("User", "urn:example:late:User")
    again = compile_filter('userName eq "a"', "User", reg)
    assert again is not first and isinstance(again, CompiledFilter)
    assert compile_filter('badge eq "X"', "User", reg)({"urn:example:late:User": {"badge": "x"}}) is True


def test_unknown_resource_type_is_a_scim_error():
    with pytest.raises(scimcore.ScimError) as raised:
        compile_filter('userName eq "a"', "Printer")
    assert raised.value.status == 404


def test_public_names():
    assert scimcore.compile_filter is compile_filter
    predicate = scimcore.compile_filter('emails[type eq "work"]')
    assert "emails" in repr(predicate) and predicate.resource_type == "User"


# -- element matchers (PATCH value paths) -------------------------------------------------------------------------


def test_element_matcher_on_emails():
    reg = scimcore.registry
    resolved = reg.resolve("User", "emails")
    match = element_matcher(
        parse_filter('type eq "WORK" and not (primary eq true) or value ew ".ORG"'), "User", resolved
    )
    assert match({"type": "work", "value": "a@b.com"}) is True
    assert match({"type": "work", "primary": True, "value": "a@b.com"}) is False
    assert match({"type": "home", "value": "a@b.org"}) is True
    assert [match(x) for x in (None, "work", [], 5)] == [False] * 4


def test_element_matcher_on_members_and_extension_complex():
    members = scimcore.registry.resolve("Group", "members")
    match = element_matcher(parse_filter('value eq "2819c223" and $ref pr'), "Group", members)
    assert match({"value": "2819C223", "$ref": "https://x/Users/2819c223"}) is True
    assert match({"value": "2819c223", "$ref": None}) is False
    manager = scimcore.registry.resolve("User", "manager")
    assert element_matcher(parse_filter('displayName sw "john"'), "User", manager)({"displayName": "John Smith"})


@pytest.mark.parametrize(
    "text",
    [
        'nope eq "x"',
        'emails.value eq "x"',
        "value eq 1",
        "primary gt true",
        f'{ENTERPRISE}:manager eq "x"',
        'value[type eq "x"]',
    ],
)
def test_element_matcher_errors(text):
    resolved = scimcore.registry.resolve("User", "emails")
    with pytest.raises(scimcore.InvalidFilter):
        element_matcher(parse_filter(text), "User", resolved)


def test_element_matcher_needs_a_complex_attribute_and_may_be_schemaless():
    with pytest.raises(scimcore.InvalidFilter):
        element_matcher(parse_filter('value eq "x"'), "User", scimcore.registry.resolve("User", "userName"))
    match = element_matcher(parse_filter('VALUE eq "x"'), None, None)
    assert match({"value": "X"}) is True and match({"value": "y"}) is False and match("x") is False


# -- the runtime helpers ---------------------------------------------------------------------------------------


def test_instant_agrees_with_parse_datetime():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from scimcore.datetimes import parse_datetime
    from scimcore.filter.runtime import instant

    pieces = st.sampled_from(
        [
            "2011",
            "-",
            "05",
            "13",
            "T",
            "04",
            ":",
            "42",
            "34",
            ".",
            "5",
            "000",
            "Z",
            "+",
            "02:00",
            "-14:59",
            "+15:00",
            "+02:60",
            "24:00:00",
            "00",
            "7",
            " ",
            "t",
            "z",
        ]
    )

    @settings(max_examples=settings.default.max_examples * 30)
    @given(st.lists(pieces, max_size=14).map("".join) | st.text(max_size=30))
    def check(text):
        assert instant(text) == parse_datetime(text)

    check()
    assert instant("2011-05-13T04:42:34+02:00") == instant("2011-05-13T02:42:34Z")


def test_present_rule():
    from scimcore.filter.runtime import is_present

    assert [is_present(v) for v in (None, "", [], {}, [None, ""], {"a": None, "b": ""}, [{"a": ""}])] == [False] * 7
    assert [is_present(v) for v in (False, 0, "x", [0], {"a": False}, [[[[["deep"]]]]])] == [True] * 6


# -- and/or/not built by hand (nesting; a chain needs two terms, as the AST says and every evaluator agrees) ----------


def test_hand_built_boolean_nodes():
    a = Compare(path=AttrPath(name="userName"), op="eq", value="a")
    b = Present(path=AttrPath(name="title"))
    with pytest.raises(scimcore.InvalidFilter) as info:
        compile_filter(And(terms=(a,)))
    assert info.value.code == "invalid_ast"
    assert compile_filter(Or(terms=(And(terms=(a, b)), Not(filter=b))))({"userName": "a"}) is True
    assert compile_filter(Or(terms=(And(terms=(a, b)), Not(filter=b))))({"userName": "a", "title": "t"}) is True
    assert compile_filter(Or(terms=(And(terms=(a, b)), Not(filter=b))))({"userName": "z", "title": "t"}) is False


def test_decimal_literal_from_parser_is_exact():
    ast = parse_filter("level gt 0.1", backend="python")
    assert isinstance(ast.value, Decimal)
