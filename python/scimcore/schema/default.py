"""``scimcore.registry``: the default registry (core User, Group, EnterpriseUser), built on first use."""

from .registry import SchemaRegistry

registry = SchemaRegistry.default()
