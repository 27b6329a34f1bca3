"""SQL migrations of the ch_gateway schema, applied in order at start-up and by setup."""
