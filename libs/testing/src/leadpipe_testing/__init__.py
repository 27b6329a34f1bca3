"""Test support shared by every package's tests (a dev-only dependency).

- ``plugin``: pytest fixtures for a real NATS JetStream server and a real Postgres, chosen in
  order: explicit URLs (``LEADPIPE_TEST_NATS_URL`` / ``LEADPIPE_TEST_DATABASE_URL``), then
  testcontainers when a Docker engine answers, then embedded servers on free ports in temp dirs.
- ``poll``: bounded polling instead of sleeps; ``ops.is_ready``: a service's /readyz.
- ``faultproxy``: a loopback TCP proxy that injects latency, stalls, outages and cuts.
- ``processes``: a service (or simulator) as a real OS process, to ``kill -9`` and restart.
- ``chaos``: a seeded schedule of crashes over such processes, and the killer that runs it.
- ``strategies``: Hypothesis strategies for every contract.
"""

from leadpipe_testing.faultproxy import FaultProxy
from leadpipe_testing.ops import is_ready
from leadpipe_testing.poll import poll_until

__all__ = ["FaultProxy", "is_ready", "poll_until"]
