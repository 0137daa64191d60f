"""PATCH over 2,000 Users: ``scimcore.apply_patch`` against a hand-written ``copy.deepcopy``-and-assign patch.

The request has three operations (issue 5): a filtered replace ``emails[type eq "work"].value``, a path-less
add with a dotted key ``{"name.givenName": ...}`` and a replace of ``active``. The baseline applies the same
edits to a deep copy of each user, with no parsing, schema checks or atomicity machinery. scimcore must stay
within 5x of it. Both run in the same process, interleaved, best of several rounds (``timing.py``); 500 users in
the short mode, 2,000 in the full one.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

import scimcore
from scimcore.demo import generate_users
from timing import ratio, require, size

MAX_RATIO = 5.0
USERS = size(500, 2_000)
NEW_EMAIL = "renamed@example.com"
NEW_GIVEN = "Xavier"

PATCH = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": NEW_EMAIL},
        {"op": "add", "value": {"name.givenName": NEW_GIVEN}},
        {"op": "replace", "path": "active", "value": False},
    ],
}


def users_with_work_email(count: int) -> list[dict]:
    """``count`` generated Users that have a work email (else the filtered replace is ``noTarget``)."""
    users = [u for u in generate_users(count * 2, seed=5) if any(e.get("type") == "work" for e in u["emails"])]
    assert len(users) >= count
    return users[:count]


def hand_written_patch(user: dict) -> dict:
    """The same three edits, by hand, on a deep copy."""
    new = copy.deepcopy(user)
    for email in new["emails"]:
        if email.get("type") == "work":
            email["value"] = NEW_EMAIL
    new.setdefault("name", {})["givenName"] = NEW_GIVEN
    new["active"] = False
    return new


def patch_ratio(apply_patch: Callable[..., Any] = scimcore.apply_patch) -> float:
    """``apply_patch`` time / deepcopy-and-assign time over ``USERS`` users (``bench_timing.py`` passes a slowed
    ``apply_patch`` to show that the bound catches it)."""
    users = users_with_work_email(USERS)
    registry = scimcore.SchemaRegistry.default()

    def run_baseline():
        return [hand_written_patch(u) for u in users]

    def run_scimcore():
        return [apply_patch(u, PATCH, registry=registry) for u in users]

    assert run_scimcore() == run_baseline()  # the same effect on every user
    return ratio(run_scimcore, run_baseline, rounds=7)


def test_patch_within_5x_of_deepcopy_and_assign():
    require(f"apply_patch vs deepcopy-and-assign, {USERS:,} users x 3 operations", patch_ratio, at_most=MAX_RATIO)


@pytest.fixture(scope="module")
def users():
    return users_with_work_email(USERS)


def test_bench_patch_scimcore(benchmark, users):
    registry = scimcore.SchemaRegistry.default()
    benchmark(lambda: [scimcore.apply_patch(u, PATCH, registry=registry) for u in users])


def test_bench_patch_deepcopy_and_assign(benchmark, users):
    benchmark(lambda: [hand_written_patch(u) for u in users])
