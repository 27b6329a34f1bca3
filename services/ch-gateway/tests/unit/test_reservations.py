"""Persisted call slots: spent before they expire, oldest block first."""

from __future__ import annotations

from ch_gateway.reservations import Reservations


def test_slots_are_spent_from_the_block_that_expires_first_and_never_after_it() -> None:
    slots = Reservations()
    slots.add(2, until=10.0)
    slots.add(3, until=12.0)
    assert slots.valid(9.0) == 5
    assert slots.take(9.0)
    assert slots.valid(9.0) == 4
    # At 10.0 the first block's last slot may no longer be used; the second block remains.
    assert slots.valid(10.0) == 3
    assert [slots.take(11.0) for _ in range(4)] == [True, True, True, False]


def test_a_block_persisted_with_an_earlier_until_is_spent_first() -> None:
    slots = Reservations()
    slots.add(1, until=20.0)
    slots.add(1, until=15.0)  # the clock stepped back between two writes
    assert slots.take(14.0)
    assert slots.valid(16.0) == 1  # the slot good until 20 is the one left


def test_clear_forgets_every_slot() -> None:
    slots = Reservations()
    slots.add(4, until=5.0)
    slots.clear()
    assert not slots.take(1.0)
