"""The BasicCompanyData snapshot importer (``leadpipe bulk-import``).

- ``source``: finding the files (one CSV or zip, ``partN_M`` parts, a URL) and the snapshot's
  name and as-of date.
- ``csvfile``: streaming, validating parser: header check, malformed rows, UTF-8 replacement.
- ``importer``: COPY into staging, set-based transitions, resumable publishing, the summary.
"""

from stream_ingest.bulk.csvfile import HeaderError
from stream_ingest.bulk.importer import ImportSummary, run_import
from stream_ingest.bulk.source import Snapshot, resolve_snapshot

__all__ = ["HeaderError", "ImportSummary", "Snapshot", "resolve_snapshot", "run_import"]
