"""Client-side pacing: at most so many requests per second, shared by every thread of a client.

Layer: pure (no project imports); it follows ``config.RateLimit``. Off by default: the service's
own limits are answered with 429 and ``Retry-After``, which the transport honours for every
thread at once. Pacing is for accounts that want to stay under a known limit without ever
meeting a 429 -- for example bulk writes at 2 per second (a token bucket, burst 2: see
docs/RELIABILITY.md, B0/default-bulk-writes) -- at the cost of speed: a 1,000-row apply paced at
2 writes/s takes at least 500 s whatever the worker count.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["TokenBucket"]


class TokenBucket:
    """A token bucket that hands out send times: ``reserve()`` says how long to wait first.

    Each call reserves one slot, so concurrent callers are spaced ``1 / rate`` apart in the order
    they asked, and none of them waits holding a lock.

    Args:
        rate: tokens per second.
        burst: the bucket's size (it starts full).
        clock: a monotonic clock (injected in tests).
    """

    def __init__(self, rate: float, burst: int, clock: Callable[[], float]) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._updated = clock()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<TokenBucket {self.rate:g}/s, burst {self.burst}>"

    def reserve(self) -> float:
        """Take one token, possibly in advance.

        Returns:
            Seconds to wait before sending (``0.0`` when a token was there).
        """
        with self._lock:
            now = self._clock()
            self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= 1.0
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate
