-- The newest ContactFound applied to each lead (its occurred_at, then event id): snov-enricher
-- publishes a lead again when its company's facts change, and an older publication delivered
-- late (a retry, a redelivery) must not overwrite a newer one in GoHighLevel.
ALTER TABLE contacts ADD COLUMN lead_at timestamptz;
ALTER TABLE contacts ADD COLUMN lead_event text;
