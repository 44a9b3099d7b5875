"""Real servers for the tests that need several processes: a migrated SQLite file that they share,
gunicorn with several workers on a port of 127.0.0.1, and Redis (db 3) as the shared cache.

Every server is stopped by the fixture that started it; waiting is on a state (the health check
answers), bounded by a deadline, never a fixed sleep.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REDIS_TEST_URL = "redis://127.0.0.1:6379/3"
START_DEADLINE = 120  # seconds: gunicorn importing Django on a loaded 2-core machine


def base_env(data_dir: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CONVERGENCE_", "DJANGO_", "PYTEST_")) and key not in ("DATABASE_URL", "DEBUG")
    }
    env.update(
        DATA_DIR=str(data_dir),
        DATABASE_URL=database_url,
        SECRET_KEY="test-" + uuid.uuid4().hex * 2,
        PYTHONPATH=str(ROOT / "src"),
    )
    env.update(extra)
    return env


def migrated_sqlite(path: Path) -> str:
    """A migrated SQLite database in `path`: a copy of the test suite's own (already migrated) when
    the suite runs on SQLite, else `convergence migrate`."""
    from django.db import connection

    if connection.vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(path)
        connection.connection.backup(target)
        target.close()
    else:
        subprocess.run(
            [BIN / "convergence", "migrate", "--noinput", "-v0"],
            env=base_env(path.parent, f"sqlite:///{path}"),
            check=True,
            cwd=ROOT,
        )
    return f"sqlite:///{path}"


def run_python(env: dict[str, str], code: str) -> str:
    """Runs Django code in a separate process against the served database, returns its stdout."""
    result = subprocess.run(
        [BIN / "convergence", "shell", "--no-imports", "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


class Server:
    def __init__(self, process: subprocess.Popen, port: int, log: Path):
        self.process = process
        self.port = port
        self.log = log

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def log_entries(self) -> list[dict]:
        entries = []
        for line in self.log.read_text().splitlines():
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if isinstance(entry, dict):
                    entries.append(entry)
        return entries


@contextlib.contextmanager
def gunicorn(env: dict[str, str], port: int, workers: int = 2) -> Iterator[Server]:
    log = Path(env["DATA_DIR"]) / f"gunicorn-{port}.log"
    env = {
        **env,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        "LOG_FORMAT": "json",
        "ACCESS_LOG": "1",
        "LOG_LEVEL": "INFO",
    }
    with log.open("w") as out:
        process = subprocess.Popen(
            [BIN / "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py")],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, port, log)
    try:
        deadline = time.monotonic() + START_DEADLINE
        while True:
            assert process.poll() is None, log.read_text()
            with contextlib.suppress(OSError):
                if server.request("GET", "/healthz")[0] in (200, 503):
                    break
            assert time.monotonic() < deadline, "gunicorn did not answer:\n" + log.read_text()
            time.sleep(0.2)  # polling a state (the port answers), not waiting for a duration
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_TEST_URL).ping())
    except redis.exceptions.ConnectionError:
        return False
