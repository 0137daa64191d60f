"""A small thread-safe LRU mapping, for caches of compiled artefacts (filters, projections)."""

from __future__ import annotations

import threading
from collections import OrderedDict

__all__ = ["LruCache"]


class LruCache:
    """At most ``size`` entries; ``get`` refreshes an entry, ``put`` evicts the least recently used."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)
