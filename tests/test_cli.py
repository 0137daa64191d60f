"""The installed ``scimcore`` console script, driven as a subprocess: every command and every error path."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import scimcore
from scimcore.demo import generate_users

CORPUS = Path(__file__).parent / "corpus"
RFC_USER = CORPUS / "rfc7643" / "rfc7643-8.2-full-user.json"


def _script() -> str:
    beside = Path(sys.executable).parent / "scimcore"
    found = str(beside) if beside.exists() else shutil.which("scimcore")
    if found is None:
        pytest.fail("the scimcore console script is not installed (pip install -e .)")
    return found


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([_script(), *args], input=stdin, capture_output=True, text=True, timeout=120, env=env)


def ok_json(*args: str, stdin: str | None = None):
    result = run(*args, stdin=stdin)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def failed(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    result = run(*args, stdin=stdin)
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result


# -- help and version -----------------------------------------------------------------------------------------


def test_version():
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"scimcore {scimcore.__version__}"


def test_help_lists_every_command():
    result = run("--help")
    assert result.returncode == 0
    for command in ("query", "parse", "patch", "validate", "schemas", "resource-types", "bench"):
        assert command in result.stdout


def test_no_command_prints_help_and_fails():
    result = run()
    assert result.returncode == 2
    assert "usage:" in result.stdout


# -- query ----------------------------------------------------------------------------------------------------

WORK_FILTER = 'emails[type eq "work" and value ew "@example.com"] and active eq true'


def test_query_demo_directory_matches_library_search():
    body = ok_json("query", WORK_FILTER, "--demo-size", "300", "--count", "5")
    expected = scimcore.search(generate_users(300), filter=WORK_FILTER, count=5)
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert body["totalResults"] == expected.total_results > 0
    assert body["itemsPerPage"] == 5
    assert [r["id"] for r in body["Resources"]] == [r["id"] for r in expected.resources]


def test_query_sort_page_and_projection():
    body = ok_json(
        "query",
        "userName pr",
        "--demo-size",
        "50",
        "--sort-by",
        "userName",
        "--sort-order",
        "descending",
        "--start-index",
        "3",
        "--count",
        "4",
        "--attributes",
        "userName,name.familyName",
    )
    names = [r["userName"] for r in body["Resources"]]
    all_names = sorted((u["userName"] for u in generate_users(50)), key=str.casefold, reverse=True)
    assert names == all_names[2:6]
    assert body["startIndex"] == 3
    for resource in body["Resources"]:
        assert set(resource) <= {"schemas", "id", "userName", "name"}
        assert set(resource.get("name", {})) <= {"familyName"}


def test_query_excluded_attributes():
    body = ok_json("query", "--demo-size", "5", "--excluded-attributes", "emails,name")
    assert body["totalResults"] == 5
    assert all("emails" not in r and "name" not in r and "userName" in r for r in body["Resources"])


def test_query_input_ndjson_json_array_and_stdin(tmp_path):
    users = [
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": str(i), "userName": name}
        for i, name in enumerate(["alice", "bob", "Albert"])
    ]
    ndjson = tmp_path / "users.ndjson"
    ndjson.write_text("\n".join(json.dumps(u) for u in users) + "\n")
    array = tmp_path / "users.json"
    array.write_text(json.dumps(users))
    for source, stdin in ((str(ndjson), None), (str(array), None), ("-", json.dumps(users))):
        body = ok_json("query", 'userName sw "AL"', "--input", source, "--sort-by", "userName", stdin=stdin)
        assert [r["userName"] for r in body["Resources"]] == ["Albert", "alice"]


def test_query_filter_error_shows_caret_and_scim_type():
    result = failed("query", 'userName eq "x" and', "--demo-size", "5")
    lines = result.stderr.splitlines()
    assert lines[0] == '  userName eq "x" and'
    assert lines[1] == "  " + " " * 19 + "^"
    assert "invalidFilter" in lines[2] and "position 19" in lines[2]


def test_query_unknown_attribute_is_invalid_filter():
    result = failed("query", 'nickname2 eq "x"', "--demo-size", "5")
    assert "invalidFilter" in result.stderr


def test_query_input_errors_are_one_clear_line(tmp_path):
    missing = failed("query", "--input", str(tmp_path / "nope.json"))
    assert missing.stderr.strip() == f"scimcore query: {tmp_path / 'nope.json'}: no such file"
    garbage = tmp_path / "garbage.json"
    garbage.write_text("this is not json")
    assert "not JSON" in failed("query", "--input", str(garbage)).stderr
    scalars = tmp_path / "scalars.json"
    scalars.write_text("[1, 2]")
    assert "item 1 is not a resource" in failed("query", "--input", str(scalars)).stderr
    for result in (missing,):
        assert len(result.stderr.strip().splitlines()) == 1


# -- parse ----------------------------------------------------------------------------------------------------


def test_parse_prints_canonical_filter_and_json():
    result = run("parse", 'userName Eq "john" AND (title PR or not(emails.value co "x"))', "--json")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == 'userName eq "john" and (title pr or not (emails.value co "x"))'
    ast = json.loads("\n".join(lines[1:]))
    assert ast["node"] == "and" and len(ast["terms"]) == 2
    assert ast["terms"][0] == {"node": "compare", "path": {"name": "userName"}, "op": "eq", "value": "john"}


def test_parse_path():
    result = run("parse", "--path", 'emails[type eq "work"].value')
    assert result.returncode == 0
    assert result.stdout.strip() == 'emails[type eq "work"].value'


def test_parse_error_caret():
    result = failed("parse", 'userName eq "x" or pr')
    lines = result.stderr.splitlines()
    assert lines[1].index("^") - 2 == len('userName eq "x" or pr')
    assert "invalidFilter" in lines[2]
    path_error = failed("parse", "--path", "emails[type eq]")
    assert "invalidFilter" in path_error.stderr or "invalidPath" in path_error.stderr
    assert "^" in path_error.stderr


# -- patch ----------------------------------------------------------------------------------------------------

PATCH = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "babs@example.org"},
        {"op": "Add", "value": {"name.givenName": "Babs"}},
        {"op": "replace", "path": "active", "value": "False"},
    ],
}


def test_patch_files_and_inline(tmp_path):
    patch_file = tmp_path / "patch.json"
    patch_file.write_text(json.dumps(PATCH))
    for patch_arg in (str(patch_file), json.dumps(PATCH)):
        body = ok_json("patch", str(RFC_USER), patch_arg)
        assert body["name"]["givenName"] == "Babs"
        assert body["active"] is False
        work = [e for e in body["emails"] if e.get("type") == "work"]
        assert [e["value"] for e in work] == ["babs@example.org"]


def test_patch_error_prints_rfc_error_json():
    bad = {"Operations": [{"op": "replace", "path": "id", "value": "other"}]}
    result = failed("patch", str(RFC_USER), json.dumps(bad))
    error = json.loads(result.stderr)
    assert error["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert error["scimType"] == "mutability"
    assert error["status"] == "400"


def test_patch_policy_entra_upserts():
    ops = [{"op": "replace", "path": 'phoneNumbers[type eq "fax"].value', "value": "555-0100"}]
    strict = failed("patch", str(RFC_USER), json.dumps(ops), "--policy", "default")
    assert json.loads(strict.stderr)["scimType"] == "noTarget"
    body = ok_json("patch", str(RFC_USER), json.dumps(ops), "--policy", "entra")
    assert {"type": "fax", "value": "555-0100"} in body["phoneNumbers"]


def test_patch_input_errors(tmp_path):
    assert "no such file" in failed("patch", str(tmp_path / "x.json"), "[]").stderr
    assert "a resource must be a JSON object" in failed("patch", "[1]", "[]").stderr


# -- validate -------------------------------------------------------------------------------------------------


def test_validate_valid_and_invalid(tmp_path):
    result = run("validate", str(RFC_USER))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "valid User bjensen@example.com"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "active": "maybe"}))
    error = json.loads(failed("validate", str(bad)).stderr)
    assert error["scimType"] == "invalidValue"
    not_json = tmp_path / "not.json"
    not_json.write_text("{")
    assert "not JSON" in failed("validate", str(not_json)).stderr
    assert "a resource must be a JSON object" in failed("validate", "[]").stderr


def test_validate_group(tmp_path):
    group = tmp_path / "group.json"
    group.write_text(
        json.dumps({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Tour Guides"})
    )
    result = run("validate", str(group), "--resource-type", "Group")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "valid Group Tour Guides"


# -- discovery ------------------------------------------------------------------------------------------------


def test_schemas_and_resource_types():
    schemas = ok_json("schemas")
    ids = {s["id"] for s in schemas["Resources"]}
    assert "urn:ietf:params:scim:schemas:core:2.0:User" in ids
    assert schemas["totalResults"] == len(schemas["Resources"])
    types = ok_json("resource-types")
    assert {t["name"] for t in types["Resources"]} == {"User", "Group"}


# -- bench ----------------------------------------------------------------------------------------------------


def test_bench_prints_the_table_with_progress():
    result = run("bench", "--users", "2000")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "### Directory benchmark: 2,000 generated users"
    first = lines.index(next(line for line in lines if line.startswith("| query")))
    table = lines[first : lines.index("", first)]  # the first table (more follow: engines, scans)
    rows = table[2:]
    assert [row.split(" | ")[0][2:] for row in rows] == [
        "indexed userName eq",
        "sw + sortBy userName",
        "pr + sortBy meta.created",
        "value path + sortBy userName",
        "dateTime range + sortBy familyName",
        "and/or/not mix + sortBy displayName",
    ]
    assert all(row.rstrip(" |").endswith("x") for row in rows)
    progress = result.stderr.replace("\r", "\n")
    for stage in ("generating 2,000 users", "encoding NDJSON", "loading the directory", "measuring"):
        assert stage in progress


def test_bench_quiet_and_bad_size():
    quiet = run("bench", "--users", "500", "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == ""
    bad = failed("bench", "--users", "0")
    assert bad.stderr.strip() == "scimcore bench: --users must be at least 1"


# -- exit statuses, long and unusual input ---------------------------------------------------------------------


def test_usage_errors_exit_2_and_help_names_every_exit_status():
    result = run("query", "--no-such-option")
    assert result.returncode == 2
    assert "unrecognized arguments" in result.stderr
    for command in ([], ["query"], ["parse"], ["patch"], ["validate"]):
        help_text = " ".join(run(*command, "--help").stdout.split())
        assert "exit status: 0 success, 1 bad input (a message on standard error), 2 usage error" in help_text


def test_filter_from_standard_input_and_from_a_file(tmp_path):
    """200,000 '(' cannot be a command-line argument on most systems; '-' and @FILE reach the parser."""
    huge = "(" * 200_000
    for args, stdin in ((["parse", "-"], huge + "\n"), (["query", "-", "--demo-size", "5"], huge)):
        result = failed(*args, stdin=stdin)
        assert "too_long" not in result.stderr  # the message, not the code
        assert "longer than the limit of 65536 bytes at position 0" in result.stderr
        assert result.stderr.splitlines()[0].endswith("...")  # the caret line is cut, not dropped
    path = tmp_path / "filter.txt"
    path.write_text('userName Eq "john"\n')
    assert run("parse", f"@{path}").stdout == 'userName eq "john"\n'
    body = ok_json("query", f"@{path}", "--demo-size", "5")
    assert body["totalResults"] == 0
    assert "no such file" in failed("parse", f"@{tmp_path / 'missing.txt'}").stderr
    assert "cannot both be standard input" in failed("query", "-", "--input", "-", stdin="").stderr


def test_ndjson_error_names_its_line():
    lines = ['{"userName": "a"}', '{"userName": "b"}', "", '{"userName": "c"}', '{"userName": x}']
    result = failed("query", "--input", "-", stdin="\n".join(lines) + "\n")
    assert result.stderr.strip() == "scimcore query: -: line 5 is not JSON (Expecting value)"


def test_patch_prints_every_scim_error_as_error_json():
    for path, scim_type in (("nosuch", "invalidPath"), ("emails[type eq]", "invalidFilter"), ("(a pr)", "invalidPath")):
        result = failed("patch", str(RFC_USER), json.dumps([{"op": "replace", "path": path, "value": "x"}]))
        error = json.loads(result.stderr)
        assert error["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
        assert error["scimType"] == scim_type, error


def test_caret_under_long_filters_tabs_and_wide_characters():
    long = " and ".join(f"a{i} pr" for i in range(100)) + " and"
    lines = failed("parse", long).stderr.splitlines()
    assert lines[0].startswith("  ...") and len(lines[0]) < 140
    assert lines[1].index("^") == len(lines[0])  # the end of the input, just after the last character shown
    tabbed = failed("parse", 'a\teq "x" and\tb eq').stderr.splitlines()
    assert tabbed[1] == "  " + " \t" + " " * 10 + "\t" + " " * 4 + "^"
    wide = failed("parse", 'displayName eq "日本語" and ?').stderr.splitlines()
    assert wide[1] == "  " + " " * (len('displayName eq "') + 2 * 3 + len('" and ')) + "^"


def test_an_unknown_backend_name_is_a_warning():
    env = {**os.environ, "SCIMCORE_BACKEND": "bogus", "PYTHONIOENCODING": "utf-8"}
    result = subprocess.run([_script(), "parse", "a pr"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0 and result.stdout == "a pr\n"
    assert "scimcore: warning: SCIMCORE_BACKEND='bogus' is neither 'native' nor 'python'" in result.stderr
