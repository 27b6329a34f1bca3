"""The life cycle every service shares: connect, migrate, bind, serve, stop cleanly.

A service is a ``ServiceDefinition``: its name, settings type, SQL migrations and a ``build``
function (the composition root) that receives a ``ServiceContext`` with everything connected and
returns its ``Components`` — consumer subscriptions, background tasks and stop hooks. ``main``
runs it as a process; tests use ``Service`` directly to run one in-process.

Start-up order: settings (fail fast) → logging/tracing → ops port (alive, not ready) → NATS
(retried for ever) → Postgres (retried for ever) → migrations → streams and the service's own
consumers → ``build`` → consumers, tasks and the outbox relay → ready. SIGTERM/SIGINT: stop
fetching, give in-flight handlers ``shutdown_grace_seconds``, cancel tasks, flush NATS, close the
pool. A background task that crashes stops the service with a non-zero exit so that its
supervisor restarts it rather than leaving it half-working.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Generic, TypeVar

from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from leadpipe_bus import (
    ConnectionState,
    ConsumerRunner,
    DeadLetterWriter,
    Publisher,
    Subscription,
    Topology,
    apply_topology,
    connect,
)
from leadpipe_bus.lag import sample_forever
from leadpipe_db import Database
from leadpipe_runtime import loop as event_loop
from leadpipe_runtime.health import CheckResult, HealthRegistry, Status, flag
from leadpipe_runtime.heap import settle_after_start
from leadpipe_runtime.logs import configure_logging
from leadpipe_runtime.ops import OpsServer
from leadpipe_runtime.outbox import OutboxRelay, OutboxWriter
from leadpipe_runtime.settings import BaseSettings, SettingsError, load_settings, secrets_of
from leadpipe_runtime.tracing import configure_tracing

S = TypeVar("S", bound=BaseSettings)
log = logging.getLogger(__name__)

TaskFactory = Callable[[], Coroutine[Any, Any, None]]


@dataclasses.dataclass
class ServiceContext(Generic[S]):
    """Everything a service's composition root may wire its adapters from."""

    name: str
    settings: S
    topology: Topology
    nats: NatsClient
    js: JetStreamContext
    publisher: Publisher
    db: Database
    outbox: OutboxWriter
    health: HealthRegistry


@dataclasses.dataclass
class Components:
    """What a service runs besides the shared machinery.

    Attributes:
        subscriptions: Consumers and their handlers.
        tasks: Named long-running coroutines (stream readers, schedulers, HTTP servers).
        on_stop: Called after consumers and tasks stopped, before connections close.
    """

    subscriptions: list[Subscription[Any]] = dataclasses.field(default_factory=list)
    tasks: dict[str, TaskFactory] = dataclasses.field(default_factory=dict)
    on_stop: list[Callable[[], Awaitable[None]]] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class ServiceDefinition(Generic[S]):
    """A service: name, settings type, composition root and migrations.

    Attributes:
        migrations: Package holding the service's ``NNNN_*.sql`` files, or None.
    """

    name: str
    settings_type: type[S]
    build: Callable[[ServiceContext[S]], Awaitable[Components]]
    migrations: str | None = None

    def schema(self, namespace: str = "") -> str:
        """The Postgres schema the service owns (``officer_fetcher``, or namespaced)."""
        base = self.name.replace("-", "_")
        return f"{namespace}_{base}" if namespace else base


