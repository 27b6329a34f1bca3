-- The trace of the work that queued each lookup (a W3C traceparent): the Snov.io batch that
-- searches it continues that trace, and a webhook for the batch links to it.
ALTER TABLE domain_lookups ADD COLUMN traceparent text;
ALTER TABLE email_lookups ADD COLUMN traceparent text;
