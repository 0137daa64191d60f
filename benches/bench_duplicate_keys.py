"""The repeated-name check of request bodies costs little next to decoding them (issue 17; docs/semantics.md
§Protocol): the service's body read (``load_json`` then ``check_unique_keys``, the native scan) against
``load_json`` alone, on a typical Entra/Okta create body (about 650 bytes) and on a Bulk body of 1,000 of them
(about 700 KB). Interleaved, best of 9 (``timing.py``). Measured on the 2-core development machine: 1.53-1.57x on
the create body (the scan and its call add about 0.9 us to 1.7 us of decoding), 1.21-1.47x on the Bulk body; the
bound is 2.0x for both (the check at most doubles the decoding). The whole request is ``bench_service.py``'s.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec
import pytest

from scimcore.schema.wire import load_json
from scimcore.service import json_keys
from timing import ratio, require, size

pytest.importorskip("scimcore._native")

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CREATE = {
    "schemas": [USER, ENTERPRISE],
    "userName": "alice.smith@example.com",
    "externalId": "0a21f0f2-8d2a-4f8e-97fa-9b0f1c2d3e4f",
    "active": True,
    "name": {"givenName": "Alice", "familyName": "Smith", "formatted": "Alice Smith"},
    "displayName": "Alice Smith",
    "title": "Engineer",
    "emails": [{"value": "alice.smith@example.com", "type": "work", "primary": True}],
    "phoneNumbers": [{"value": "+1 555 0100", "type": "work"}],
    ENTERPRISE: {
        "employeeNumber": "42",
        "department": "Tour Operations",
        "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"},
    },
}
BULK = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
    "Operations": [{"method": "POST", "path": "/Users", "bulkId": str(n), "data": CREATE} for n in range(1000)],
}


def _runs(body: bytes, times: int) -> tuple[Callable[[], None], Callable[[], None]]:
    check = json_keys.check_unique_keys
    limit = len(body)

    def decode() -> None:
        for _ in range(times):
            load_json(body, max_bytes=limit, what="request body")

    def decode_and_check() -> None:
        for _ in range(times):
            load_json(body, max_bytes=limit, what="request body")
            check(body)

    return decode_and_check, decode


@pytest.mark.parametrize(
    ("name", "document", "times", "bound"),
    [("create body", CREATE, size(2000, 20000), 2.0), ("Bulk body of 1,000 creates", BULK, size(2, 20), 2.0)],
)
def test_the_check_costs_little_next_to_decoding(name: str, document: object, times: int, bound: float) -> None:
    body = msgspec.json.encode(document)
    assert json_keys._scan is not json_keys.python_repeated_key  # the native scan is what is measured
    subject, baseline = _runs(body, times)
    require(
        f"decode + repeated-name check vs decode, {name} ({len(body):,} bytes)",
        lambda: ratio(subject, baseline, rounds=9),
        at_most=bound,
    )
