"""ch-gateway.

The only Companies House REST client: one quota-exact limiter, priority queues, retries and a
circuit breaker.
"""

__all__: list[str] = []
