"""snov-enricher.

Finds company domains and directors' business e-mails with Snov.io, within a credit budget.
"""

__all__: list[str] = []
