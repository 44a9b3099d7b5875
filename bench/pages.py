"""Time to first byte and SQL queries of the pages each role opens.

    .venv/bin/python bench/pages.py [--database-url URL] [--requests 10] [--roles a,b] [--demo-scale 1]

Without `--database-url`, a fresh SQLite file in a temporary folder, migrated and loaded with
`convergence demo`. With one (e.g. `postgres://postgres@127.0.0.1:5432/conv_bench`), that
database is migrated and loaded with `convergence demo` too (which skips a data set already
there). A published snapshot of the closed campaign is created if the database has none.
`--national N` adds `bench/report_data.py`'s campaign `bench-N` (N regional services, 12
answers each, facts refreshed) and points the dashboards, the snapshot and the national PDF at
it (the lists then hold the N services too); `--worker` runs `convergence db_worker` beside the
server, which computes the dashboards of a campaign above `ANALYTICS_SYNC_MAX_ANSWERS` (without
it such a dashboard only shows its progress).

The app is served by gunicorn (one worker, DEBUG off, 127.0.0.1 on a free port); the bench logs
in as each demo account by creating its session directly (Django's test client `force_login`
on the same database: two-factor roles already have their demo TOTP authenticator, which is
all the two-factor middleware asks of a session). For each page of the role it prints:
- `p50 ms`, `p95 ms`: time to first byte (request sent → status line and headers received)
  over `--requests` GETs to the live server, the first one included (it may fill a cache), at
  most `--page-budget` seconds per page;
- `queries`: the SQL queries of one request made in-process with the test client on the same
  database (after one warm-up request), counted with `CaptureQueriesContext`;
- `waits`: how many of the responses were a dashboard's progress box (its run still computing
  in the worker) rather than its figures;
- `status`: the HTTP status (a page the role may not open is listed with its 403/404/302).

The issue's targets (< 300 ms at the demo scale, < 500 ms at national scale with
`--target-ms 500`, < 50 ms for a published snapshot, < 3 s for the national PDF) are printed
beside each p50. Benchmarks print figures; they never fail on
time. Traffic goes to 127.0.0.1 only; the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
# The targets where they differ from the page target (--target-ms): a snapshot is served
# as stored, the national PDF within 3 s at national scale; the fiche PDF has none.
TARGETS_MS: dict[str, float | None] = {"published snapshot": 50.0, "national PDF": 3000.0, "fiche PDF": None}


@dataclass
class Page:
    name: str
    path: str


# The ports this project's benchmarks may use on the shared machine.
PORTS = range(8101, 8110)


def free_port() -> int:
    """The first of PORTS that nothing listens on."""
    for port in PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f}/{five:.2f}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file with the demo")
    parser.add_argument("--requests", type=int, default=10, help="GETs per page (p50/p95)")
    parser.add_argument("--page-budget", type=float, default=30.0, help="at most this many seconds per page")
    parser.add_argument("--roles", default="", help="comma-separated e-mail prefixes (default: every role)")
    parser.add_argument("--demo-scale", type=int, default=1, help="`convergence demo --scale`")
    parser.add_argument("--target-ms", type=float, default=300.0, help="the page target to print")
    parser.add_argument("--no-queries", action="store_true", help="skip the in-process query counts")
    parser.add_argument(
        "--national",
        type=int,
        default=0,
        help="also load bench/report_data.py's campaign bench-N (N services x 12 axes) and time "
        "the dashboards, the snapshot and the national PDF on it",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and the server log")
    parser.add_argument("--worker", action="store_true", help="run `convergence db_worker` beside the server")
    args = parser.parse_args()
    if args.requests < 1:
        parser.error("--requests must be at least 1")

    work = Path(tempfile.mkdtemp(prefix="conv-bench-pages-"))
    database_url = args.database_url or f"sqlite:///{work / 'db.sqlite3'}"
    env = {k: v for k, v in os.environ.items() if k not in {"CONVERGENCE_TESTING", "DEBUG", "DATABASE_URL"}}
    env.update(
        {
            "DATABASE_URL": database_url,
            "DATA_DIR": str(work / "data"),
            "DJANGO_SETTINGS_MODULE": "convergence.settings",
            "PYTHONPATH": str(ROOT / "src"),
            "CONVERGENCE_DEMO": "1",
            "SECRET_KEY": "bench-pages-not-a-secret-" + "x" * 40,
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        }
    )
    os.environ.update(env)
    shown_url = database_url.split("@")[-1]
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    changed = subprocess.run([*git, "status", "--porcelain", "--", "src"], capture_output=True, text=True)
    state = f"commit {head.stdout.strip()}, {len(changed.stdout.splitlines())} uncommitted file(s) under src/"
    print(f"database {shown_url}; {state}; load average {load_average()}", flush=True)
    started = time.perf_counter()
    for argv in (["migrate", "--no-input", "-v", "0"], ["demo", "--scale", str(args.demo_scale)]):
        subprocess.run([PYTHON, "-m", "convergence", *argv], env=env, check=True, capture_output=True)
    print(f"migrate + demo: {time.perf_counter() - started:.1f} s", flush=True)

    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from convergence.analytics.models import PublishedReport
    from convergence.analytics.services import report_publish
    from convergence.assessments.models import Assessment
    from convergence.demo.generator import CURRENT_CAMPAIGN, DEMO_ACCOUNTS, PAST_CAMPAIGN
    from convergence.organisations.models import Membership

    campaign, compare, closed = CURRENT_CAMPAIGN, f"&compare_with={PAST_CAMPAIGN}", PAST_CAMPAIGN
    if args.national:
        from bench.report_data import generate
        from convergence.analytics.facts import facts_refresh

        started = time.perf_counter()
        campaign = closed = generate(args.national).code
        facts_refresh()
        compare = ""
        print(f"national data set {campaign}: {time.perf_counter() - started:.1f} s", flush=True)
    snapshot = PublishedReport.objects.filter(campaign__code=closed).order_by("pk").first()
    if snapshot is None:
        snapshot = report_publish(campaign_code=closed, scope="services", region=None, user=None)
    for code in {CURRENT_CAMPAIGN, campaign}:
        assessments = Assessment.objects.filter(campaign__code=code).count()
        print(f"campaign {code}: {assessments} assessments", flush=True)
    print(f"snapshot #{snapshot.pk} of {closed}", flush=True)

    dash = f"/rapports/?campaign={campaign}"

    def pages_for(user) -> list[Page]:
        membership = Membership.objects.filter(user=user).select_related("organisation").first()
        organisation = membership.organisation if membership else None
        own = Assessment.objects.filter(campaign__code=CURRENT_CAMPAIGN)
        if organisation is not None and organisation.kind not in ("agency",):
            own = own.filter(subject__organisation=organisation)
        assessment = own.order_by("pk").first()
        pages = [
            Page("home", "/"),
            Page("catalogue list", "/catalogue/"),
            Page("assessment list", "/evaluations/"),
        ]
        if assessment is not None:
            pages += [
                Page("questionnaire", f"/evaluations/{assessment.pk}/"),
                Page("fiche", f"/evaluations/{assessment.pk}/fiche/"),
                Page("fiche PDF", f"/evaluations/{assessment.pk}/fiche.pdf"),
            ]
        pages += [
            Page("review queue", "/evaluations/revue/"),
            Page("campaigns", "/campagnes/"),
            Page("reports (/rapports/)", "/rapports/"),
            Page("dashboard national", f"{dash}&scope=services{compare}"),
            Page("dashboard regional", f"{dash}&scope=services&region=76"),
            Page("dashboard products", f"{dash}&scope=products"),
            Page("peer benchmark", "/rapports/benchmark/"),
            Page("observatory", "/rapports/observatoire/"),
            Page("published snapshot", f"/rapports/observatoire/{snapshot.pk}/{snapshot.slug}/"),
            Page("national PDF", f"/rapports/export/?campaign={campaign}&scope=services&format=pdf"),
        ]
        return pages

    port = free_port()
    server_log = (work / "server.log").open("w")
    server = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "gunicorn"),
            "convergence.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "300",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=work,
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    worker = None
    if args.worker:
        worker = subprocess.Popen(
            [PYTHON, "-m", "convergence", "db_worker", "--queue-name", "*"],
            env=env,
            cwd=work,
            stdout=server_log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    sys.exit("the server did not start")
                time.sleep(0.2)

        def get(path: str, cookie: str) -> tuple[int, float, bool]:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
            start = time.perf_counter()
            conn.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1"})
            response = conn.getresponse()
            ttfb = time.perf_counter() - start
            body = response.read()
            conn.close()
            # A dashboard whose run is still computing answers its progress box, polling run_status.
            return response.status, ttfb, b'id="run-progress"' in body and b"hx-get=" in body

        wanted = [r.strip() for r in args.roles.split(",") if r.strip()]
        User = get_user_model()
        for email, _org, role in DEMO_ACCOUNTS:
            if wanted and not any(email.startswith(w) for w in wanted):
                continue
            user = User.objects.get(email=email)
            client = Client(HTTP_HOST="127.0.0.1")
            client.force_login(user)
            cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
            print(f"\n{email} ({role}); load average {load_average()}")
            header = f"{'status':>6} {'n':>3} {'p50 ms':>8} {'p95 ms':>8} {'queries':>7} {'waits':>5}"
            print(f"  {'page':<22} {header}  target")
            for page in pages_for(user):
                times: list[float] = []
                waits = 0
                status = 0
                page_start = time.monotonic()
                for _ in range(args.requests):
                    status, ttfb, waiting = get(page.path, cookie)
                    times.append(ttfb)
                    waits += waiting
                    if time.monotonic() - page_start > args.page_budget:
                        break
                queries = ""
                if not args.no_queries and status == 200:
                    client.get(page.path)
                    with CaptureQueriesContext(connection) as captured:
                        client.get(page.path)
                    queries = str(len(captured.captured_queries))
                p50, p95 = statistics.median(times) * 1000, percentile(times, 0.95) * 1000
                target = TARGETS_MS.get(page.name, args.target_ms)
                verdict = ""
                if status == 200 and target is None:
                    verdict = "(no target)"
                elif status == 200 and target is not None:
                    verdict = f"< {target:.0f} " + ("met" if p50 < target else "NOT met")
                figures = f"{status:>6} {len(times):>3} {p50:8.0f} {p95:8.0f} {queries:>7} {waits:>5}"
                print(f"  {page.name:<22} {figures}  {verdict}", flush=True)
    finally:
        for process in (server, worker):
            if process is None:
                continue
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        server_log.close()
    print(f"\nload average at the end {load_average()}")
    if args.keep:
        print(f"kept {work} (server.log: the server's and the worker's output)")
    else:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
