"""Start-up time of the main `convergence` commands on a small database.

    .venv/bin/python bench/commands.py [--runs 5] [--source DIR] [--keep]

Builds a temporary SQLite database (migrated, the `doctrine-2023` referential imported, a tiny
JSON dataset of 3 services in campaign `BENCH-1` imported), then runs each command `--runs`
times as a fresh process and prints the median wall clock, the fastest and slowest run, and the
difference from the baseline `python -c "import django; django.setup()"` with the same settings
and environment. Two reference rows say what the start-up changes of issue 11 removed from every
command: `django.setup()` followed by Django's system checks (what every command ran before
the project's data commands skipped them), and `django.setup()` followed by
`import matplotlib.pyplot` (what the URLconf imported before charts loaded matplotlib on first
use).

`--source DIR` runs the commands from another checkout's `src/` (for instance a `git archive`
of an older commit, to measure "before"); the database is migrated with that code.

The issue's target: `convergence report` on a small database takes at most 0.5 s more than
the baseline. The benchmark prints whether it is met; it never fails on time. The machine's
load average is printed with the figures (other sessions may run their tests beside it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 0.5
REFERENTIAL = "doctrine-2023"
CAMPAIGN = "BENCH-1"


def tiny_dataset() -> dict:
    """Three submitted services of one GRADeS, every applicable axis of `visioconference`
    answered: enough for `report` to compute figures, small enough that start-up dominates."""
    answers = [{"axis": axis, "level": 2} for axis in ("PSC", "SECU", "ETHIQUE")]
    return {
        "format": "convergence-dataset/1",
        "referential": REFERENTIAL,
        "campaign": {"code": CAMPAIGN, "title": "Bench", "opens_on": "2026-01-01", "closes_on": "2026-12-31"},
        "organisations": [{"code": "grades-bench", "name": "GRADeS Bench", "kind": "grades", "region": "76"}],
        "subjects": [
            {
                "code": f"bench-visio-{i}",
                "kind": "service",
                "name": f"Visio {i}",
                "organisation": "grades-bench",
                "region": "76",
                "type": "visioconference",
                "status": "active",
            }
            for i in range(3)
        ],
        "assessments": [
            {"subject": f"bench-visio-{i}", "status": "submitted", "answers": answers} for i in range(3)
        ],
    }


def source_state(source: Path) -> str:
    """The commit of the checkout and how many of its src/ files differ from it."""

    def git(*argv: str) -> str:
        done = subprocess.run(["git", "-C", str(source), *argv], capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD")
    if not head or not (source / ".git").exists():
        return "not a git checkout"
    changed = len(git("status", "--porcelain", "--", "src").splitlines())
    return f"commit {head}, {changed} uncommitted file(s) under src/"


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} (1 min) / {five:.2f} (5 min)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per command (median printed)")
    parser.add_argument("--source", type=Path, default=ROOT, help="checkout whose src/ is run")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    work = Path(tempfile.mkdtemp(prefix="conv-bench-commands-"))
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CONVERGENCE_TESTING", "DJANGO_SETTINGS_MODULE", "DEBUG"}
    }
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
            "DATA_DIR": str(work / "data"),
            "DJANGO_SETTINGS_MODULE": "convergence.settings",
            "PYTHONPATH": str(args.source.resolve() / "src"),
        }
    )
    python = sys.executable
    convergence = [python, "-m", "convergence"]

    def run(argv: list[str], check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(argv, env=env, cwd=work, capture_output=True, text=True)
        if check and done.returncode != 0:
            sys.exit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
        return done

    dataset = work / "tiny.json"
    dataset.write_text(json.dumps(tiny_dataset()), encoding="utf-8")
    referential = args.source.resolve() / "src/convergence/referential/data" / f"{REFERENTIAL}.yaml"
    source = args.source.resolve()
    print(f"setting up {work} (source {source}, {source_state(source)})", flush=True)
    run([*convergence, "migrate", "--no-input", "-v", "0"])
    run([*convergence, "import_referential", str(referential)])
    run([*convergence, "import_dataset", str(dataset)])

    setup = "import django; django.setup()"
    commands: list[tuple[str, list[str]]] = [
        ("baseline: python -c 'import django; django.setup()'", [python, "-c", setup]),
        (
            "  reference: django.setup() + system checks",
            [python, "-c", setup + "; from django.core.checks import run_checks; run_checks()"],
        ),
        (
            "  reference: django.setup() + import matplotlib.pyplot",
            [python, "-c", setup + "; import matplotlib.pyplot"],
        ),
        (
            f"convergence report --campaign {CAMPAIGN} --scope services",
            [*convergence, "report", "--campaign", CAMPAIGN, "--scope", "services"],
        ),
        (
            f"convergence export_referential {REFERENTIAL} -o export.yaml",
            # A file of the temporary folder, not /dev/null: before ff12114 the command wrote
            # its output beside the target and renamed it over it, replacing /dev/null.
            [*convergence, "export_referential", REFERENTIAL, "-o", str(work / "export.yaml")],
        ),
        ("convergence import_dataset tiny.json (unchanged)", [*convergence, "import_dataset", str(dataset)]),
        ("convergence check", [*convergence, "check"]),
        ("convergence help", [*convergence, "help"]),
    ]

    print(f"load average before: {load_average()}; {args.runs} runs per command, medians in seconds\n")
    results: dict[str, float] = {}
    width = max(len(label) for label, _ in commands)
    print(f"{'command':<{width}}  {'median':>7}  {'min':>6}  {'max':>6}  {'vs baseline':>11}")
    baseline = 0.0
    for index, (label, argv) in enumerate(commands):
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            run(argv)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        results[label] = median
        if index == 0:
            baseline = median
        delta = f"{median - baseline:+.3f}" if index else ""
        low, high = min(times), max(times)
        print(f"{label:<{width}}  {median:7.3f}  {low:6.3f}  {high:6.3f}  {delta:>11}", flush=True)

    report = next(value for label, value in results.items() if label.startswith("convergence report"))
    gap = report - baseline
    verdict = "MET" if gap <= TARGET_S else f"NOT MET (by {gap - TARGET_S:.3f} s)"
    print(f"\nload average after: {load_average()}")
    print(
        f"target (issue 11): convergence report <= baseline + {TARGET_S} s: "
        f"{report:.3f} s against {baseline:.3f} s + {TARGET_S} s (difference {gap:+.3f} s): {verdict}"
    )
    if args.keep:
        print(f"kept {work}")
    else:
        for path in sorted(work.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        work.rmdir()


if __name__ == "__main__":
    main()
