"""Dataset import benchmark: generate a national-scale CSV, import it, export it; print figures.

    DATA_DIR=/tmp/bench-data .venv/bin/python bench/import_dataset.py --subjects 10000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/conv_bench .venv/bin/python bench/import_dataset.py

Uses a fresh database (migrated here), the default referential edition 2019, one campaign.
Prints throughput (answers/s), peak memory (ru_maxrss) and export time. Never asserts on time.
`--distinct` makes every row's answer cells unique (a comment and a target date per row do not
change the check, so it varies the level and target instead): the worst case for the reader's
cache of checked answer cells.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "convergence.settings")


def siren_for(number: int) -> str:
    """A valid SIREN (Luhn check digit) for the vendor of that number."""
    from convergence.lib.siren import is_valid_siren

    base = f"{100_000_000 + number * 10:09d}"[:8]
    return next(base + digit for digit in "0123456789" if is_valid_siren(base + digit))


def generate(path: Path, subjects: int, campaign: str, context, distinct: bool = False) -> int:
    """Products spread over vendors (20 each), every applicable axis answered (up to 12), each
    vendor with its SIREN (the flat format's optional `siren` column: a vendor needs one)."""
    from convergence.exchange.formats import EXPORT_COLUMNS

    categories = [code for kind, code in context.expectations if kind == "product"]
    blockers = list(context.blocker_codes)
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as target:
        writer = csv.writer(target)
        writer.writerow(EXPORT_COLUMNS)
        for index in range(subjects):
            vendor = index // 20
            siren = siren_for(vendor)
            category = categories[index % len(categories)]
            axes = list(context.applicable_axes("product", category))[:12]
            for position, axis in enumerate(axes):
                level = (index + position) % 4
                target_level = str(level + 1) if level < 3 else ""
                # 48 month-ends over four years: as varied as real trajectories, so that the
                # reader's cache of checked answer cells is not flattered by identical rows.
                month = (index * 7 + position) % 48
                target_date = (
                    datetime.date(2026 + month // 12 + (month % 12 == 11), (month % 12 + 1) % 12 + 1, 1)
                    - datetime.timedelta(days=1)
                ).isoformat()
                if distinct:  # one target date per row: no two rows share their answer cells
                    target_date = (datetime.date(2026, 1, 1) + datetime.timedelta(days=rows)).isoformat()
                writer.writerow(
                    [
                        campaign,
                        f"vendor-{vendor}",
                        f"Éditeur {vendor}",
                        "vendor",
                        "",
                        f"product-{index}",
                        "product",
                        f"Produit {index}",
                        category,
                        "active",
                        "submitted",
                        axis,
                        str(level),
                        target_level,
                        target_date if target_level else "",
                        ";".join(
                            sorted(
                                {
                                    blockers[(index + position) % len(blockers)],
                                    blockers[position % len(blockers)],
                                }
                            )
                        )
                        if (index + position) % 5 == 0
                        else "",
                        f"commentaire {index}" if position % 3 == 0 else "",
                        siren,
                    ]
                )
                rows += 1
    return rows


def generate_json(path: Path, subjects: int, campaign, context) -> int:
    """The same products and vendors as `generate`, as a JSON dataset (contract section 3) with
    milestones and blockers on **every** answer (levels 0-2, one or two milestones above, one or
    two blockers): the JSON import's worst case (issue 11, item 5)."""
    import json

    categories = [code for kind, code in context.expectations if kind == "product"]
    blockers = list(context.blocker_codes)
    organisations = [
        {
            "code": f"vendor-{vendor}",
            "name": f"Éditeur {vendor}",
            "kind": "vendor",
            "siren": siren_for(vendor),
        }
        for vendor in range((subjects + 19) // 20)
    ]
    products = []
    assessments = []
    answers_count = 0
    for index in range(subjects):
        category = categories[index % len(categories)]
        products.append(
            {
                "code": f"product-{index}",
                "kind": "product",
                "name": f"Produit {index}",
                "organisation": f"vendor-{index // 20}",
                "category": category,
                "status": "active",
            }
        )
        answers = []
        for position, axis in enumerate(list(context.applicable_axes("product", category))[:12]):
            level = (index + position) % 3
            month = (index * 7 + position) % 36
            first = datetime.date(2026 + month // 12, month % 12 + 1, 28)
            milestones = [{"level": level + 1, "due_on": first.isoformat()}]
            if level + 2 <= 3 and position % 2 == 0:
                milestones.append(
                    {"level": level + 2, "due_on": first.replace(year=first.year + 1).isoformat()}
                )
            cited = sorted({blockers[(index + position) % len(blockers)], blockers[position % len(blockers)]})
            answer = {"axis": axis, "level": level, "milestones": milestones, "blockers": cited}
            if position % 3 == 0:
                answer["comment"] = f"commentaire {index}"
            answers.append(answer)
        answers_count += len(answers)
        assessments.append({"subject": f"product-{index}", "status": "submitted", "answers": answers})
    document = {
        "format": "convergence-dataset/1",
        "referential": campaign.referential.code,
        "campaign": {
            "code": campaign.code,
            "title": campaign.title,
            "opens_on": campaign.opens_on.isoformat(),
            "closes_on": campaign.closes_on.isoformat(),
            "status": campaign.status,
        },
        "organisations": organisations,
        "subjects": products,
        "assessments": assessments,
    }
    with path.open("w", encoding="utf-8") as target:
        json.dump(document, target, ensure_ascii=False)
    return answers_count


def rows_touched() -> int:
    """PostgreSQL: rows inserted, updated or deleted so far in the database's tables (its
    statistics, flushed first); -1 elsewhere. The difference around an import is what it wrote."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return -1
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT 1")  # the backend flushes its statistics between statements
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables")
        return int(cursor.fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subjects", type=int, default=10_000)
    parser.add_argument("--distinct", action="store_true", help="no two rows with the same answer cells")
    parser.add_argument(
        "--format",
        choices=("csv", "json"),
        default="csv",
        help="csv: the flat file; json: a JSON dataset with milestones and blockers on every answer",
    )
    parser.add_argument("--no-export", action="store_true", help="skip the export timings")
    args = parser.parse_args()
    os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="bench-import-"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from convergence.analytics.facts import facts_refresh
    from convergence.assessments.models import Campaign
    from convergence.assessments.validation import ReferentialContext
    from convergence.exchange import exporter
    from convergence.exchange.services import dataset_import
    from convergence.referential.services import referential_default_paths, referential_import

    call_command("migrate", verbosity=0)
    for path in referential_default_paths():
        referential = referential_import(source=path.read_bytes()).referential
        if referential.code == "doctrine-2019":
            break
    campaign, _ = Campaign.objects.get_or_create(
        code="bench",
        defaults={
            "title": "Bench",
            "referential": referential,
            "opens_on": datetime.date(2020, 1, 1),
            "closes_on": datetime.date(2020, 12, 31),
            "status": "open",
        },
    )
    context = ReferentialContext.from_referential(referential)
    workdir = Path(tempfile.mkdtemp(prefix="bench-files-"))
    source = workdir / f"dataset.{args.format}"
    started = time.perf_counter()
    if args.format == "json":
        rows = generate_json(source, args.subjects, campaign, context)
    else:
        rows = generate(source, args.subjects, campaign.code, context, distinct=args.distinct)
    print(
        f"database: {connection.vendor}; generated {rows} answers ({source.stat().st_size / 1e6:.1f} MB) "
        f"in {time.perf_counter() - started:.1f}s"
    )
    for label in ("first import", "second import (unchanged)"):
        touched = rows_touched()
        started, cpu = time.perf_counter(), time.process_time()
        outcome = dataset_import(path=source)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        touched = rows_touched() - touched
        assert not outcome.problems, outcome.problems[:5]
        # CPU time too: on a shared machine the wall clock follows the load, this process's CPU
        # time much less (the database server's work on PostgreSQL is not in it).
        print(
            f"{label}: {outcome.summary} in {elapsed:.1f}s = {rows / elapsed:,.0f} answers/s "
            f"(CPU {cpu:.1f}s = {rows / cpu:,.0f} answers/CPU-s); "
            f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
            + ("" if touched < 0 else f"; rows inserted, updated or deleted: {touched:,}")
        )
        # What the command and the web import do next (the report facts: docs/reports.md).
        touched = rows_touched()
        started = time.perf_counter()
        refreshed = facts_refresh()
        elapsed = time.perf_counter() - started
        touched = rows_touched() - touched
        print(
            f"  then report facts of {refreshed} assessments: {elapsed:.1f}s"
            + ("" if touched < 0 else f" (rows written: {touched:,})")
        )
    for fmt in () if args.no_export else ("csv", "json"):
        started = time.perf_counter()
        with (workdir / f"export.{fmt}").open("w", encoding="utf-8") as target:
            pieces = exporter.iter_csv(campaign) if fmt == "csv" else exporter.iter_json(campaign)
            for piece in pieces:
                target.write(piece)
        print(f"export {fmt}: {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
