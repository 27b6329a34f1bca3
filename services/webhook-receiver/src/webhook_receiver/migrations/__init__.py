"""SQL migrations of the webhook_receiver schema, applied in order at start-up and by setup."""
