"""What a user's code sees of scimcore's types: checked with ``mypy --strict tests/typing`` in CI (``.ci/run``).

Every ``assert_type`` fails the check if the expression's type is not exactly the one named (``Any`` included),
so the public functions must keep real types. The script also runs (``tests/test_typing_script.py``).
"""

from __future__ import annotations

from typing import Any, assert_type

import scimcore
from scimcore import (
    Directory,
    ListResponse,
    PatchResult,
    User,
    apply_patch,
    compile_filter,
    decode,
    parse_filter,
    search,
)
from scimcore.filter.ast import Filter
from scimcore.filter.compile import CompiledFilter

ast = parse_filter('userName eq "bjensen" and emails[type eq "work"]')
assert_type(ast, Filter)
predicate = compile_filter(ast, resource_type="User")
assert_type(predicate, CompiledFilter)
resource: dict[str, Any] = {"userName": "bjensen", "emails": [{"type": "work", "value": "b@example.com"}]}
assert_type(predicate(resource), bool)

patched = apply_patch(resource, [{"op": "replace", "path": "active", "value": True}])
assert_type(patched, dict[str, Any])
report = apply_patch(resource, [{"op": "replace", "path": "active", "value": True}], report=True)
assert_type(report, PatchResult[dict[str, Any]])
assert_type(report.changed, bool)

user = decode(b'{"userName": "bjensen"}')
assert_type(user, User)
assert_type(apply_patch(user, {"Operations": [{"op": "add", "path": "title", "value": "Tour Guide"}]}), User)

page = search([resource, patched], filter="active eq true", count=10)
assert_type(page, ListResponse)
assert_type(page.total_results, int)

directory = Directory("User")
assert_type(directory.add({"userName": "bjensen"}), dict[str, Any])
assert_type(directory.search(filter='userName eq "bjensen"'), ListResponse)
assert_type(len(directory), int)

try:
    parse_filter("userName eq")
except scimcore.InvalidFilter as error:
    assert_type(error.status, int)
