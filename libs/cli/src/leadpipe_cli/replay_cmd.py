"""``leadpipe replay``: re-deliver a service's history (its state must end identical)."""

from __future__ import annotations

import datetime as dt
import re

from leadpipe_bus import ConnectionState, ReplayResult, Topology, connect, replay

_RELATIVE = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_since(text: str, now: dt.datetime | None = None) -> dt.datetime:
    """An ISO 8601 time (UTC when no zone is given) or a relative one such as ``2h`` or ``7d``.

    Raises:
        ValueError: Neither form.
    """
    match = _RELATIVE.match(text.strip())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        return (now or dt.datetime.now(dt.UTC)) - dt.timedelta(**{_UNITS[unit]: amount})
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is neither an ISO 8601 time nor like 30m, 2h, 7d") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


async def run_replay(
    nats_url: str,
    namespace: str,
    service: str,
    *,
    since: dt.datetime | None,
    from_sequence: int | None,
    subject: str | None,
) -> list[ReplayResult]:
    """Reset the service's consumers; the running service then receives the history again."""
    state = ConnectionState()
    client = await connect(nats_url, name="leadpipe-replay", state=state, initial_timeout=10)
    try:
        return await replay(
            client.jetstream(),
            Topology(namespace),
            service,
            since=since,
            from_sequence=from_sequence,
            subject=subject,
        )
    finally:
        state.closing = True
        await client.close()
