"""Leadpipe benchmarks: each measures a SPEC §6 target against a baseline in the same run."""
