"""webhook-receiver.

Public HTTP endpoint that Snov.io posts results to; authenticates, validates and durably
publishes them.
"""

__all__: list[str] = []
