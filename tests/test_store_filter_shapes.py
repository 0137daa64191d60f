"""The native directory binds a lone string comparison once per path and operator (store/native.py ``_bound``):
filters of one shape with other literals must find what the pure-Python directory finds, in every case rule
(``caseExact`` or not), for every string operator, on single- and multi-valued and complex attributes."""

from __future__ import annotations

import pytest

import scimcore
from conftest import require_native

USERS = [
    {
        "userName": name,
        "externalId": external,
        "name": {"givenName": given},
        "emails": [{"value": f"{name.lower()}@example.com", "type": "work"}],
    }
    for name, external, given in [
        ("Alice", "X-1", "Al"),
        ("bob", "x-1", "Bo"),
        ("CAROL", "X-2", "Ca"),
        ("dave", "y-3", "al"),
    ]
]

SHAPES = [
    'userName eq "{}"',
    'userName ne "{}"',
    'userName sw "{}"',
    'externalId eq "{}"',  # caseExact: not folded
    'externalId co "{}"',
    'name.givenName eq "{}"',
    'emails.value ew "{}"',
    'emails eq "{}"',  # a complex attribute compares its value sub-attribute
]
LITERALS = ["alice", "ALICE", "Bob", "x-1", "X-1", "al", "AL", "@example.com", "carol@example.com", "nobody"]


@pytest.fixture(scope="module")
def directories() -> tuple[scimcore.Directory, scimcore.Directory]:
    require_native()
    native = scimcore.Directory("User", backend="native")
    python = scimcore.Directory("User", backend="python")
    for user in USERS:
        native.add(user)
        python.add(user)
    return native, python


def _names(directory: scimcore.Directory, text: str) -> list[str]:
    return sorted(resource["userName"] for resource in directory.search(filter=text).resources)


@pytest.mark.parametrize("shape", SHAPES)
def test_a_shape_with_new_literals_matches_like_the_python_directory(
    directories: tuple[scimcore.Directory, scimcore.Directory], shape: str
) -> None:
    native, python = directories
    found = {literal: _names(native, shape.format(literal)) for literal in LITERALS}
    assert found == {literal: _names(python, shape.format(literal)) for literal in LITERALS}
    assert len({tuple(names) for names in found.values()}) > 1  # the literals do tell resources apart
