"""Tolerance policies (docs/semantics.md §Policies): what the RFC says vs what real identity providers send.

``Policy()`` is the default: RFC semantics plus every tolerance that cannot change the meaning of a valid RFC
request. ``Policy.STRICT`` is the RFC to the letter. ``Policy.ENTRA`` adds the tolerances that do change
meaning (Microsoft Entra ID, PEERS-AND-IDP-QUIRKS §8.1). Each tolerance is a named field, so a server can switch
one on alone: ``dataclasses.replace(Policy(), upsert_filtered=True)`` or ``Policy(upsert_filtered=True)``.
Every behaviour that differs under ``Policy.STRICT`` is one of these fields; nothing compares a policy with
``Policy.STRICT``. This module is a leaf: it imports nothing of the package.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class Policy:
    # -- on in the default policy: they cannot change the meaning of a valid RFC request ------------------
    case_insensitive_names: bool = True
    """``op`` values, the ``Operations`` key and attribute names in resources and PATCH values in any case.
    (PATCH paths, and the keys of a path-less value, are paths: case-insensitive always, RFC 7643 §2.1.)"""
    string_booleans: bool = True
    """``"True"``/``"false"`` (any case) accepted where the schema says boolean (Entra)."""
    path_keys_in_values: bool = True
    """Dotted keys (``name.givenName``, ``urn:…:User:manager.value``) and filtered keys in a path-less PATCH value
    are paths (docs/semantics.md §PATCH). Off, a key must be an attribute name, a URN-qualified attribute name or
    an extension URN (the forms RFC 7644 §3.5.2 allows); anything else is ``invalidPath``."""
    remove_missing_is_noop: bool = True
    """``remove`` on an absent attribute, or with a filter matching nothing, changes nothing
    (docs/semantics.md §PATCH)."""
    ignore_read_only_echo: bool = True
    """Read-only ``id``/``meta``/``schemas`` echoed back inside a path-less value, and ``schemas`` inside an
    extension object's value, are ignored (Okta, scim2-tester; docs/semantics.md §PATCH)."""
    ignore_null_ref: bool = True
    """``"$ref": null`` is ignored when matching member values (Entra); off, it matches only members without a
    ``$ref``."""
    attributes_win: bool = True
    """``attributes`` and ``excludedAttributes`` both given: ``attributes`` wins (else ``invalidSyntax``,
    docs/semantics.md §Query)."""
    lenient_patch_message: bool = True
    """A PatchOp may omit ``schemas``, and an empty ``Operations`` array is a no-op (the Entra validator sends
    one). Off, both are ``invalidSyntax`` (RFC 7644 §3.5.2: the PatchOp URN and one or more operations)."""
    ignore_unusable_sort: bool = True
    """A ``sortBy`` that names no sortable attribute (unknown, a whole extension, ``returned: never``) is ignored
    and the order left alone; off, it is ``invalidValue`` (docs/semantics.md §Query)."""
    check_canonical_values: bool = True
    """String values must be one of the schema's ``canonicalValues`` (any case) where it lists them."""

    # -- off by default, on in Policy.ENTRA: these change meaning -------------------------------------------
    upsert_filtered: bool = False
    """``add``/``replace`` ``attr[eq-filter].sub`` with no match creates the element (docs/semantics.md
    §PATCH)."""
    remove_by_value: bool = False
    """``remove`` of a multi-valued attribute with a ``value`` list removes those elements, matched on
    their ``value`` sub-attribute (docs/semantics.md §PATCH)."""
    bare_string_complex: bool = False
    """A bare string for a single-valued complex attribute with a ``value`` sub-attribute becomes
    ``{"value": ...}`` (``"manager": "271"``)."""

    STRICT: ClassVar[Policy]
    ENTRA: ClassVar[Policy]
    DEFAULT: ClassVar[Policy]

    def __repr__(self) -> str:
        changed = [f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if getattr(self, f.name) != f.default]
        return f"Policy({', '.join(changed)})"


Policy.DEFAULT = Policy()
Policy.STRICT = Policy(
    case_insensitive_names=False,
    string_booleans=False,
    path_keys_in_values=False,
    remove_missing_is_noop=False,
    ignore_read_only_echo=False,
    ignore_null_ref=False,
    attributes_win=False,
    lenient_patch_message=False,
    ignore_unusable_sort=False,
)
Policy.ENTRA = Policy(upsert_filtered=True, remove_by_value=True, bare_string_complex=True)


def policy_named(name: str) -> Policy:
    """``"default"``, ``"strict"`` or ``"entra"`` (any case) → the policy; ``ValueError`` for another name."""
    table = {"default": Policy.DEFAULT, "strict": Policy.STRICT, "entra": Policy.ENTRA}
    try:
        return table[name.lower()]
    except (KeyError, AttributeError):
        raise ValueError(f"unknown policy {name!r}: expected default, strict or entra") from None
