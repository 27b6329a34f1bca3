"""Reconnect backoff law and settings validation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadpipe_runtime import SettingsError, load_settings
from stream_ingest.adapters.stream_client import Backoff
from stream_ingest.settings import Settings


@given(
    initial=st.floats(min_value=0.01, max_value=10),
    maximum=st.floats(min_value=10, max_value=600),
    attempt=st.integers(min_value=1, max_value=200),
)
def test_backoff_grows_exponentially_is_jittered_and_never_exceeds_the_cap(
    initial: float, maximum: float, attempt: int
) -> None:
    backoff = Backoff(initial, maximum)
    ceiling = min(maximum, initial * 2 ** (attempt - 1))
    delay = backoff.delay(attempt)
    assert ceiling / 2 <= delay <= ceiling <= maximum


def test_settings_read_the_fixed_stream_variables_and_keep_the_key_secret() -> None:
    settings = load_settings(
        Settings,
        {
            "LEADPIPE_CH_STREAM_URL": "http://127.0.0.1:1",
            "LEADPIPE_CH_STREAM_KEY": "k-123456",
            "LEADPIPE_STREAMS": "companies,filings,officers",
        },
    )
    assert settings.ch_stream_url == "http://127.0.0.1:1"
    assert settings.ch_stream_key is not None
    assert settings.ch_stream_key.reveal() == "k-123456"
    assert "k-123456" not in repr(settings)
    assert settings.streams == ("companies", "filings", "officers")
    assert load_settings(Settings, {}).ch_stream_key is None


def test_an_unknown_stream_is_refused_at_start() -> None:
    with pytest.raises(SettingsError, match="unknown stream"):
        load_settings(Settings, {"LEADPIPE_STREAMS": "companies,charges"})
