"""stream-ingest.

Companies House Streaming API client and bulk snapshot importer; detects companies entering and
leaving proposal to strike off.
"""

__all__: list[str] = []