class Service(Generic[S]):
    """One running service."""

    def __init__(self, definition: ServiceDefinition[S], settings: S) -> None:
        self.definition = definition
        self.settings = settings
        self.topology = Topology(settings.namespace)
        self.health = HealthRegistry()
        self.ops = OpsServer(self.health, settings.ops_host, settings.ops_port)
        self.db = Database(
            settings.database_url.reveal(),
            definition.schema(settings.namespace),
            application_name=definition.name,
        )
        self.context: ServiceContext[S] | None = None
        self._connection = ConnectionState()
        self._nats: NatsClient | None = None
        self._runners: list[ConsumerRunner[Any]] = []
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._components = Components()
        self._ready = False
        self._failed = asyncio.Event()
        self.failure: BaseException | None = None

    @property
    def ready(self) -> bool:
        """Whether start-up completed."""
        return self._ready

    async def start(self) -> None:
        """Bring the service up to ready (see the module docstring for the order)."""
        name = self.definition.name
        self.health.add_liveness("loop", flag(lambda: not self._failed.is_set(), "a task crashed"))
        self.health.add_readiness("started", flag(lambda: self._ready, "starting"))
        self.health.add_readiness("nats", flag(lambda: self._connection.connected, "disconnected"))
        self.health.add_readiness("postgres", self._postgres_check)
        self.health.add_readiness("consumers", self._consumers_check)
        await self.ops.start()
        log.info("ops port listening", extra={"port": self.ops.port})

        self._nats = await connect(self.settings.nats_url, name=name, state=self._connection)
        js = self._nats.jetstream()
        await self.db.open()
        applied = await self.db.migrate(
            [self.definition.migrations] if self.definition.migrations else []
        )
        log.info("schema ready", extra={"schema": self.db.schema, "applied": applied})
        own = self.topology.consumers_of(name)
        await apply_topology(js, self.topology, consumers=own)

        publisher = Publisher(js, self.topology, name)
        outbox = OutboxWriter(publisher, self.db.schema)
        self.context = ServiceContext(
            name=name,
            settings=self.settings,
            topology=self.topology,
            nats=self._nats,
            js=js,
            publisher=publisher,
            db=self.db,
            outbox=outbox,
            health=self.health,
        )
        self._components = await self.definition.build(self.context)
        dead_letters = DeadLetterWriter(publisher)
        for subscription in self._components.subscriptions:
            if subscription.spec not in own:
                raise RuntimeError(f"{name} subscribes to undeclared consumer {subscription.spec}")
            runner: ConsumerRunner[Any] = ConsumerRunner(
                js, self.topology, subscription, dead_letters
            )
            self._runners.append(runner)
            self._spawn(f"consumer:{runner.durable}", runner.run)
        if self._runners:
            specs = [subscription.spec for subscription in self._components.subscriptions]
            interval = self.settings.consumer_lag_interval_seconds
            self._spawn("consumer-lag", lambda: sample_forever(js, self.topology, specs, interval))
        relay = OutboxRelay(self.db, publisher)
        self._spawn("outbox-relay", relay.run)
        for task_name, factory in self._components.tasks.items():
            self._spawn(task_name, factory)
        self._ready = True
        log.info("service ready", extra={"consumers": [r.durable for r in self._runners]})

    def _spawn(self, name: str, factory: Callable[[], Coroutine[Any, Any, None]]) -> None:
        task = asyncio.create_task(factory(), name=name)
        self._tasks[name] = task
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error("task %s crashed", task.get_name(), exc_info=error)
            self.failure = error
            self._failed.set()

    async def _postgres_check(self) -> CheckResult:
        return (
            CheckResult(Status.OK)
            if await self.db.ping()
            else CheckResult(Status.FAIL, "unreachable")
        )

    async def _consumers_check(self) -> CheckResult:
        unbound = [runner.durable for runner in self._runners if not runner.bound]
        if unbound:
            return CheckResult(Status.FAIL, "not bound: " + ", ".join(unbound))
        return CheckResult(Status.OK)

    async def wait_failed(self) -> None:
        """Return when a background task has crashed."""
        await self._failed.wait()

    async def stop(self) -> None:
        """Stop gracefully; safe to call more than once and after a failed start."""
        self._ready = False
        grace = self.settings.shutdown_grace_seconds
        await asyncio.gather(*(runner.stop(grace) for runner in self._runners))
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._tasks.clear()
        self._runners.clear()
        for hook in self._components.on_stop:
            try:
                await hook()
            except Exception:
                log.exception("stop hook failed")
        self._connection.closing = True
        if self._nats is not None and not self._nats.is_closed:
            # Consumers are already unsubscribed, so flushing outgoing acks and publishes is all
            # that is left to do; drain() would re-drain the closed subscriptions and leave an
            # unretrieved exception behind.
            with contextlib.suppress(Exception):
                await self._nats.flush(timeout=5)
            with contextlib.suppress(Exception):
                await self._nats.close()
        await self.db.close()
        await self.ops.stop()


async def run_until_signal(service: Service[Any]) -> int:
    """Run a service until SIGTERM/SIGINT (exit 0) or a crashed task (exit 1)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    code = 0
    try:
        starting = asyncio.create_task(service.start())
        stopping = asyncio.create_task(stop.wait())
        failed = asyncio.create_task(service.wait_failed())
        done, _ = await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if starting in done and starting.exception() is None:
            settle_after_start()
            done, _ = await asyncio.wait({stopping, failed}, return_when=asyncio.FIRST_COMPLETED)
            code = 1 if failed in done else 0
        elif starting in done:
            log.error("start-up failed", exc_info=starting.exception())
            code = 1
        else:
            starting.cancel()
            await asyncio.gather(starting, return_exceptions=True)
        for task in (stopping, failed):
            task.cancel()
    finally:
        log.info("stopping")
        await service.stop()
        log.info("stopped", extra={"exit_code": code})
    return code


def main(definition: ServiceDefinition[S], argv: list[str] | None = None) -> None:
    """Process entry point: ``python -m <service>``."""
    try:
        settings = load_settings(definition.settings_type)
    except SettingsError as exc:
        print(f"{definition.name}: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    configure_logging(definition.name, settings.log_level, secrets=secrets_of(settings))
    configure_tracing(definition.name)
    raise SystemExit(event_loop.run(run_until_signal(Service(definition, settings))))
