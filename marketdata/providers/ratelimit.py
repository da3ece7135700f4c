"""A thread-safe sliding-window rate limiter (per process), with an injectable clock."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """At most ``rate`` acquisitions in any ``per`` seconds; ``acquire`` sleeps until allowed."""

    def __init__(
        self,
        rate: int,
        per: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate < 1:
            raise ValueError("rate must be at least 1")
        self.rate, self.per = rate, per
        self.clock, self.sleep = clock, sleep
        self._calls: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for a slot; returns the seconds slept."""
        slept = 0.0
        with self._lock:
            while True:
                now = self.clock()
                while self._calls and now - self._calls[0] >= self.per:
                    self._calls.popleft()
                if len(self._calls) < self.rate:
                    self._calls.append(now)
                    return slept
                wait = self.per - (now - self._calls[0])
                self.sleep(wait)
                slept += wait
