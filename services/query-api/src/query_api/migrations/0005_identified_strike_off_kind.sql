-- The newest strike-off kind a filing revealed after the entry was published (it counts for
-- the entry no exit separates it from; see projections._settle_strike_off_kind).
ALTER TABLE companies
    ADD COLUMN identified_kind text,
    ADD COLUMN kind_at         timestamptz,
    ADD COLUMN kind_event      text;
