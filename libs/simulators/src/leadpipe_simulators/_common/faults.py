"""Faults injected into API calls on demand: bursts of 5xx answers and added latency.

Latency is in real seconds, not simulated ones: it exists to exercise client timeouts, which are
measured in real time even when the simulator's clock is accelerated.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class HttpFaults:
    """Switches read by a simulator's middleware on every API call (never on /_sim/ calls)."""

    latency: float = 0.0
    fail_remaining: int = 0
    fail_status: int = 500
    failures_served: int = 0

    def fail_next(self, count: int, status: int = 500) -> None:
        """Answer the next ``count`` API calls with ``status`` (a 5xx) instead of serving them."""
        if count < 0:
            raise ValueError("count must not be negative")
        if not 500 <= status <= 599:
            raise ValueError(f"a failure burst needs a 5xx status, got {status}")
        self.fail_remaining = count
        self.fail_status = status

    def set_latency(self, seconds: float) -> None:
        """Delay every API call by ``seconds`` of real time before it is handled."""
        if seconds < 0:
            raise ValueError("latency must not be negative")
        self.latency = seconds

    def take_failure(self) -> int | None:
        """The status to fail this call with, consuming one from the burst, or None."""
        if self.fail_remaining <= 0:
            return None
        self.fail_remaining -= 1
        self.failures_served += 1
        return self.fail_status

    def clear(self) -> None:
        """Switch every fault off."""
        self.latency = 0.0
        self.fail_remaining = 0
        self.fail_status = 500

    def snapshot(self) -> dict[str, object]:
        """The current switches, for /_sim/ stats."""
        return {
            "latency": self.latency,
            "fail_remaining": self.fail_remaining,
            "fail_status": self.fail_status,
            "failures_served": self.failures_served,
        }
