"""Garbage collection for a long-running service process.

With CPython's default thresholds (a young collection every 700 net allocations), a busy
service runs a full collection every few seconds, and a full collection walks every tracked
object of the process: 40-60 ms in query-api, which every request in flight waits out (its
p99 at 64 concurrent clients was set by them). Once a service is up, what it built while
starting (modules, the app, compiled schemas, pools) lives as long as the process: it is moved
out of the collector's view, and young collections run every 20,000 allocations, so full
collections are rare and walk only what was created since. Objects freed by reference counting,
which is nearly all of a request's garbage, are freed at once as before.
"""

from __future__ import annotations

import gc
from typing import Final

YOUNG_THRESHOLD: Final = 20_000


def settle_after_start() -> None:
    """Collect once, freeze what survives, and make young collections rarer (see module)."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
