"""Fast JSON responses: msgspec encodes rows (dates, UUIDs, arrays) without a model pass."""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi.responses import JSONResponse

_encoder = msgspec.json.Encoder()


class Json(JSONResponse):
    """``application/json`` encoded by msgspec."""

    def render(self, content: Any) -> bytes:
        """Encode the content."""
        return _encoder.encode(content)


def ok(content: Any, status: int = 200) -> Json:
    """A JSON response."""
    return Json(content, status_code=status)
