"""The gateway engine: admits requests, spends the quota one call at a time, answers.

One dispatch loop decides every upstream call. It takes the best job (strict priority, FIFO,
duplicates coalesced — ``scheduler``) as soon as the lease is held, the breaker allows a call,
the limiter allows one, a persisted call slot is left and fewer than ``max_in_flight`` calls
are running; it records the call in the limiter and starts it. Because only this loop records
calls, the limiter's law holds for the whole process. Slots are written to the persisted log
over the lease session *before* they can be used (``reservations``), a little ahead of need by
a second task, so the law holds across restarts and leader changes without a database round
trip on any call's path.

A call's slot (``max_in_flight``) is held only for the upstream call and the handling of its
reply: publishing the responses and acknowledging the requests run in the background, bounded,
so a slow broker acknowledgement never idles the quota.

Requests wait in memory while the quota or the breaker says "not yet": their messages get
progress heartbeats, so waiting never burns a delivery attempt. Only genuine failures end in a
``failed`` response: malformed requests (answered without a call), a rejected key (401),
Companies House errors that persisted through ``max_attempts`` and malformed upstream JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

import msgspec
from opentelemetry import context as otel_context

from ch_gateway import metrics, tracing
from ch_gateway.adapters.lease import CallLog, LeaseLost
from ch_gateway.adapters.upstream import Reply, TransportFailure, Upstream
from ch_gateway.breaker import Breaker, BreakerState, OpenReason, backoff
from ch_gateway.domain import (
    RANK,
    Invalid,
    MalformedUpstream,
    RequestView,
    document_etag,
    page_params,
    target_of,
)
from ch_gateway.limiter import RateHeaders, SlidingWindowLimiter, parse_rate_headers
from ch_gateway.reservations import Reservations
from ch_gateway.scheduler import Job, Scheduler
from ch_gateway.settings import Settings
from leadpipe_contracts import derive_id, utcnow
from leadpipe_contracts.gateway import (
    NO_BODY,
    GatewayResponse,
    Priority,
    RequestKind,
    ResponseStatus,
)
from leadpipe_contracts.status import GatewayStatus

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Publish = Callable[[GatewayResponse], Awaitable[None]]

UNAUTHORISED_REASON = (
    "Companies House rejected the API key (401 Invalid Authorization): check "
    "LEADPIPE_CH_API_KEY; calls are stopped until it is fixed"
)


class Ticket(Protocol):
    """The broker's handle on one request message."""

    @property
    def deliveries(self) -> int:
        """1 on first delivery."""
        ...

    @property
    def sequence(self) -> int:
        """Position in the request stream (FIFO order)."""
        ...

    async def ack(self) -> None:
        """The request is answered."""
        ...

    async def release(self) -> None:
        """Give the message back for prompt redelivery (step-down, shutdown)."""
        ...

    async def retry_later(self, reason: str) -> None:
        """The answer could not be published: redeliver later, or dead-letter when exhausted."""
        ...

    async def in_progress(self) -> None:
        """Still working on it: extend the ack deadline."""
        ...


@dataclasses.dataclass(eq=False)
class Waiter:
    """One request held by the gateway until it is answered."""

    request: RequestView
    priority: Priority
    ticket: Ticket
    published_at: float
    # The context it was admitted in: its request's trace, continued by the call and answer.
    trace: otel_context.Context = dataclasses.field(default_factory=otel_context.get_current)

    @property
    def rank(self) -> int:
        """Priority rank: 0 high, 1 normal, 2 low."""
        return RANK[self.priority]


@dataclasses.dataclass(frozen=True)
class Outcome:
    """How a job ends."""

    status: ResponseStatus
    body: msgspec.Raw = dataclasses.field(default_factory=lambda: NO_BODY)
    etag: str | None = None
    reason: str | None = None
    upstream_status: int | None = None


