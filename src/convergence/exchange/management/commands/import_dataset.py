"""`convergence import_dataset FILE`: load a dataset (.json, .csv or .xlsx; contract §1, 3, 4)."""

import sys
from pathlib import Path

from django.core.management.base import no_translations

from convergence.analytics.facts import facts_refresh
from convergence.exchange.services import dataset_import_file
from convergence.lib.commands import DataCommand


class Command(DataCommand):
    help = (
        "Load a dataset: JSON (organisations, subjects, a campaign and its assessments) or CSV/XLSX "
        "(one row per answer). All or nothing; loading the same file twice changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="dataset file: .json, .csv or .xlsx")

    # Messages for scripts and logs stay in English, whatever the site's default language
    # (the contract's wording: `row 45, column level: ...`).
    @no_translations
    def handle(self, *args, file: str, **options):
        path = Path(file)
        if not path.exists():
            self._fail(file, ["file: no such file"])
        if not path.is_file():
            self._fail(file, ["file: not a regular file"])
        outcome, _run = dataset_import_file(path=path)
        if outcome.problems:
            problems = [problem.english() for problem in outcome.problems]
            if outcome.truncated:
                problems.append(f"file: stopped after {len(outcome.problems)} problems; nothing was imported")
            self._fail(file, problems)
        self.stdout.write(outcome.summary)
        # The report facts of what was imported (analytics/facts.py): now rather than at the
        # next report, which would otherwise pay for a large import.
        facts_refresh()

    def _fail(self, file: str, problems: list[str]) -> None:
        for problem in problems:
            self.stderr.write(f"{file}: {problem}")
        sys.exit(2)
