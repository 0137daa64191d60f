"""Stores of resources behind one contract (``scimcore.Store``)."""

from .contract import Store, Version

__all__ = ["Store", "Version"]
