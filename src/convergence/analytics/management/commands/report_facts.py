"""`convergence report_facts [--rebuild] [--check]`: maintain the report facts (analytics/facts.py).

The facts follow every write through database triggers and are refreshed before each report,
so this is an operator's tool: `--rebuild` after restoring a database from a dump taken without
the triggers, `--check` to verify that the facts equal a rebuild from the source tables.
"""

from __future__ import annotations

import time

from django.core.management.base import CommandError, CommandParser
from django.db import transaction

from convergence.analytics.facts import facts_rebuild, facts_refresh, facts_snapshot
from convergence.lib.commands import DataCommand


class Command(DataCommand):
    help = "Refresh the report facts of the assessments changed since the last refresh (--rebuild: all)."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--rebuild", action="store_true", help="rebuild every fact from the source tables")
        group.add_argument(
            "--check",
            action="store_true",
            help="exit 1 if the facts differ from a rebuild from the source tables (nothing is changed)",
        )

    def handle(self, *args, rebuild: bool, check: bool, **options) -> None:
        started = time.perf_counter()
        if check:
            facts_refresh()
            with transaction.atomic():
                current = facts_snapshot()
                facts_rebuild()
                expected = facts_snapshot()
                transaction.set_rollback(True)  # a check changes nothing
            if current != expected:
                differing = len(set(current) ^ set(expected))
                raise CommandError(f"report facts: {differing} rows differ from the source tables")
            self.stdout.write(f"report facts: {len(current)} rows, equal to the source tables")
        elif rebuild:
            written = facts_rebuild()
            self.stdout.write(
                f"report facts: {written} rows rebuilt in {time.perf_counter() - started:.1f} s"
            )
        else:
            refreshed = facts_refresh()
            self.stdout.write(
                f"report facts: {refreshed} assessments refreshed in {time.perf_counter() - started:.1f} s"
            )
