"""The HTTP surface of query-api: REST under /api/v1, exports, the live feed, the dashboard."""

from query_api.api.app import create_app
from query_api.api.deps import AppState

__all__ = ["AppState", "create_app"]
