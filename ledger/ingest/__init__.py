"""Ingest: map third-party datasets (GDELT 2.0 events and mentions) to NDJSON event lines.

Pure functions over rows and files: no database, no terminal. The caller validates the lines
like any other input and maps a `ValueError` from a row to a line error.
"""

from __future__ import annotations
