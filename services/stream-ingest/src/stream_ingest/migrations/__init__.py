"""SQL migrations of the stream_ingest schema, applied in order at start-up and by setup."""
