"""Core migrations applied to every service schema before its own."""
