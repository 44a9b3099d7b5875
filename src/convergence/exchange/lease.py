"""The lease of a running import: held by the process that runs it, released by the system when
that process dies, so a run whose worker was killed is told apart from a run still going.

- PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) keyed by the run's token.
  The server releases it when the session ends, also when the client is killed (`kill -9`):
  its connection closes. It holds across machines (web and worker on different hosts).
- SQLite (one machine by nature): an exclusive `flock` on a small file beside the upload; the
  kernel releases it when the process dies.

No time is involved (no heartbeat to miss under load): a lease is held or it is not.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path

from django.conf import settings
from django.db import connection


def _key(token: str) -> int:
    """A signed 64-bit key for the advisory lock (one namespace of ours: "import-run:")."""
    digest = hashlib.blake2b(f"convergence-import-run:{token}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _lock_path(token: str) -> Path:
    directory = Path(settings.DATA_DIR) / "imports"
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"{token}.lease"


class Lease:
    """`with Lease(token) as lease:` holds the run's lease for the block (`lease.held` says
    whether it was obtained: False when another live process holds it)."""

    def __init__(self, token: str):
        self.token = token
        self.held = False
        self._fd: int | None = None

    def acquire(self) -> bool:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [_key(self.token)])
                self.held = bool(cursor.fetchone()[0])
            return self.held
        fd = os.open(_lock_path(self.token), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        self.held = True
        return True

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_key(self.token)])
            return
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> Lease:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def lease_is_held(token: str) -> bool:
    """Whether a live process holds the run's lease (tried, and released at once if free)."""
    lease = Lease(token)
    if lease.acquire():
        lease.release()
        return False
    return True


def lease_forget(token: str) -> None:
    """Remove what a finished run's lease left behind (SQLite: the lock file)."""
    _lock_path(token).unlink(missing_ok=True)
