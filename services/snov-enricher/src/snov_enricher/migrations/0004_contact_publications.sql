-- What each contact's last ContactFound told consumers of its company: the fingerprint of the
-- company summary (NULL for contacts published before it was kept), how often the lead was
-- published again since it was found, and the occurred_at of the last publication. A fact
-- change that makes the summary differ publishes the lead again (snov_enricher.republish).
ALTER TABLE contacts ADD COLUMN summary_hash text;
ALTER TABLE contacts ADD COLUMN revision integer NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN published_at timestamptz;
CREATE INDEX contacts_by_company ON contacts (company_number);
