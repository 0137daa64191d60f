"""The PATCH target cache is bounded by count and not filled by paths that name one id each (issue 17: memory
stays flat under load; docs/operations.md, Load). ``benches/bench_load.py`` measures the server's memory."""

from __future__ import annotations

import uuid

from scimcore.patch import targets
from scimcore.schema.default import registry


def test_paths_naming_one_id_each_never_fill_the_cache() -> None:
    before = len(targets._cache)
    for _ in range(3 * targets.CACHE_SIZE):
        target = targets.target_for(f'members[value eq "{uuid.uuid4()}"]', "Group", registry)
        assert isinstance(target, targets.Target) and target.filter is not None
    assert len(targets._cache) == before
    assert len(targets._seen_once) <= targets.CACHE_SIZE


def test_a_repeated_filtered_path_is_built_once_it_is_seen_again() -> None:
    text = f'emails[type eq "{uuid.uuid4()}"].value'  # a text no other test has used
    first, second, third = (targets.target_for(text, "User", registry) for _ in range(3))
    assert first is not second and second is third


def test_plain_paths_are_cached_at_once_and_the_cache_is_bounded() -> None:
    assert targets.target_for("displayName", "User", registry) is targets.target_for("displayName", "User", registry)
    for index in range(2 * targets.CACHE_SIZE):  # distinct spellings of one attribute (names are case-insensitive)
        spelling = "".join(c.upper() if index >> i & 1 else c for i, c in enumerate("displayname"))
        targets.target_for(spelling, "User", registry)
    assert len(targets._cache) <= targets.CACHE_SIZE


def test_a_long_path_is_never_cached() -> None:
    text = 'emails[value eq "' + "x" * targets.CACHED_LENGTH + '"]'
    built = [targets.target_for(text, "User", registry) for _ in range(3)]
    assert built[0] is not built[1] and built[1] is not built[2]
