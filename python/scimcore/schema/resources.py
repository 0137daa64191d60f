"""msgspec Structs for the SCIM resources (RFC 7643 §3-§8): User, Group, EnterpriseUser and the discovery types.

Python names are snake_case, wire names camelCase (``rename="camel"``), unset fields are omitted on output
(``omit_defaults``). ``$ref`` is ``ref`` in Python. dateTime values (``meta.created``) are aware UTC
``datetime`` objects. Extension objects travel under their URN key: ``User.enterprise_user`` is the
``urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`` object, and every other registered extension is
kept, validated, in ``extensions`` (URN -> JSON object). Use ``scimcore.decode``/``scimcore.encode`` to go to and
from JSON: they validate against the registry, merge ``extensions`` back under their URN keys and never emit
``returned: never`` attributes (``password``). ``msgspec.json.encode`` on these Structs is not SCIM output.

Structs are typed containers; the schema rules (required attributes, canonical values, one primary) are checked
by ``scimcore.decode``, not by the constructors.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from .model import CORE_GROUP, CORE_USER, ENTERPRISE_USER

__all__ = [
    "MAX_RESULTS",
    "RESOURCE_TYPE_SCHEMA",
    "SCHEMA_SCHEMA",
    "SPC_SCHEMA",
    "Address",
    "Attribute",
    "AuthenticationScheme",
    "BulkConfig",
    "Email",
    "EnterpriseUser",
    "Entitlement",
    "FilterConfig",
    "Group",
    "GroupMember",
    "GroupMembership",
    "Im",
    "Manager",
    "Meta",
    "Name",
    "PhoneNumber",
    "Photo",
    "Resource",
    "ResourceType",
    "Role",
    "Schema",
    "SchemaExtension",
    "ScimStruct",
    "ServiceProviderConfig",
    "SubAttribute",
    "Supported",
    "User",
    "X509Certificate",
]

SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"


class ScimStruct(msgspec.Struct, kw_only=True, rename="camel", omit_defaults=True, forbid_unknown_fields=True):
    """Shared configuration: keyword-only, camelCase wire names, unset fields omitted, unknown keys refused
    (``scimcore.decode`` handles case-insensitive names and extension URNs before the Struct is built)."""


class Meta(ScimStruct, kw_only=True):
    """The ``meta`` common attribute (RFC 7643 §3.1); every sub-attribute is readOnly."""

    resource_type: str | None = None
    created: datetime | None = None
    last_modified: datetime | None = None
    location: str | None = None
    version: str | None = None


# -- User sub-attribute types (RFC 7643 §4.1.1, §4.1.2) ------------------------------------------------------


class Name(ScimStruct, kw_only=True):
    """``name`` (RFC 7643 §4.1.1)."""

    formatted: str | None = None
    family_name: str | None = None
    given_name: str | None = None
    middle_name: str | None = None
    honorific_prefix: str | None = None
    honorific_suffix: str | None = None


class _MultiValue(ScimStruct, kw_only=True):
    """The default sub-attributes of a multi-valued attribute (RFC 7643 §2.4)."""

    value: str | None = None
    display: str | None = None
    type: str | None = None
    primary: bool | None = None


class Email(_MultiValue, kw_only=True):
    """An ``emails`` value (RFC 7643 §4.1.2); ``type`` is work, home or other."""


class PhoneNumber(_MultiValue, kw_only=True):
    """A ``phoneNumbers`` value (RFC 7643 §4.1.2), ideally an RFC 3966 ``tel:`` URI."""


class Im(_MultiValue, kw_only=True):
    """An ``ims`` value (RFC 7643 §4.1.2)."""


class Photo(_MultiValue, kw_only=True):
    """A ``photos`` value (RFC 7643 §4.1.2): a URL of an image."""


class Entitlement(_MultiValue, kw_only=True):
    """An ``entitlements`` value (RFC 7643 §4.1.2)."""


class Role(_MultiValue, kw_only=True):
    """A ``roles`` value (RFC 7643 §4.1.2)."""


class X509Certificate(_MultiValue, kw_only=True):
    """An ``x509Certificates`` value (RFC 7643 §4.1.2): one base64 DER certificate."""


class Address(ScimStruct, kw_only=True):
    """An ``addresses`` value (RFC 7643 §4.1.2); ``country`` is ISO 3166-1 alpha-2."""

    formatted: str | None = None
    street_address: str | None = None
    locality: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    type: str | None = None
    primary: bool | None = None


class GroupMembership(ScimStruct, kw_only=True):
    """A ``groups`` value (RFC 7643 §4.1.2); readOnly, managed through the Group resource."""

    value: str | None = None
    ref: str | None = msgspec.field(default=None, name="$ref")
    display: str | None = None
    type: str | None = None


# -- Enterprise User extension (RFC 7643 §4.3) -----------------------------------------------------------------


class Manager(ScimStruct, kw_only=True):
    """The enterprise ``manager`` (RFC 7643 §4.3): ``value`` is the manager's ``id``."""

    value: str | None = None
    ref: str | None = msgspec.field(default=None, name="$ref")
    display_name: str | None = None


