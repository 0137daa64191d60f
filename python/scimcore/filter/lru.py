"""A small thread-safe LRU mapping: the one cache type of scimcore's compiled artefacts (filters, projections,
native plans, the registry's decode and store plans)."""

from __future__ import annotations

import threading
from collections import OrderedDict

__all__ = ["LruCache"]


class LruCache:
    """At most ``size`` entries; ``get`` refreshes an entry, ``put`` evicts the least recently used.

    ``get`` takes no lock (it is on every decode and search): each ``OrderedDict`` operation is atomic, and an
    entry that another thread evicts between the lookup and the refresh counts as a miss."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict = OrderedDict()
        self._lookup = self._items.get
        self._refresh = self._items.move_to_end
        self._lock = threading.Lock()

    def get(self, key):
        value = self._lookup(key)
        if value is not None:
            try:
                self._refresh(key)
            except KeyError:  # evicted meanwhile by another thread's put: a miss
                return None
        return value

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)
