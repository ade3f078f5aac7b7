"""In-memory sliding-window rate limits for sign-in and the public form.

Why in memory: the counters exist to slow guessing and flooding, and keeping client addresses in a database
would itself be the identifying metadata the public form promises not to keep. Keys are hashed with a
per-process salt; a restart forgets them, which is acceptable for a throttle.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import deque


class SlidingWindowLimiter:
    """At most ``limit`` events per key in any ``window_s`` seconds."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = limit
        self.window_s = window_s
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._salt = secrets.token_bytes(16)

    def _key(self, key: str) -> str:
        return hashlib.blake2b(key.encode(), key=self._salt, digest_size=16).hexdigest()

    def _recent(self, key: str, now: float) -> deque[float]:
        events = self._events.setdefault(self._key(key), deque())
        while events and events[0] <= now - self.window_s:
            events.popleft()
        return events

    def blocked(self, *keys: str) -> bool:
        """True when any key has used up its allowance (does not count an event)."""
        now = time.monotonic()
        with self._lock:
            return any(len(self._recent(key, now)) >= self.limit for key in keys)

    def hit(self, *keys: str) -> None:
        """Count one event against every key."""
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def allow(self, *keys: str) -> bool:
        """Count an event and say whether it was within the limit (for the public form)."""
        now = time.monotonic()
        with self._lock:
            windows = [self._recent(key, now) for key in keys]
            if any(len(events) >= self.limit for events in windows):
                return False
            for events in windows:
                events.append(now)
            return True

    def reset(self, key: str) -> None:
        with self._lock:
            self._events.pop(self._key(key), None)
