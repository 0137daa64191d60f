"""The public names other code depends on (the project's API contract) exist and keep their meaning."""

from __future__ import annotations

import subprocess
import sys

import pytest

import scimcore

PUBLIC = """parse_filter parse_path filter_to_json BACKEND compile_filter apply_patch Policy User Group EnterpriseUser
ListResponse PatchOp SearchRequest Error ServiceProviderConfig ResourceType Schema BulkRequest BulkResponse
registry SchemaRegistry decode encode normalize search project Directory to_sql SqlDirectory""".split()

ERRORS = [
    (scimcore.InvalidFilter, 400, "invalidFilter"),
    (scimcore.InvalidPath, 400, "invalidPath"),
    (scimcore.NoTarget, 400, "noTarget"),
    (scimcore.InvalidValue, 400, "invalidValue"),
    (scimcore.Mutability, 400, "mutability"),
    (scimcore.InvalidSyntax, 400, "invalidSyntax"),
    (scimcore.Uniqueness, 409, "uniqueness"),
    (scimcore.TooMany, 400, "tooMany"),
]


@pytest.mark.parametrize("name", PUBLIC)
def test_public_name_exists_and_is_listed(name):
    assert getattr(scimcore, name) is not None
    assert name in scimcore.__all__


@pytest.mark.parametrize("cls, status, scim_type", ERRORS, ids=[c.__name__ for c, _, _ in ERRORS])
def test_errors_take_detail_first_and_render_the_rfc_message(cls, status, scim_type):
    error = cls("what went wrong")
    assert isinstance(error, scimcore.ScimError)
    assert (error.status, error.scim_type, error.detail) == (status, scim_type, "what went wrong")
    body = scimcore.encode(error.to_error())
    assert body == (
        b'{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"%d","scimType":"%s",'
        b'"detail":"what went wrong"}' % (status, scim_type.encode())
    )


def test_policies_and_backend():
    assert scimcore.Policy() != scimcore.Policy.STRICT != scimcore.Policy.ENTRA
    assert scimcore.Policy.ENTRA.upsert_filtered and not scimcore.Policy().upsert_filtered
    assert scimcore.BACKEND in ("native", "python")


def test_import_builds_nothing_heavy():
    """``import scimcore`` loads no grammar, schema, native module or msgspec decoder."""
    code = (
        "import sys, scimcore; heavy = [m for m in ('lark', 'scimcore._native', 'scimcore.schema.default', "
        "'scimcore.filter.lark_parser', 'msgspec') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
