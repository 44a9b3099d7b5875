"""Structured logs: one JSON object per line, carrying the id of the request (or of the task) that
wrote it, so that one search finds everything a request did, in the web process and in the worker.

`request_id` is a context variable: the web middleware (`convergence.ops.middleware`) sets it per
request, the task signals (`convergence.ops.signals`) set it in the worker for the task the
request enqueued.
"""

from __future__ import annotations

import contextvars
import datetime
import json
import logging
import re
import uuid

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

# An id received from the proxy (X-Request-ID) is kept only if it is short and plain.
VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")

# The attributes every LogRecord has: anything else was passed in `extra=` and is logged as a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


def new_request_id(received: str | None = None) -> str:
    if received and VALID_REQUEST_ID.match(received):
        return received
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id.get(),
            "process": record.process,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
