"""SQL migrations of the crm_sync schema, applied in order at start-up and by setup."""
