"""Settings come from LEADPIPE_* variables and fail fast, naming every bad variable."""

from __future__ import annotations

import pytest

from leadpipe_runtime import BaseSettings, Secret, SettingsError, load_settings, secrets_of


class GatewaySettings(BaseSettings, frozen=True, kw_only=True):
    ch_api_key: Secret
    ch_rate_limit: int = 600
    ch_rate_window_seconds: float = 300.0
    priorities: tuple[str, ...] = ("high", "low")
    optional_url: str | None = None


def test_missing_required_variable_is_named() -> None:
    with pytest.raises(SettingsError, match="LEADPIPE_CH_API_KEY is required but not set"):
        load_settings(GatewaySettings, {})


def test_every_invalid_variable_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(
            GatewaySettings,
            {"LEADPIPE_CH_RATE_LIMIT": "lots", "LEADPIPE_OPS_PORT": "x"},
        )
    message = str(caught.value)
    assert "LEADPIPE_CH_API_KEY is required" in message
    assert "LEADPIPE_CH_RATE_LIMIT='lots' is invalid" in message
    assert "LEADPIPE_OPS_PORT='x' is invalid" in message


def test_values_are_converted_to_their_declared_types() -> None:
    settings = load_settings(
        GatewaySettings,
        {
            "LEADPIPE_CH_API_KEY": "k-123456789",
            "LEADPIPE_CH_RATE_LIMIT": "60",
            "LEADPIPE_CH_RATE_WINDOW_SECONDS": "3",
            "LEADPIPE_PRIORITIES": "high, normal ,low",
            "LEADPIPE_OPTIONAL_URL": "none",
        },
    )
    assert settings.ch_rate_limit == 60
    assert settings.ch_rate_window_seconds == 3.0
    assert settings.priorities == ("high", "normal", "low")
    assert settings.optional_url is None
    assert settings.ch_api_key.reveal() == "k-123456789"


def test_secrets_never_show_their_value() -> None:
    settings = load_settings(GatewaySettings, {"LEADPIPE_CH_API_KEY": "k-123456789"})
    assert "k-123456789" not in repr(settings)
    assert "k-123456789" not in str(settings.ch_api_key)
    assert "k-123456789" in secrets_of(settings)


def test_example_secret_values_are_refused_without_echoing_them() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(GatewaySettings, {"LEADPIPE_CH_API_KEY": "changeme"})
    assert "LEADPIPE_CH_API_KEY=*** is invalid" in str(caught.value)
    assert "changeme" not in str(caught.value)