class Gateway:
    """See the module docstring.

    Args:
        settings: Limits, timeouts, breaker thresholds.
        upstream: Companies House.
        call_log: The persisted call log and lock-out (the lease session).
        publish: Publishes one response (raises when it cannot).
        clock: Epoch seconds; shared with the call log so windows survive restarts.
        on_change: Called when the number of held requests or the leadership changes.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        upstream: Upstream,
        call_log: CallLog,
        publish: Publish,
        clock: Clock = time.time,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self._settings = settings
        self._upstream = upstream
        self._log = call_log
        self._publish = publish
        self._clock = clock
        self._on_change = on_change
        self._limiter = self._new_limiter([])
        self._breaker = self._new_breaker()
        self._scheduler: Scheduler[Waiter] = Scheduler()
        self._changed = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._answering: set[asyncio.Task[None]] = set()
        self._delivering: set[Waiter] = set()
        self._max_answering = 8 * settings.max_in_flight
        self._slots = Reservations()
        self._reserve = asyncio.Event()
        self._term = 0
        self._leader = False
        self._last_rate = RateHeaders()
        self._lost_lease: Callable[[], Awaitable[None]] | None = None

    # -- state ---------------------------------------------------------------------------------

    def _new_limiter(self, history: list[float]) -> SlidingWindowLimiter:
        s = self._settings
        return SlidingWindowLimiter(
            s.budget, s.ch_rate_window_seconds, slices=s.ch_rate_slices, history=history
        )

    def _new_breaker(self) -> Breaker:
        s = self._settings
        return Breaker(
            window=s.ch_rate_window_seconds,
            failure_threshold=s.breaker_failures,
            cooldown=s.breaker_cooldown_seconds,
            cooldown_cap=s.breaker_cooldown_cap_seconds,
            rate_limit_margin=s.rate_limit_margin_seconds,
            auth_retry=s.auth_retry_seconds,
        )

    @property
    def leader(self) -> bool:
        """Whether this instance may call Companies House."""
        return self._leader

    @property
    def limiter(self) -> SlidingWindowLimiter:
        """The quota state (read-only use: metrics, status)."""
        return self._limiter

    def breaker_state(self) -> BreakerState:
        """The breaker's state now."""
        return self._breaker.state(self._clock())

    def breaker_reason(self) -> OpenReason | None:
        """Why the breaker is not closed."""
        return self._breaker.reason

    def held(self, priority: Priority) -> int:
        """Requests of ``priority`` held in memory (queued or in flight)."""
        return self._scheduler.held(RANK[priority])

    def notify_with(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` when held counts or the leadership change (the feeder's cue)."""
        self._on_change = callback

    def on_lease_lost(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Register what to do when a call-log write shows the lease is gone."""
        self._lost_lease = callback

    def _wake(self) -> None:
        self._changed.set()

    # -- leadership ----------------------------------------------------------------------------

    async def become_leader(self) -> None:
        """Start spending the quota, from the persisted log and lock-out.

        Raises:
            LeaseLost: The state could not be loaded; stay standby.
        """
        now = self._clock()
        history = await self._log.load(now - 2 * self._settings.ch_rate_window_seconds)
        self._limiter = self._new_limiter(history)
        self._breaker = self._new_breaker()
        lockout = await self._log.load_breaker()
        if lockout is not None and lockout[0] > now:
            with contextlib.suppress(ValueError):
                self._breaker.restore(lockout[0], OpenReason(lockout[1]))
        self._slots.clear()
        self._term += 1
        self._leader = True
        metrics.LEADER.set(1)
        log.info(
            "leader lease taken",
            extra={"calls_in_window": self._limiter.used(now), "breaker": self.breaker_state()},
        )
        self._wake()
        self._on_change()

    async def step_down(self) -> None:
        """Stop calling; give every queued request back to the broker for the next leader."""
        if self._leader:
            log.warning("leader lease lost: standing by")
        self._leader = False
        self._term += 1
        self._slots.clear()
        metrics.LEADER.set(0)
        await self._release(self._scheduler.drain())
        self._wake()
        self._on_change()

    async def shutdown(self, grace: float) -> None:
        """Let calls in flight finish for ``grace`` seconds, then release everything held."""
        self._leader = False
        self._term += 1
        self._slots.clear()
        metrics.LEADER.set(0)
        deadline = time.monotonic() + grace
        for tasks in (self._in_flight, self._answering):
            if tasks:
                left = max(0.0, deadline - time.monotonic())
                _, pending = await asyncio.wait(set(tasks), timeout=left)
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
        jobs = list(self._scheduler.jobs())
        for job in jobs:
            self._scheduler.finish(job)
        await self._release(jobs)

    async def _release(self, jobs: list[Job[Waiter]]) -> None:
        tickets = [waiter.ticket for job in jobs for waiter in job.waiters]
        await asyncio.gather(*(t.release() for t in tickets), return_exceptions=True)

    # -- admission -----------------------------------------------------------------------------

    async def admit(
        self, request: RequestView, priority: Priority, ticket: Ticket, published_at: float
    ) -> None:
        """Take one request: answer it at once if it is malformed, else queue it."""
        if not self._leader:
            await ticket.release()
            return
        waiter = Waiter(request, priority, ticket, published_at)
        try:
            target = target_of(request)
        except Invalid as exc:
            await self._answer(
                [waiter],
                request_kind(request),
                Outcome(ResponseStatus.FAILED, reason=str(exc)),
                calls=0,
            )
            return
        if self._breaker.fails_fast(self._clock()):
            await self._answer(
                [waiter],
                target.kind,
                Outcome(ResponseStatus.FAILED, reason=UNAUTHORISED_REASON, upstream_status=401),
                calls=0,
            )
            return
        _, joined = self._scheduler.add(target, waiter, ticket.sequence)
        if joined:
            metrics.COALESCED.inc()
        self._wake()

    # -- dispatch ------------------------------------------------------------------------------

    def _next_call_at(self, now: float) -> float | None:
        """When the next call may start (``<= now``: at once), or None to wait for a change.

        Persisted slots are not considered here: the dispatch loop asks for them when this
        says "now".
        """
        if not self._leader:
            return None
        if self._scheduler.peek(now) is None:
            return self._scheduler.next_ready_at()
        if len(self._in_flight) >= self._settings.max_in_flight:
            return None
        if len(self._answering) >= self._max_answering:
            return None
        breaker_at = self._breaker.next_allowed(now)
        if breaker_at is None:
            return None
        when = max(breaker_at, self._limiter.next_allowed(now))
        # Every call the window allows is in flight: the next reply wakes the loop.
        return None if math.isinf(when) else when

    async def run(self) -> None:
        """The dispatch loop and the slot writer (for the life of the service; idle while
        standby)."""
        await asyncio.gather(self._dispatch_loop(), self._reserve_loop())

    async def _dispatch_loop(self) -> None:
        while True:
            self._changed.clear()
            now = self._clock()
            when = self._next_call_at(now)
            if when is not None and when <= now:
                if self._dispatch(now):
                    continue
                when = None  # no persisted slot left: the slot writer wakes us
            timeout = None if when is None else max(when - now, 0.001)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout)

    @property
    def _horizon(self) -> float:
        """How far ahead slots are persisted (at most half a window)."""
        s = self._settings
        return min(s.call_reservation_seconds, s.ch_rate_window_seconds / 2)

    def _slots_wanted(self, now: float) -> int:
        """Slots to persist now: the calls the limiter could grant over the horizon, capped by
        the requests waiting, less the slots still held (unused slots only ever make a later
        leader more careful, so the estimate errs on the side of few)."""
        if not self._leader or self._scheduler.peek(now) is None:
            return 0
        held = self._slots.valid(now)
        waiting = max(1, len(self._scheduler) - len(self._in_flight))
        # Asking for no more than can be used keeps the prediction short with a huge budget.
        grantable = self._limiter.grantable(now, now + self._horizon, at_most=waiting + held)
        return max(0, min(waiting, grantable) - held)

    def _slots_low(self, now: float) -> bool:
        """Fewer slots left than half a horizon of calls at the even rate."""
        half = self._horizon / 2
        return self._slots.valid(now) <= math.ceil(half / self._limiter.interval)

    async def _reserve_loop(self) -> None:
        """Persist call slots ahead of use (see ``reservations``)."""
        while True:
            await self._reserve.wait()
            self._reserve.clear()
            now = self._clock()
            count = self._slots_wanted(now)
            if count == 0:
                self._wake()  # nothing to persist now: the dispatch loop waits on the limiter
                continue
            term, until = self._term, now + self._horizon
            try:
                await self._log.record([until] * count)
            except LeaseLost as exc:
                log.error("call log write failed; not calling: %s", exc)
                if self._term == term:
                    if self._lost_lease is not None:
                        await self._lost_lease()
                    else:
                        await self.step_down()
                continue
            if self._term == term:
                self._slots.add(count, until)
                self._wake()

    def _dispatch(self, at: float) -> bool:
        """Start every call allowed at ``at``; False when a persisted slot was missing."""
        granted = time.perf_counter()
        room = self._settings.max_in_flight - len(self._in_flight)
        started = 0
        missing = False
        while started < room:
            breaker_at = self._breaker.next_allowed(at)
            if breaker_at is None or breaker_at > at or self._limiter.next_allowed(at) > at:
                break
            if self._scheduler.peek(at) is None:
                break
            if not self._slots.take(at):
                missing = True
                break
            job = self._scheduler.pop(at)
            assert job is not None  # peeked above
            self._limiter.start(at)
            self._breaker.on_dispatch(at)
            self._start(job, at, granted)
            started += 1
        if missing or (started and self._slots_low(at)):
            # Running low: the slot writer persists the next block while these calls run.
            self._reserve.set()
        if started:
            metrics.CALLS_USED.set(self._limiter.used(at))
            metrics.CALLS_REMAINING.set(self._limiter.remaining(at))
        return not missing

    def _start(self, job: Job[Waiter], at: float, granted: float) -> None:
        job.calls += 1
        if not job.dispatched:
            job.dispatched = True
            for waiter in job.waiters:
                metrics.WAIT_SECONDS.labels(waiter.priority.value).observe(
                    max(0.0, at - waiter.published_at)
                )
        task = asyncio.create_task(self._call(job, at, granted, self._limiter))
        self._in_flight.add(task)
        task.add_done_callback(self._call_done)

    def _call_done(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("upstream call handling crashed", exc_info=task.exception())
        self._wake()

    async def _call(
        self, job: Job[Waiter], dispatched_at: float, granted: float, limiter: SlidingWindowLimiter
    ) -> None:
        target = job.target
        params = page_params(target, job.pages.next_start or 0)
        began = time.perf_counter()
        try:
            with tracing.calling(job):
                reply: Reply | None = await self._upstream.get(target.path, params)
            failure = None
        except TransportFailure as exc:
            reply, failure = None, str(exc)
        finally:
            # The server has counted the call by now if ever: count it at this moment (the
            # limiter it was started on, even if leadership changed meanwhile).
            limiter.settle(self._clock())
        ended = time.perf_counter()
        metrics.UPSTREAM_SECONDS.observe(ended - began)
        try:
            if reply is None:
                label = "timeout" if failure and "timed out" in failure else "connection"
                metrics.UPSTREAM_RESPONSES.labels(label).inc()
                await self._failed_attempt(job, f"no answer from Companies House: {failure}")
            else:
                metrics.UPSTREAM_RESPONSES.labels(str(reply.status)).inc()
                await self._on_reply(job, reply, dispatched_at)
        except Exception:
            # Never leave a request unanswered and unreleased because one answer was odd.
            log.exception("could not handle the reply for %s", target.path)
            self._end(job, Outcome(ResponseStatus.FAILED, reason="internal gateway error"))
        # The gateway's own time on this call's path: from the grant to the request going out,
        # and from the reply to the responses handed to the broker (or the job requeued).
        metrics.OVERHEAD_SECONDS.observe((began - granted) + (time.perf_counter() - ended))

    # -- replies -------------------------------------------------------------------------------

    def _adapt(self, rate: RateHeaders, dispatched_at: float, replied_at: float) -> None:
        if not rate.present:
            return
        self._last_rate = rate
        if rate.limit is not None:
            self._limiter.tighten(budget=rate.limit - self._settings.ch_rate_guard)
        if rate.window is not None:
            self._limiter.tighten(window=rate.window)
        if rate.remaining is not None:
            metrics.UPSTREAM_REMAINING.set(rate.remaining)
            if rate.reset_at is not None:
                self._limiter.observe(
                    remaining=rate.remaining,
                    reset_at=rate.reset_at,
                    dispatched_at=dispatched_at,
                    replied_at=replied_at,
                )

    async def _on_reply(self, job: Job[Waiter], reply: Reply, dispatched_at: float) -> None:
        now = self._clock()
        rate = parse_rate_headers(reply.headers)
        self._adapt(rate, dispatched_at, now)
        status = reply.status
        if status in (429, 403):
            self._breaker.on_rate_limited(now, rate.reset_at, ip=status == 403)
            log.error(
                "Companies House %s: breaker open for every request",
                "IP limit (403)" if status == 403 else "rate limit (429)",
                extra={"open_until": self._breaker.open_until, "path": job.target.path},
            )
            with contextlib.suppress(LeaseLost):
                await self._log.save_breaker(
                    self._breaker.open_until, (self._breaker.reason or OpenReason.RATE_LIMITED)
                )
            self._requeue(job)
            return
        if status == 401:
            self._breaker.on_unauthorised(now)
            log.critical(UNAUTHORISED_REASON)
            refused = Outcome(
                ResponseStatus.FAILED, reason=UNAUTHORISED_REASON, upstream_status=401
            )
            self._end(job, refused)
            for queued in self._scheduler.drain():  # drained jobs are already finished
                await self._answer(queued.waiters, queued.target.kind, refused, calls=queued.calls)
            self._on_change()
            return
        if status >= 500:
            await self._failed_attempt(job, f"Companies House answered {status}", status)
            return
        self._breaker.on_success(now)
        if status == 404:
            self._end(job, Outcome(ResponseStatus.NOT_FOUND, upstream_status=404))
            return
        if status != 200:
            excerpt = reply.body[:200].decode("utf-8", "replace")
            self._end(
                job,
                Outcome(
                    ResponseStatus.FAILED,
                    reason=f"Companies House answered {status}: {excerpt}",
                    upstream_status=status,
                ),
            )
            return
        job.attempts = 0
        try:
            if job.target.kind is RequestKind.OFFICER_LIST:
                job.pages.add(reply.body)
                if job.pages.next_start is not None:
                    self._requeue(job)
                    return
                outcome = Outcome(
                    ResponseStatus.OK,
                    msgspec.Raw(job.pages.document()),
                    job.pages.etag,
                    upstream_status=200,
                )
            else:
                etag = document_etag(reply.body, reply.headers)
                outcome = Outcome(
                    ResponseStatus.OK, msgspec.Raw(reply.body), etag, upstream_status=200
                )
        except MalformedUpstream as exc:
            outcome = Outcome(ResponseStatus.FAILED, reason=str(exc), upstream_status=200)
        self._end(job, outcome)

    async def _failed_attempt(
        self, job: Job[Waiter], reason: str, status: int | None = None
    ) -> None:
        now = self._clock()
        if self._breaker.on_failure(now):
            log.error(
                "breaker open after repeated failures",
                extra={"reason": reason, "open_until": self._breaker.open_until},
            )
        job.attempts += 1
        if job.attempts >= self._settings.max_attempts:
            self._end(
                job,
                Outcome(
                    ResponseStatus.FAILED,
                    reason=f"{reason} ({job.attempts} attempts)",
                    upstream_status=status,
                ),
            )
            return
        s = self._settings
        self._requeue(job, now + backoff(job.attempts, s.retry_base_seconds, s.retry_cap_seconds))

    def _requeue(self, job: Job[Waiter], ready_at: float = 0.0) -> None:
        if self._leader:
            self._scheduler.requeue(job, ready_at)
            return
        self._scheduler.finish(job)
        task = asyncio.create_task(self._release([job]))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    def _end(self, job: Job[Waiter], outcome: Outcome) -> None:
        """Finish a job: its responses are built now and published in the background."""
        waiters = self._scheduler.finish(job)
        answers = self._responses(waiters, job.target.kind, outcome, calls=job.calls)
        task = asyncio.create_task(self._deliver(answers, outcome, time.perf_counter()))
        self._answering.add(task)
        task.add_done_callback(self._answer_done)
        self._on_change()

    def _answer_done(self, task: asyncio.Task[None]) -> None:
        self._answering.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("publishing responses crashed", exc_info=task.exception())
        if len(self._answering) == self._max_answering - 1:
            self._wake()  # the dispatch loop may have paused for answers to drain

    async def _answer(
        self, waiters: list[Waiter], kind: RequestKind | None, outcome: Outcome, *, calls: int
    ) -> None:
        await self._deliver(self._responses(waiters, kind, outcome, calls=calls), outcome)

    def _responses(
        self, waiters: list[Waiter], kind: RequestKind | None, outcome: Outcome, *, calls: int
    ) -> list[tuple[Waiter, GatewayResponse]]:
        fetched_at = utcnow() if calls else None
        answers = []
        for waiter in waiters:
            request = waiter.request
            if not calls:
                metrics.WAIT_SECONDS.labels(waiter.priority.value).observe(
                    max(0.0, self._clock() - waiter.published_at)
                )
            response = GatewayResponse(
                event_id=derive_id("chgw.response", request.request_id),
                occurred_at=utcnow(),
                correlation_id=request.correlation_id or request.event_id or None,
                causation_id=request.event_id or None,
                request_id=request.request_id,
                kind=kind or RequestKind.GET,
                status=outcome.status,
                company_number=request.company_number,
                path=request.path,
                etag=outcome.etag,
                body=outcome.body,
                reason=outcome.reason,
                upstream_status=outcome.upstream_status,
                calls=calls,
                fetched_at=fetched_at,
            )
            answers.append((waiter, response))
        return answers

    async def _deliver(
        self,
        answers: list[tuple[Waiter, GatewayResponse]],
        outcome: Outcome,
        since: float | None = None,
    ) -> None:
        """Publish each response (JetStream acknowledged), then acknowledge its request."""

        async def one(waiter: Waiter, response: GatewayResponse) -> None:
            try:
                with tracing.answering(waiter):
                    await self._publish(response)
            except Exception as exc:
                log.error("response to %s not published: %r", response.request_id, exc)
                await waiter.ticket.retry_later(f"response not published: {exc!r}")
                return
            finally:
                self._delivering.discard(waiter)
            metrics.RESPONSES.labels(response.kind.value, outcome.status.value).inc()
            with contextlib.suppress(Exception):
                await waiter.ticket.ack()

        # Heartbeats go on until each response is out (a publish may retry for a while).
        self._delivering.update(waiter for waiter, _ in answers)
        await asyncio.gather(*(one(waiter, response) for waiter, response in answers))
        if since is not None:
            metrics.ANSWER_SECONDS.observe(time.perf_counter() - since)

    # -- housekeeping --------------------------------------------------------------------------

    async def heartbeat(self) -> None:
        """Tell the broker every held request is still being worked on."""
        tickets = [w.ticket for job in self._scheduler.jobs() for w in job.waiters]
        tickets.extend(w.ticket for w in self._delivering)
        await asyncio.gather(*(t.in_progress() for t in tickets), return_exceptions=True)

    def status(self, queue_depth: dict[str, int]) -> GatewayStatus:
        """The quota and queue picture for dashboards."""
        now = self._clock()
        state = self._breaker.state(now)
        for each in BreakerState:
            metrics.BREAKER_STATE.labels(each.value).set(1 if each is state else 0)
        metrics.CALLS_USED.set(self._limiter.used(now))
        metrics.CALLS_REMAINING.set(self._limiter.remaining(now))
        rate = self._last_rate
        reset = (
            dt.datetime.fromtimestamp(rate.reset_at, dt.UTC) if rate.reset_at is not None else None
        )
        return GatewayStatus(
            event_id=derive_id("gateway-status", now),
            occurred_at=utcnow(),
            limit=self._limiter.budget + self._settings.ch_rate_guard,
            window_seconds=self._limiter.window,
            used_in_window=self._limiter.used(now),
            breaker=state.value,
            queue_depth=queue_depth,
            upstream_remaining=rate.remaining,
            upstream_reset_at=reset,
        )


def request_kind(request: RequestView) -> RequestKind | None:
    """The request's kind if this gateway knows it."""
    try:
        return RequestKind(request.kind)
    except ValueError:
        return None
