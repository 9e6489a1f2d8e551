"""A per-client retry budget: during an outage the client stops retrying instead of adding load.

Layer: pure (no project imports). Like the retry quota of the AWS SDKs (docs/RELIABILITY.md,
B0/default-retry-budget; docs/DESIGN.md, R14): every retry takes tokens from one bucket shared by
all of a client's threads, every success puts one back. While the API keeps failing, the bucket
empties and each call fails after its first attempt -- 100 calls against a server that answers only
503 cost at most 100 + capacity / cost requests, not 100 x attempts. Once calls succeed again the
bucket refills and retries resume.
"""

from __future__ import annotations

import threading

__all__ = ["RetryBudget"]


class RetryBudget:
    """A thread-safe token bucket for retries.

    Args:
        capacity: tokens when full; ``0`` allows no retry at all.

    Attributes:
        capacity: tokens when full.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 0:
            raise ValueError("a retry budget cannot be negative")
        self.capacity = capacity
        self._tokens = capacity
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<RetryBudget {self.available}/{self.capacity}>"

    @property
    def available(self) -> int:
        """Tokens left."""
        with self._lock:
            return self._tokens

    def try_spend(self, cost: int) -> bool:
        """Take ``cost`` tokens for one retry, if there are that many.

        Args:
            cost: tokens the retry takes.

        Returns:
            True when the retry may go ahead; False when the budget is spent (nothing is taken).
        """
        with self._lock:
            if cost > self._tokens:
                return False
            self._tokens -= cost
            return True

    def refund(self, tokens: int = 1) -> None:
        """Put tokens back after a success, up to the capacity."""
        with self._lock:
            self._tokens = min(self.capacity, self._tokens + tokens)
