"""A small per-process cache with expiry, for answers read on every request that change rarely
(which society a host belongs to, whether a society is read-only).

Each process keeps its own copy, so an answer may be up to ``ttl`` seconds old in other
processes; the process that changes the underlying row calls :meth:`TTLCache.forget`.
"""

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any


class TTLCache:
    def __init__(self, ttl: float, *, negative_ttl: float | None = None):
        self.ttl = ttl
        # How long a None answer is kept (e.g. an unknown host: short, so a new society shows up soon).
        self.negative_ttl = ttl if negative_ttl is None else negative_ttl
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[float, Any]] = {}

    def get_or_load(self, key: Hashable, load: Callable[[], Any]) -> Any:
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit and hit[0] > now:
            return hit[1]
        value = load()
        with self._lock:
            self._entries[key] = (now + (self.ttl if value is not None else self.negative_ttl), value)
        return value

    def forget(self, key: Hashable | None = None) -> None:
        with self._lock:
            if key is None:
                self._entries.clear()
            else:
                self._entries.pop(key, None)
