"""The webhook URL token format shared with webhook-receiver."""

from __future__ import annotations

from snov_enricher.tokens import new_batch_id, sign, webhook_url

# The same vector is pinned in webhook-receiver's tests: both services must agree on the format.
VECTOR = (
    "0123456789abcdef0123456789abcdef."
    "9c8f31f6ece548fc863bc7a2e0b3a659f131ec010a0eb1f84ecdc5974951251c"
)


def test_sign_matches_the_shared_test_vector() -> None:
    assert sign("0123456789abcdef0123456789abcdef", "leadpipe-test-vector-secret") == VECTOR


def test_the_webhook_url_puts_the_token_under_the_receiver_route() -> None:
    url = webhook_url("https://hooks.example.org/", "b" * 32, "leadpipe-test-vector-secret")
    assert url.startswith("https://hooks.example.org/webhooks/snov/" + "b" * 32 + ".")


def test_batch_ids_are_unguessable_and_url_safe() -> None:
    ids = {new_batch_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(len(i) == 32 and i.isalnum() for i in ids)
