"""JSON-lines logging with trace ids and secret redaction.

Every record becomes one JSON object with the service name, the current trace and span ids (so a
log line can be found from a trace and back), and any ``extra=`` fields. Before a line is
written, registered secret values and credential-shaped substrings (Basic/Bearer headers,
passwords in URLs, token query parameters) are replaced by ``***``.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import Iterable
from typing import Any, TextIO

import msgspec
from opentelemetry import trace

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

_PATTERNS = [
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?(?:basic|bearer)\s+)[A-Za-z0-9+/=._~-]+"),
    re.compile(r"(?i)\b((?:basic|bearer)\s+)[A-Za-z0-9+/=._~-]{8,}"),
    re.compile(r"(://[^:/\s@]+:)[^@/\s]+(@)"),
    re.compile(
        r"(?i)((?:access_token|client_secret|api_key|apikey|token|password|secret)"
        r"['\"]?\s*[=:]\s*['\"]?)[^&\s'\",}]+"
    ),
]


class Redactor:
    """Removes secrets from text: known values plus credential-shaped patterns."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Register more secret values (short ones are ignored: they would mangle ordinary text)."""
        self._secrets.update(secret for secret in secrets if len(secret) >= 6)

    def __call__(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, "***")
        for pattern in _PATTERNS:
            text = pattern.sub(
                lambda m: m.group(1) + "***" + (m.group(2) if m.lastindex == 2 else ""), text
            )
        return text


class JsonFormatter(logging.Formatter):
    """Formats records as one JSON object per line."""

    def __init__(self, service: str, redactor: Redactor) -> None:
        super().__init__()
        self._service = service
        self._redact = redactor
        self._encoder = msgspec.json.Encoder()

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "service": self._service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            document["trace_id"] = format(context.trace_id, "032x")
            document["span_id"] = format(context.span_id, "016x")
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                document[key] = value
        if record.exc_info:
            document["exc"] = "".join(traceback.format_exception(*record.exc_info))
        line = self._encoder.encode(document).decode()
        return self._redact(line)


_redactor = Redactor()


def configure_logging(
    service: str, level: str = "INFO", *, secrets: Iterable[str] = (), stream: TextIO | None = None
) -> Redactor:
    """Send every log record of the process to ``stream`` (stderr) as redacted JSON lines.

    Returns:
        The process redactor, to which more secrets can be added later.
    """
    _redactor.add(secrets)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(service, _redactor))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    return _redactor
