"""officer-fetcher.

Fetches, through ch-gateway, the officers of every strike-off company and keeps them until
retention ends.
"""

__all__: list[str] = []
