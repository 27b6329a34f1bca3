-- A snapshot's events are published in id order, so one marker per import says how far
-- publishing got: marking each of a full snapshot's ~800 k events cost more than storing them.
ALTER TABLE bulk_imports ADD COLUMN published_through bigint NOT NULL DEFAULT 0;

UPDATE bulk_imports i SET published_through = coalesce(
    (SELECT max(e.id) FROM bulk_events e WHERE e.snapshot = i.snapshot AND e.published), 0);

DROP INDEX bulk_events_unpublished;
CREATE INDEX bulk_events_in_order ON bulk_events (snapshot, id);
ALTER TABLE bulk_events DROP COLUMN published;
