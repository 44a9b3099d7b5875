"""Small helpers for the analytics app's hand-written SQL (the engine, the facts, the benchmark)."""

from __future__ import annotations

from typing import Any

from django.db import connection

# The generic helpers live in lib.db (shared with exchange); the app keeps its names for them.
from convergence.lib.db import fetch as _fetch  # noqa: F401
from convergence.lib.db import table as _table  # noqa: F401


def _year_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(EXTRACT(YEAR FROM {column}) AS INTEGER)"
    # SQLite (and others storing ISO text): the first four characters are the year.
    return f"CAST(SUBSTR({column}, 1, 4) AS INTEGER)"


def _execute(sql: str, params: list[Any] | None = None) -> int:
    """Run one statement; the number of rows it changed."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.rowcount