class EnterpriseUser(ScimStruct, kw_only=True):
    """The ``urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`` extension object (RFC 7643 §4.3)."""

    employee_number: str | None = None
    cost_center: str | None = None
    organization: str | None = None
    division: str | None = None
    department: str | None = None
    manager: Manager | None = None


# -- resources ---------------------------------------------------------------------------------------------


class _Resource(ScimStruct, kw_only=True):
    """The common attributes (RFC 7643 §3.1) plus ``extensions``: registered extension objects other than
    those with a field of their own, URN -> validated JSON object (merged under their URN keys on output)."""

    schemas: list[str] = msgspec.field(default_factory=list)
    id: str | None = None
    external_id: str | None = None
    meta: Meta | None = None
    extensions: dict[str, dict[str, Any]] = msgspec.field(default_factory=dict)


class User(_Resource, kw_only=True):
    """A User (RFC 7643 §4.1), with the enterprise extension under its URN."""

    schemas: list[str] = msgspec.field(default_factory=lambda: [CORE_USER])
    user_name: str | None = None
    name: Name | None = None
    display_name: str | None = None
    nick_name: str | None = None
    profile_url: str | None = None
    title: str | None = None
    user_type: str | None = None
    preferred_language: str | None = None
    locale: str | None = None
    timezone: str | None = None
    active: bool | None = None
    password: str | None = None
    emails: list[Email] | None = None
    phone_numbers: list[PhoneNumber] | None = None
    ims: list[Im] | None = None
    photos: list[Photo] | None = None
    addresses: list[Address] | None = None
    groups: list[GroupMembership] | None = None
    entitlements: list[Entitlement] | None = None
    roles: list[Role] | None = None
    x509_certificates: list[X509Certificate] | None = None
    enterprise_user: EnterpriseUser | None = msgspec.field(default=None, name=ENTERPRISE_USER)


class GroupMember(ScimStruct, kw_only=True):
    """A ``members`` value (RFC 7643 §4.2): ``value`` is the member's ``id``, ``type`` User or Group."""

    value: str | None = None
    ref: str | None = msgspec.field(default=None, name="$ref")
    display: str | None = None
    type: str | None = None


class Group(_Resource, kw_only=True):
    """A Group (RFC 7643 §4.2)."""

    schemas: list[str] = msgspec.field(default_factory=lambda: [CORE_GROUP])
    display_name: str | None = None
    members: list[GroupMember] | None = None


class Resource(_Resource, kw_only=True):
    """A resource of a type registered without a Struct of its own: the base schema's attributes, validated
    and with their canonical names, in ``attributes`` (name -> JSON value); extensions in ``extensions``.

    ``scimcore.decode`` returns this for such types; ``scimcore.encode`` writes ``attributes`` at the top level.
    """

    resource_type: str = ""
    attributes: dict[str, Any] = msgspec.field(default_factory=dict)


# -- ServiceProviderConfig (RFC 7643 §5) -----------------------------------------------------------------------


class Supported(ScimStruct, kw_only=True, omit_defaults=False):
    """A feature flag: ``{"supported": true}``."""

    supported: bool = False


class BulkConfig(ScimStruct, kw_only=True, omit_defaults=False):
    """``bulk`` (RFC 7643 §5): support and the limits of RFC 7644 §3.7.4."""

    supported: bool = False
    max_operations: int = 0
    max_payload_size: int = 0


MAX_RESULTS = 1000
"""The default result cap (``filter.maxResults``): the most resources one page returns, the same in every store,
in :func:`scimcore.search` and in :meth:`ServiceProviderConfig.build` (docs/semantics.md §Query)."""


class FilterConfig(ScimStruct, kw_only=True, omit_defaults=False):
    """``filter`` (RFC 7643 §5): support and the maximum number of resources returned."""

    supported: bool = False
    max_results: int = 0


class AuthenticationScheme(ScimStruct, kw_only=True):
    """An ``authenticationSchemes`` value (RFC 7643 §5)."""

    type: str
    name: str
    description: str
    spec_uri: str | None = None
    documentation_uri: str | None = None
    primary: bool | None = None


