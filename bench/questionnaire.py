"""Benchmark of the questionnaire of a 15-axis subject, through the real HTTP endpoints.

    DATABASE_URL=sqlite:////tmp/bench-questionnaire.sqlite3 .venv/bin/python bench/questionnaire.py [ROUNDS]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/conv_bench_q .venv/bin/python bench/questionnaire.py 20

Creates a fresh database (migrate), a referential with 15 axes that all apply to one product
category, and a vendor's product. Then, ROUNDS times: opens the questionnaire page, saves every
axis with htmx (level, two milestones, a blocker, a comment: one POST per axis, each carrying the
version returned by the previous one), and opens the fiche. It goes through Django's test
Client, so the whole stack runs (middleware, sessions, CSRF-free test client, templates).
Prints, per endpoint, latency percentiles (p50 / p95 / max, in ms) and queries per request.
Benchmarks print figures; they never fail on time.
"""

from __future__ import annotations

import datetime
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "convergence.settings")
os.environ.setdefault("DATA_DIR", "/tmp/convergence-bench-questionnaire")
# The test client's host ("testserver") and fast password hashing.
os.environ.setdefault("CONVERGENCE_TESTING", "1")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    setup_test_environment()
    database = connection.settings_dict["NAME"]
    print(f"database: {connection.vendor} {database}")
    if connection.vendor == "sqlite" and Path(str(database)).exists():
        Path(str(database)).unlink()
    call_command("migrate", verbosity=0)
    from convergence.assessments.models import Assessment
    from tests.assessments.conftest import build_world

    tag = datetime.datetime.now().strftime("%H%M%S") + "-"
    world = build_world(axis_count=15, prefix=tag)
    assessment = world.product_assessment
    client = Client()
    client.force_login(world.vendor_user)
    timings: dict[str, list[float]] = defaultdict(list)
    queries: dict[str, list[int]] = defaultdict(list)

    def call(name: str, method: str, url: str, data: dict | None = None, **headers: str):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = getattr(client, method)(url, data or {}, headers=headers)
            timings[name].append((time.perf_counter() - start) * 1000)
        queries[name].append(len(captured))
        if response.status_code >= 400:
            raise SystemExit(f"{name}: HTTP {response.status_code}")
        return response

    today = datetime.date.today()
    version = Assessment.objects.get(pk=assessment.pk).version
    for round_number in range(rounds):
        call("GET questionnaire", "get", reverse("assessments:questionnaire", args=[assessment.pk]))
        for axis in world.axes:
            level = round_number % 2
            response = call(
                "POST axis (htmx)",
                "post",
                reverse("assessments:answer_save", args=[assessment.pk, axis.code]),
                {
                    "version": version,
                    "level": str(level),
                    "milestone-0-level": str(level + 1),
                    "milestone-0-due_on": (today + datetime.timedelta(days=200)).isoformat(),
                    "milestone-1-level": str(level + 2),
                    "milestone-1-due_on": (today + datetime.timedelta(days=500)).isoformat(),
                    "blockers": ["visibilite"],
                    "comment": f"round {round_number}",
                },
                HX_Request="true",
            )
            if b"fr-alert--success" not in response.content:
                raise SystemExit(f"axis {axis.code} was not saved in round {round_number}")
            version += 1
        call("GET fiche", "get", reverse("assessments:fiche", args=[assessment.pk]))
    call("GET fiche.pdf", "get", reverse("assessments:fiche_pdf", args=[assessment.pk]))
    call("GET list", "get", reverse("assessments:list"))

    print(f"{rounds} rounds, 15 axes per round\n")
    print(f"{'endpoint':<22}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'queries/request':>18}")
    for name, values in timings.items():
        counts = queries[name]
        spread = f"{min(counts)}" if min(counts) == max(counts) else f"{min(counts)}-{max(counts)}"
        print(
            f"{name:<22}{len(values):>9}{statistics.median(values):>9.1f}{percentile(values, 0.95):>9.1f}"
            f"{max(values):>9.1f}{spread:>18}"
        )


if __name__ == "__main__":
    main()
