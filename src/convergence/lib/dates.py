"""Dates as they come from files, forms and JSON."""

import datetime
from typing import Any


def as_date(value: Any) -> datetime.date | None:
    """A date from a date, a datetime or an ISO 8601 string (`YYYY-MM-DD`); None for anything else."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None