class ServiceProviderConfig(ScimStruct, kw_only=True, omit_defaults=False):
    """The ``/ServiceProviderConfig`` document (RFC 7643 §5). Every feature is always written out.

    ``ServiceProviderConfig.build(...)`` makes one from the features a server enables.
    """

    schemas: list[str] = msgspec.field(default_factory=lambda: [SPC_SCHEMA])
    documentation_uri: str | UnsetType = UNSET
    patch: Supported = msgspec.field(default_factory=Supported)
    bulk: BulkConfig = msgspec.field(default_factory=BulkConfig)
    filter: FilterConfig = msgspec.field(default_factory=FilterConfig)
    change_password: Supported = msgspec.field(default_factory=Supported)
    sort: Supported = msgspec.field(default_factory=Supported)
    etag: Supported = msgspec.field(default_factory=Supported)
    authentication_schemes: list[AuthenticationScheme] = msgspec.field(default_factory=list)
    meta: Meta | UnsetType = UNSET

    @classmethod
    def build(
        cls,
        *,
        patch: bool = True,
        filter: bool = True,
        filter_max_results: int = MAX_RESULTS,
        sort: bool = True,
        etag: bool = False,
        change_password: bool = False,
        bulk: bool = False,
        bulk_max_operations: int = 0,
        bulk_max_payload_size: int = 0,
        authentication_schemes: list[AuthenticationScheme] | tuple = (),
        documentation_uri: str | None = None,
        location: str | None = None,
    ) -> ServiceProviderConfig:
        """The configuration of a server with the given features (RFC 7643 §5).

        The defaults describe what scimcore itself implements: PATCH, filtering (capped at
        ``filter_max_results``) and sorting; bulk, ETags and password change are the server's to declare.
        RFC 7643 §5 requires at least one of ``authentication_schemes``.
        """
        meta = Meta(resource_type="ServiceProviderConfig", location=location) if location else UNSET
        return cls(
            documentation_uri=UNSET if documentation_uri is None else documentation_uri,
            patch=Supported(supported=patch),
            bulk=BulkConfig(
                supported=bulk,
                max_operations=bulk_max_operations if bulk else 0,
                max_payload_size=bulk_max_payload_size if bulk else 0,
            ),
            filter=FilterConfig(supported=filter, max_results=filter_max_results if filter else 0),
            change_password=Supported(supported=change_password),
            sort=Supported(supported=sort),
            etag=Supported(supported=etag),
            authentication_schemes=list(authentication_schemes),
            meta=meta,
        )


# -- ResourceType (RFC 7643 §6) --------------------------------------------------------------------------------


class SchemaExtension(ScimStruct, kw_only=True, omit_defaults=False):
    """A ``schemaExtensions`` value (RFC 7643 §6)."""

    schema: str
    required: bool = False


class ResourceType(ScimStruct, kw_only=True):
    """A ``/ResourceTypes`` entry (RFC 7643 §6)."""

    schemas: list[str] = msgspec.field(default_factory=lambda: [RESOURCE_TYPE_SCHEMA])
    id: str | None = None
    name: str
    description: str | None = None
    endpoint: str
    schema: str
    schema_extensions: list[SchemaExtension] | None = None
    meta: Meta | None = None


# -- Schema (RFC 7643 §7) --------------------------------------------------------------------------------------


class _AttributeFields(ScimStruct, kw_only=True, omit_defaults=False):
    """The characteristics of an attribute definition (RFC 7643 §7), with the §2.2 defaults; optional
    characteristics left out of the input stay out of the output (``UNSET``)."""

    name: str
    type: str = "string"
    multi_valued: bool = False
    description: str | UnsetType = UNSET
    required: bool = False
    canonical_values: list[str] | UnsetType = UNSET
    case_exact: bool | UnsetType = UNSET
    mutability: str = "readWrite"
    returned: str = "default"
    uniqueness: str | UnsetType = UNSET
    reference_types: list[str] | UnsetType = UNSET


class SubAttribute(_AttributeFields, kw_only=True):
    """A sub-attribute definition (RFC 7643 §7 ``subAttributes``). Only the Schema schema itself nests
    ``subAttributes`` one level further (``attributes.subAttributes``)."""

    sub_attributes: list[SubAttribute] | UnsetType = UNSET


class Attribute(_AttributeFields, kw_only=True):
    """An attribute definition (RFC 7643 §7 ``attributes``)."""

    sub_attributes: list[SubAttribute] | UnsetType = UNSET


class Schema(ScimStruct, kw_only=True):
    """A ``/Schemas`` entry (RFC 7643 §7): the definition of a resource or extension schema.

    Can be passed to ``SchemaRegistry.register_schema``.
    """

    schemas: list[str] = msgspec.field(default_factory=lambda: [SCHEMA_SCHEMA])
    id: str
    name: str | None = None
    description: str | None = None
    attributes: list[Attribute] = msgspec.field(default_factory=list)
    meta: Meta | None = None
