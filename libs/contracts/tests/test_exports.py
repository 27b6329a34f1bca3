"""The package's public surface is deliberate."""

import leadpipe_contracts


def test_public_surface_is_pinned() -> None:
    assert sorted(leadpipe_contracts.__all__) == [
        "Address",
        "Decoder",
        "Event",
        "derive_id",
        "encode",
        "utcnow",
    ]


def test_derive_id_is_deterministic_and_sensitive_to_every_part() -> None:
    a = leadpipe_contracts.derive_id("companies", 101741207)
    assert a == leadpipe_contracts.derive_id("companies", 101741207)
    assert a != leadpipe_contracts.derive_id("companies", 101741208)
    assert a != leadpipe_contracts.derive_id("filings", 101741207)
