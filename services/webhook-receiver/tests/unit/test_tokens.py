"""Webhook URL tokens: the shared format, and that nothing but the real signature passes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from webhook_receiver.tokens import sign, verify

SECRET = "leadpipe-test-vector-secret"
BATCH = "0123456789abcdef0123456789abcdef"
# The same vector is pinned in snov-enricher's tests: both services must agree on the format.
VECTOR = (
    "0123456789abcdef0123456789abcdef."
    "9c8f31f6ece548fc863bc7a2e0b3a659f131ec010a0eb1f84ecdc5974951251c"
)


def test_sign_matches_the_shared_test_vector() -> None:
    assert sign(BATCH, SECRET) == VECTOR


def test_verify_returns_the_batch_id_of_a_genuine_token() -> None:
    assert verify(VECTOR, SECRET) == BATCH


def test_verify_rejects_a_token_signed_with_another_secret() -> None:
    assert verify(sign(BATCH, "some-other-secret-value"), SECRET) is None


@given(st.text(max_size=200))
def test_verify_rejects_arbitrary_text(token: str) -> None:
    assert verify(token, SECRET) is None or token == sign(token.partition(".")[0], SECRET)


@given(st.integers(min_value=0, max_value=63), st.sampled_from("0123456789abcdef"))
def test_verify_rejects_any_single_character_change_of_the_signature(
    position: int, replacement: str
) -> None:
    batch, _, signature = VECTOR.partition(".")
    changed = signature[:position] + replacement + signature[position + 1 :]
    assert (verify(f"{batch}.{changed}", SECRET) == BATCH) is (changed == signature)
