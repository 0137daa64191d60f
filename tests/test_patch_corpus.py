"""Replays tests/corpus/patch_cases.json (RFC 7644 §3.5.2 examples, docs/semantics.md rules, IdP quirks).

Every case runs as a list of operations and as a full PatchOp message; the input must come back unmodified
(byte for byte) whether the request succeeds or fails.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import msgspec
import pytest

import scimcore
from scimcore.policy import policy_named

CORPUS = Path(__file__).parent / "corpus"
CASES = json.loads((CORPUS / "patch_cases.json").read_text("utf-8"))
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def load_fixture(name: str) -> dict:
    own = CORPUS / "patch" / f"{name}.json"
    path = own if own.exists() else CORPUS / "resources" / f"{name}.json"
    return json.loads(path.read_text("utf-8"))


def resource_of(case) -> dict:
    return load_fixture(case["resource"]) if isinstance(case["resource"], str) else copy.deepcopy(case["resource"])


@pytest.mark.parametrize("as_message", [False, True], ids=["operations", "message"])
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case, as_message):
    resource = resource_of(case)
    before = msgspec.json.encode(resource)
    patch = {"schemas": [PATCH_OP], "Operations": case["operations"]} if as_message else case["operations"]
    policy = policy_named(case["policy"])
    if "error" in case:
        with pytest.raises(scimcore.ScimError) as caught:
            scimcore.apply_patch(resource, patch, resource_type=case["resource_type"], policy=policy)
        assert caught.value.scim_type == case["error"], caught.value.detail
        assert caught.value.status == 400
    else:
        result = scimcore.apply_patch(resource, patch, resource_type=case["resource_type"], policy=policy, report=True)
        assert result.resource == case["expect"]
        assert result.changed is case["changed"]
        assert result.resource is not resource
    assert msgspec.json.encode(resource) == before


def test_every_rfc_patch_example_is_covered():
    examples = json.loads((CORPUS / "rfc7644-examples.json").read_text("utf-8"))["patch_requests"]
    assert len(examples) == 12
    case_operations = [json.dumps(c["operations"], sort_keys=True) for c in CASES]
    for example in examples:
        operations = json.dumps(example["json"]["Operations"], sort_keys=True)
        if example["id"] == "fig6-structure":  # the same body as add-member
            continue
        assert operations in case_operations, f"RFC example {example['id']} has no case with its exact body"


def test_corpus_file_is_built_from_the_builder():
    sys.path.insert(0, str(CORPUS / "patch"))
    try:
        import build_cases
    finally:
        sys.path.pop(0)
    assert build_cases.render() == (CORPUS / "patch_cases.json").read_text("utf-8"), (
        "run python tests/corpus/patch/build_cases.py"
    )


def test_corpus_covers_every_outcome():
    errors = {c["error"] for c in CASES if "error" in c}
    assert {"noTarget", "invalidPath", "invalidFilter", "invalidValue", "mutability", "invalidSyntax"} <= errors
    assert {c["policy"] for c in CASES} == {"default", "strict", "entra"}
    assert any(c.get("changed") is False for c in CASES) and any(c.get("changed") for c in CASES)
