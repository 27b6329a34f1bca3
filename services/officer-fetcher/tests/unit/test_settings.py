"""officer-fetcher settings come from LEADPIPE_* variables and are validated at start-up."""

from __future__ import annotations

import pytest

from leadpipe_runtime import SettingsError, load_settings
from officer_fetcher.settings import Settings


def test_defaults_follow_the_specification() -> None:
    settings = load_settings(Settings, {})
    assert (settings.officers_freshness_days, settings.retention_days) == (30.0, 90.0)
    assert settings.request_bulk_entries
    assert settings.ops_port == 9103


def test_retention_period_is_read_from_leadpipe_retention_days() -> None:
    settings = load_settings(
        Settings, {"LEADPIPE_RETENTION_DAYS": "45", "LEADPIPE_REQUEST_BULK_ENTRIES": "false"}
    )
    assert settings.retention_days == 45.0
    assert not settings.request_bulk_entries


@pytest.mark.parametrize(
    "variables",
    [
        {"LEADPIPE_LOW_LANE_SIZE": "0"},
        {"LEADPIPE_RETENTION_DAYS": "-1"},
        {"LEADPIPE_SCHEDULER_INTERVAL_SECONDS": "0"},
    ],
)
def test_impossible_values_are_refused_at_start(variables: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        load_settings(Settings, variables)
