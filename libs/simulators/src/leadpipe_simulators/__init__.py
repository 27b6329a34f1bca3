"""Simulators of the external HTTP APIs Leadpipe talks to.

Each simulator is a real HTTP server that follows the documented behaviour of its API (status
codes, headers, rate limits, pagination, asynchronous webhooks), so the product's own clients can
be exercised unchanged in tests, benchmarks and `leadpipe up`:

- ``companies_house``: the REST Public Data API, the Streaming API and the bulk CSV generator;
- ``snov``: Snov.io (OAuth token, domain and e-mail searches, credits, webhook pushes);
- ``ghl``: GoHighLevel API v2 (contact upsert, custom fields, rate limits).
"""

__all__: list[str] = []
