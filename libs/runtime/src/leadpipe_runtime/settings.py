"""Typed settings from ``LEADPIPE_*`` environment variables, validated at start-up.

A service declares one ``msgspec.Struct`` subclass of ``BaseSettings``; each field ``foo_bar`` is
read from ``LEADPIPE_FOO_BAR``. Loading reports every problem at once, naming the variable, and
never prints a secret's value. Settings objects are built once in ``main`` and passed down;
tests construct their own.
"""

from __future__ import annotations

import os
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec

PREFIX = "LEADPIPE_"
_REJECTED_SECRETS = {"changeme", "change-me", "secret", "password", "xxx", "todo", "your-key-here"}


class Secret:
    """A string that never shows itself in ``repr``/``str``, logs or error messages."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The actual value, for the one place that must send it (an HTTP header)."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


class SettingsError(Exception):
    """One or more settings are missing or invalid; the message lists every variable."""


class BaseSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Settings every service has.

    Attributes:
        nats_url: Comma-separated NATS server URLs.
        database_url: Postgres URL; the service works only in its own schema.
        namespace: Prefix for streams, subjects, durables and schemas (tests; empty in production).
        ops_host: Address of the ops HTTP port (/healthz, /readyz, /metrics).
        ops_port: Port of the ops HTTP port; each service has its own default.
        log_level: Python logging level name.
        shutdown_grace_seconds: Time in-flight work gets to finish on SIGTERM.
        consumer_lag_interval_seconds: How often the service samples its consumers' lag.
    """

    nats_url: str = "nats://127.0.0.1:4222"
    database_url: Secret = msgspec.field(
        default_factory=lambda: Secret("postgresql://postgres@127.0.0.1:5432/postgres")
    )
    namespace: str = ""
    ops_host: str = "127.0.0.1"
    ops_port: int = 9100
    log_level: str = "INFO"
    shutdown_grace_seconds: float = 20.0
    consumer_lag_interval_seconds: float = 15.0


S = TypeVar("S", bound=BaseSettings)


def env_name(field: str) -> str:
    """The environment variable of a settings field."""
    return PREFIX + field.upper()


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _convert(raw: str, annotation: Any) -> Any:
    target, optional = _unwrap_optional(annotation)
    if optional and raw.strip().lower() in ("", "none", "null"):
        return None
    if target is Secret:
        if raw.strip().lower() in _REJECTED_SECRETS:
            raise ValueError("looks like an example value, not a real secret")
        return Secret(raw)
    if target is str:
        return raw
    origin = typing.get_origin(target)
    if origin is tuple:
        item = typing.get_args(target)[0]
        return tuple(_convert(part.strip(), item) for part in raw.split(",") if part.strip())
    return msgspec.convert(raw, target, strict=False)


def load_settings(cls: type[S], environ: Mapping[str, str] | None = None) -> S:
    """Build ``cls`` from ``LEADPIPE_*`` variables.

    Args:
        cls: The service's settings type.
        environ: Variables to read (default: the process environment).

    Raises:
        SettingsError: Listing each missing or invalid variable.
    """
    env = os.environ if environ is None else environ
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    problems: list[str] = []
    for field in msgspec.structs.fields(cls):
        name = env_name(field.name)
        raw = env.get(name)
        if raw is None or raw == "":
            if field.required:
                problems.append(f"{name} is required but not set")
            continue
        try:
            values[field.name] = _convert(raw, hints[field.name])
        except (msgspec.ValidationError, ValueError, TypeError) as exc:
            target, _ = _unwrap_optional(hints[field.name])
            shown = "***" if target is Secret else repr(raw)
            problems.append(f"{name}={shown} is invalid: {exc}")
    if problems:
        raise SettingsError("invalid settings:\n  " + "\n  ".join(problems))
    try:
        return cls(**values)
    except (ValueError, TypeError) as exc:
        raise SettingsError(f"invalid settings: {exc}") from exc


def secrets_of(settings: msgspec.Struct) -> list[str]:
    """Every secret value held by a settings object (for log redaction)."""
    found: list[str] = []
    for field in msgspec.structs.fields(type(settings)):
        value = getattr(settings, field.name)
        if isinstance(value, Secret) and value.reveal():
            found.append(value.reveal())
    return found
