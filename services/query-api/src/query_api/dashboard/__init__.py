"""Files of the dashboard page (HTML, script and style), served by ``query_api.api.dashboard``."""

__all__: list[str] = []
