"""crm-sync's handlers with in-memory fakes of its own ports."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import msgspec
import pytest

from crm_sync.adapters.ghl import CustomFieldInfo, GhlRejected, GhlUnavailable, UpsertResult
from crm_sync.domain import contact_person_keys, erasure_keys
from crm_sync.fields import FieldNames, FieldResolver
from crm_sync.handlers import CrmSync
from crm_sync.ports import ContactRow, ErasureRaced
from crm_sync.settings import LeftAction, Settings
from leadpipe_bus import Delivery, TransientError
from leadpipe_contracts import Event, utcnow
from leadpipe_contracts.companies import LeftReason, Source, StrikeOffLeft
from leadpipe_contracts.crm import ContactDeleted, ContactSynced, ContactSyncFailed
from leadpipe_contracts.enrichment import CompanySummary, ContactFound, OfficerSummary
from leadpipe_contracts.privacy import (
    PrivacyErasureCompleted,
    PrivacyErasureRequested,
    PrivacySuppressionLiftCompleted,
    PrivacySuppressionLifted,
)
from leadpipe_runtime import Secret

DELIVERY = Delivery(
    subject="contacts.found", msg_id=None, deliveries=1, stream_sequence=1, headers={}
)


def lead(
    number: int = 1,
    *,
    score: float = 50.0,
    kind: str | None = "voluntary",
    at: dt.datetime | None = None,
) -> ContactFound:
    return ContactFound(
        event_id=f"found-{number}-{score}-{kind}",
        occurred_at=at or utcnow(),
        contact_key=f"09000001:o{number}",
        company=CompanySummary(
            company_number="09000001",
            company_name="Brightwater Ltd",
            strike_off_kind=kind,
            strike_off_entered_on=dt.date(2026, 11, 1),
            lead_score=score,
        ),
        officer=OfficerSummary(
            officer_id=f"o{number}", first_name="Ann", last_name=f"Lee{number}", role="director"
        ),
        email=f"ann{number}@brightwater.example",
        smtp_status="valid",
    )


class FakeApi:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.contacts: dict[str, dict[str, Any]] = {}
        self.tags: dict[str, set[str]] = {}
        self.upsert_error: Exception | None = None
        self.before_upsert_returns: Any = None

    async def upsert_contact(self, body: dict[str, object]) -> UpsertResult:
        self.calls.append(("upsert", body))
        if self.upsert_error is not None:
            raise self.upsert_error
        contact_id = f"c-{body['email']}"
        created = contact_id not in self.contacts
        self.contacts[contact_id] = dict(body)
        if self.before_upsert_returns is not None:
            await self.before_upsert_returns()
        return UpsertResult(contact_id, created)

    async def delete_contact(self, contact_id: str) -> bool:
        self.calls.append(("delete", contact_id))
        return self.contacts.pop(contact_id, None) is not None

    async def add_tags(self, contact_id: str, tags: tuple[str, ...]) -> None:
        self.calls.append(("add_tags", tags))
        self.tags.setdefault(contact_id, set()).update(tags)

    async def remove_tags(self, contact_id: str, tags: tuple[str, ...]) -> None:
        self.calls.append(("remove_tags", tags))
        self.tags.setdefault(contact_id, set()).difference_update(tags)

    def count(self, kind: str) -> int:
        return sum(1 for name, _ in self.calls if name == kind)


class FakeFieldsApi:
    def __init__(self, existing: Sequence[str] = ()) -> None:
        self.fields = [CustomFieldInfo(f"id-{name}", name, "TEXT") for name in existing]
        self.created: list[str] = []

    async def list_custom_fields(self) -> list[CustomFieldInfo]:
        return list(self.fields)

    async def create_custom_field(self, name: str, data_type: str) -> CustomFieldInfo:
        self.created.append(name)
        field = CustomFieldInfo(f"id-{name}", name, data_type)
        self.fields.append(field)
        return field


@dataclasses.dataclass
class FakeStore:
    rows: dict[str, ContactRow] = dataclasses.field(default_factory=dict)
    failures: dict[str, tuple[int | None, str]] = dataclasses.field(default_factory=dict)
    suppressions: set[str] = dataclasses.field(default_factory=set)
    suppressed_by: dict[str, set[str]] = dataclasses.field(default_factory=dict)
    left: dict[str, dt.datetime] = dataclasses.field(default_factory=dict)
    events: list[Event] = dataclasses.field(default_factory=list)
    processed: set[str] = dataclasses.field(default_factory=set)
    race_once: ContactRow | None = None

    async def contact(self, contact_key: str) -> ContactRow | None:
        return self.rows.get(contact_key)

    async def suppressed(self, person_keys: frozenset[str]) -> bool:
        return bool(person_keys & self.suppressions)

    async def company_left_at(self, company_number: str) -> dt.datetime | None:
        return self.left.get(company_number)

    async def record_synced(self, row: ContactRow, event: Event) -> bool:
        if set(row.person_keys) & self.suppressions:
            return False
        self.rows[row.contact_key] = row
        self.failures.pop(row.contact_key, None)
        self.events.append(event)
        return True

    async def record_newest(self, contact_key: str, lead_at: dt.datetime, lead_event: str) -> None:
        row = self.rows[contact_key]
        if row.lead_at is None or (row.lead_at, row.lead_event or "") < (lead_at, lead_event):
            self.rows[contact_key] = dataclasses.replace(
                row, lead_at=lead_at, lead_event=lead_event
            )

    async def record_failed(
        self, row: ContactRow, *, failed_hash: str, status: int | None, reason: str, event: Event
    ) -> None:
        self.failures[row.contact_key] = (status, reason)
        self.events.append(event)

    async def record_left(self, company_number: str, left_at: dt.datetime, reason: str) -> None:
        self.left[company_number] = max(left_at, self.left.get(company_number, left_at))

    async def contacts_of_company(self, company_number: str) -> list[ContactRow]:
        return [
            r for r in self.rows.values() if r.company_number == company_number and r.crm_contact_id
        ]

    async def update_tags(self, contact_key: str, tags: tuple[str, ...]) -> None:
        self.rows[contact_key] = dataclasses.replace(self.rows[contact_key], tags=tags)

    async def matching(self, person_keys: frozenset[str]) -> list[ContactRow]:
        return [r for r in self.rows.values() if set(r.person_keys) & person_keys]

    async def record_erasure(
        self,
        *,
        consumer: str,
        event_id: str,
        request_id: str,
        person_keys: frozenset[str],
        erased: Sequence[str],
        events: Sequence[Event],
    ) -> None:
        if self.race_once is not None:
            self.rows[self.race_once.contact_key], self.race_once = self.race_once, None
            raise ErasureRaced("late")
        if (consumer, event_id) in {(consumer, e) for e in self.processed}:
            return
        self.processed.add(event_id)
        self.suppressions |= person_keys
        self.suppressed_by.setdefault(request_id, set()).update(person_keys)
        for key in [k for k, r in self.rows.items() if set(r.person_keys) & person_keys]:
            del self.rows[key]
        self.events.extend(events)

    async def record_lift(
        self,
        *,
        consumer: str,
        event_id: str,
        request_id: str,
        completion: Callable[[int], Event],
    ) -> None:
        if event_id in self.processed:
            return
        self.processed.add(event_id)
        lifted = self.suppressed_by.pop(request_id, set())
        still = set().union(*self.suppressed_by.values())
        self.suppressions -= lifted - still
        self.events.append(completion(len(lifted)))


def make(action: LeftAction = LeftAction.TAG) -> tuple[CrmSync, FakeApi, FakeStore, FakeFieldsApi]:
    settings = Settings(
        ghl_token=Secret("pit-unit"), ghl_location_id="loc", strike_off_left_action=action
    )
    api, store, fields_api = FakeApi(), FakeStore(), FakeFieldsApi(["Company Number"])
    names = FieldNames("Company Number", "Strike-off Date", "Officer Role", "Lead Score")
    sync = CrmSync(settings, api, store, FieldResolver(fields_api, names), privacy_consumer="p")
    return sync, api, store, fields_api


def of_type(store: FakeStore, kind: type[Event]) -> list[Any]:
    return [event for event in store.events if isinstance(event, kind)]


async def test_an_unchanged_lead_is_never_sent_twice_and_a_changed_one_is() -> None:
    sync, api, store, _ = make()
    await sync.contact_found(lead(), DELIVERY)
    await sync.contact_found(lead(), DELIVERY)
    assert api.count("upsert") == 1
    assert api.count("add_tags") == 1
    await sync.contact_found(lead(score=90.0), DELIVERY)
    assert api.count("upsert") == 2
    assert api.count("add_tags") == 1  # tags unchanged: no tag call
    synced = of_type(store, ContactSynced)
    assert [event.created for event in synced] == [True, False]


def score_sent(api: FakeApi) -> object:
    body = [call for name, call in api.calls if name == "upsert"][-1]
    return {item["id"]: item["field_value"] for item in body["customFields"]}["id-Lead Score"]


async def test_a_lead_published_again_with_its_kind_gets_the_kind_tag_and_new_score() -> None:
    sync, api, store, _ = make()
    t0 = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
    await sync.contact_found(lead(kind=None, score=55.0, at=t0), DELIVERY)
    assert api.tags["c-ann1@brightwater.example"] == {"strike-off", "leadpipe"}
    republished = lead(kind="compulsory", score=63.0, at=t0 + dt.timedelta(seconds=1))
    await sync.contact_found(republished, DELIVERY)
    assert len(api.contacts) == 1
    assert api.tags["c-ann1@brightwater.example"] == {
        "strike-off",
        "leadpipe",
        "strike-off-compulsory",
    }
    assert score_sent(api) == 63.0
    assert [event.created for event in of_type(store, ContactSynced)] == [True, False]


async def test_an_older_publication_delivered_late_does_not_undo_a_newer_one() -> None:
    sync, api, _store, _ = make()
    t0 = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
    old = lead(kind=None, score=55.0, at=t0)
    new = lead(kind="compulsory", score=63.0, at=t0 + dt.timedelta(seconds=1))
    await sync.contact_found(new, DELIVERY)
    await sync.contact_found(old, DELIVERY)  # e.g. retried after a 503, after the newer one
    assert api.count("upsert") == 1
    assert "strike-off-compulsory" in api.tags["c-ann1@brightwater.example"]
    assert score_sent(api) == 63.0


async def test_facts_that_changed_back_are_not_undone_by_the_change_in_between() -> None:
    sync, api, _, _ = make()
    t0 = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
    first = lead(score=55.0, at=t0)
    middle = lead(score=63.0, at=t0 + dt.timedelta(seconds=1))
    back = msgspec.structs.replace(
        first, event_id="found-back", occurred_at=t0 + dt.timedelta(seconds=2)
    )
    await sync.contact_found(first, DELIVERY)
    await sync.contact_found(back, DELIVERY)  # same payload as the first: nothing to send
    await sync.contact_found(middle, DELIVERY)  # delivered last, but older than ``back``
    assert api.count("upsert") == 1
    assert score_sent(api) == 55.0


async def test_tags_are_added_through_the_tag_endpoint_not_the_upsert() -> None:
    sync, api, store, _ = make()
    await sync.contact_found(lead(), DELIVERY)
    upsert_body = api.calls[0][1]
    assert "tags" not in upsert_body
    assert api.tags["c-ann1@brightwater.example"] == {
        "strike-off",
        "leadpipe",
        "strike-off-voluntary",
    }
    assert set(store.rows["09000001:o1"].tags) == api.tags["c-ann1@brightwater.example"]


async def test_missing_custom_fields_are_created_once_and_existing_ones_reused() -> None:
    sync, api, _, fields_api = make()
    await sync.contact_found(lead(1), DELIVERY)
    await sync.contact_found(lead(2), DELIVERY)
    assert fields_api.created == ["Strike-off Date", "Officer Role", "Lead Score"]
    custom = api.calls[0][1]["customFields"]
    assert {"id": "id-Company Number", "field_value": "09000001"} in custom


async def test_a_refused_lead_is_recorded_against_it_and_acknowledged() -> None:
    sync, api, store, _ = make()
    api.upsert_error = GhlRejected(422, ["email must be an email"])
    await sync.contact_found(lead(), DELIVERY)  # returns: the runner acks
    assert store.failures["09000001:o1"] == (422, "email must be an email")
    (failed,) = of_type(store, ContactSyncFailed)
    assert (failed.status_code, failed.contact_key) == (422, "09000001:o1")
    api.upsert_error = None
    await sync.contact_found(lead(2), DELIVERY)
    assert "09000001:o2" in store.rows


async def test_an_unavailable_crm_makes_the_message_retry() -> None:
    sync, api, store, _ = make()
    api.upsert_error = GhlUnavailable("GoHighLevel answered 503", 503)
    with pytest.raises(TransientError):
        await sync.contact_found(lead(), DELIVERY)
    assert store.rows == {}


async def test_a_suppressed_person_is_never_sent() -> None:
    sync, api, store, _ = make()
    store.suppressions |= contact_person_keys(lead())
    await sync.contact_found(lead(), DELIVERY)
    assert api.calls == []


async def test_a_person_erased_while_their_upsert_was_in_flight_is_deleted_again() -> None:
    sync, api, store, _ = make()

    async def erase_meanwhile() -> None:
        store.suppressions |= contact_person_keys(lead())

    api.before_upsert_returns = erase_meanwhile
    await sync.contact_found(lead(), DELIVERY)
    assert api.contacts == {}
    assert store.rows == {}
    assert api.count("delete") == 1


async def test_erasure_deletes_the_contacts_suppresses_and_reports_completion_once() -> None:
    sync, api, store, _ = make()
    await sync.contact_found(lead(1), DELIVERY)
    await sync.contact_found(lead(2), DELIVERY)
    request = PrivacyErasureRequested(
        event_id="er-1", occurred_at=utcnow(), request_id="r-1", officer_id="o1", requested_by="dpo"
    )
    await sync.erasure_requested(request, DELIVERY)
    await sync.erasure_requested(request, DELIVERY)  # redelivery
    assert set(api.contacts) == {"c-ann2@brightwater.example"}
    assert api.count("delete") == 1
    assert of_type(store, ContactDeleted) == [], "no event names the erased contact"
    (completed,) = of_type(store, PrivacyErasureCompleted)
    assert (completed.service, completed.records_erased) == ("crm-sync", 1)
    await sync.contact_found(lead(1, score=99.0), DELIVERY)
    assert "c-ann1@brightwater.example" not in api.contacts


async def test_a_lifted_suppression_lets_the_persons_next_lead_through_once() -> None:
    sync, api, store, _ = make()
    await sync.contact_found(lead(1), DELIVERY)
    request = PrivacyErasureRequested(
        event_id="er-3", occurred_at=utcnow(), request_id="r-3", officer_id="o1", requested_by="dpo"
    )
    await sync.erasure_requested(request, DELIVERY)
    await sync.contact_found(lead(1, score=98.0), DELIVERY)
    assert api.contacts == {}
    lifted = PrivacySuppressionLifted(
        event_id="lift-3", occurred_at=utcnow(), request_id="r-3", lifted_by="dpo"
    )
    await sync.suppression_lifted(lifted, DELIVERY)
    await sync.suppression_lifted(lifted, DELIVERY)  # redelivery
    (done,) = of_type(store, PrivacySuppressionLiftCompleted)
    assert (done.service, done.request_id) == ("crm-sync", "r-3")
    assert done.suppressions_removed == len(erasure_keys(request))
    await sync.contact_found(lead(1, score=97.0), DELIVERY)
    assert set(api.contacts) == {"c-ann1@brightwater.example"}


async def test_an_erasure_that_races_a_sync_runs_again_and_deletes_the_late_contact() -> None:
    sync, api, store, _ = make()
    await sync.contact_found(lead(1), DELIVERY)
    late = store.rows.pop("09000001:o1")
    store.race_once = late
    request = PrivacyErasureRequested(
        event_id="er-2", occurred_at=utcnow(), request_id="r-2", officer_id="o1", requested_by="dpo"
    )
    await sync.erasure_requested(request, DELIVERY)
    assert api.contacts == {}
    assert store.rows == {}


def left(at: dt.datetime | None = None) -> StrikeOffLeft:
    moment = at or utcnow()
    return StrikeOffLeft(
        event_id="left-1",
        occurred_at=moment,
        company_number="09000001",
        source=Source.STREAM,
        reason=LeftReason.DISSOLVED,
        observed_at=moment,
    )


async def test_strike_off_left_adds_the_left_tag_once() -> None:
    sync, api, _store, _ = make(LeftAction.TAG)
    await sync.contact_found(lead(), DELIVERY)
    await sync.strike_off_left(left(), DELIVERY)
    await sync.strike_off_left(left(), DELIVERY)
    assert "strike-off-left" in api.tags["c-ann1@brightwater.example"]
    assert api.count("add_tags") == 2


async def test_strike_off_left_can_remove_the_strike_off_tags_instead() -> None:
    sync, api, _store, _ = make(LeftAction.UNTAG)
    await sync.contact_found(lead(), DELIVERY)
    await sync.strike_off_left(left(), DELIVERY)
    assert api.tags["c-ann1@brightwater.example"] == {"leadpipe"}


async def test_strike_off_left_can_leave_contacts_alone() -> None:
    sync, api, store, _ = make(LeftAction.NONE)
    await sync.contact_found(lead(), DELIVERY)
    calls = len(api.calls)
    await sync.strike_off_left(left(), DELIVERY)
    assert len(api.calls) == calls
    assert "09000001" in store.left


async def test_a_lead_of_a_company_that_already_left_is_synced_with_the_left_tag() -> None:
    sync, api, _store, _ = make(LeftAction.TAG)
    await sync.strike_off_left(left(), DELIVERY)
    await sync.contact_found(lead(), DELIVERY)
    assert "strike-off-left" in api.tags["c-ann1@brightwater.example"]


async def test_an_exit_older_than_the_leads_strike_off_entry_is_ignored() -> None:
    sync, api, _store, _ = make(LeftAction.TAG)
    await sync.contact_found(lead(), DELIVERY)
    await sync.strike_off_left(left(dt.datetime(2026, 1, 1, tzinfo=dt.UTC)), DELIVERY)
    assert "strike-off-left" not in api.tags["c-ann1@brightwater.example"]
