"""Benchmark of a large evidence upload through the questionnaire's "Save axis" (issue 15: one
199 MiB upload held the only worker for 269 s at a 1.6 GB memory peak).

    DATABASE_URL=sqlite:////tmp/bench-evidence.sqlite3 .venv/bin/python bench/evidence_upload.py [MIB]

Creates a fresh database, the small world of the assessment tests, and a multipart body on disk
(a PDF of MIB mebibytes, default 199). Then, through Django's full stack (test Client, the body
read from the file as a WSGI stream, as a server hands it over):

1. with the default limit (EVIDENCE_MAX_BYTES, 20 MB): the request is refused from its
   Content-Length, before the body is read;
2. with the limit raised above the file: the file is streamed to a temporary file in chunks,
   its first KiB checked, then moved into place.

Prints wall time, the Python allocation peak (tracemalloc) and the process's peak RSS growth
for each. Benchmarks print figures; they never fail on time.
"""

from __future__ import annotations

import datetime
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "convergence.settings")
os.environ.setdefault("DATA_DIR", "/tmp/convergence-bench-evidence")
os.environ.setdefault("CONVERGENCE_TESTING", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

PDF_HEAD = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n"
BOUNDARY = "convergencebench"


def write_body(path: Path, mib: int, version: int) -> None:
    with path.open("wb") as body:
        for name, value in (("version", str(version)), ("level", "1")):
            body.write(
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            )
        body.write(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="gros.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n".encode()
        )
        body.write(PDF_HEAD)
        chunk = b"0" * (1024 * 1024)
        for _ in range(mib):
            body.write(chunk)
        body.write(b"\n%%EOF\n")
        body.write(f"\r\n--{BOUNDARY}--\r\n".encode())


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def post(client: Client, url: str, path: Path):
    with path.open("rb") as stream:
        rss_before = rss_mib()
        tracemalloc.start()
        started = time.perf_counter()
        response = client.generic(
            "POST",
            url,
            b"",
            CONTENT_TYPE=f"multipart/form-data; boundary={BOUNDARY}",
            CONTENT_LENGTH=str(path.stat().st_size),
            **{"wsgi.input": stream},
        )
        elapsed = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return response, elapsed, peak / (1024 * 1024), rss_mib() - rss_before


def main() -> None:
    mib = int(sys.argv[1]) if len(sys.argv) > 1 else 199
    setup_test_environment()
    database = connection.settings_dict["NAME"]
    print(f"database: {connection.vendor} {database}; upload of {mib} MiB")
    if connection.vendor == "sqlite" and Path(str(database)).exists():
        Path(str(database)).unlink()
    call_command("migrate", verbosity=0)
    from convergence.assessments.models import Evidence
    from tests.assessments.conftest import build_world

    world = build_world(prefix=datetime.datetime.now().strftime("%H%M%S") + "-")
    client = Client()
    client.force_login(world.vendor_user)
    assessment = world.product_assessment
    url = reverse("assessments:answer_save", args=[assessment.pk, "AX00"])
    with tempfile.TemporaryDirectory() as scratch:
        body = Path(scratch) / "body.bin"
        write_body(body, mib, version=assessment.version)
        response, elapsed, peak, rss = post(client, url, body)
        refused = [str(m) for m in response.wsgi_request._messages]
        limit = settings.EVIDENCE_MAX_BYTES // (1024 * 1024)
        print(
            f"default limit ({limit} MiB): HTTP {response.status_code} "
            f"in {elapsed * 1000:.1f} ms, allocation peak {peak:.2f} MiB, RSS growth {rss:.1f} MiB; {refused}"
        )
        with override_settings(
            EVIDENCE_MAX_BYTES=(mib + 1) * 1024 * 1024, MEDIA_ROOT=scratch, FILE_UPLOAD_TEMP_DIR=scratch
        ):
            response, elapsed, peak, rss = post(client, url, body)
            stored = Evidence.objects.filter(answer__assessment=assessment).first()
            print(
                f"limit raised to {mib + 1} MiB: HTTP {response.status_code} in {elapsed:.2f} s, "
                f"allocation peak {peak:.2f} MiB, RSS growth {rss:.1f} MiB; "
                f"stored {stored.size / (1024 * 1024):.1f} MiB"
                if stored
                else "nothing stored"
            )


if __name__ == "__main__":
    main()
