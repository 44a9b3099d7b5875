"""`convergence restore FILE` (contract, section 7)."""

import sys
from pathlib import Path

from django.core.management.base import no_translations

from convergence.lib.commands import DataCommand
from convergence.ops.backup import BackupRefused, archive_restore


class Command(DataCommand):
    help = (
        "Load a backup archive into an empty, migrated database (any engine). Refuses (exit 2) a "
        "database that holds data, an altered archive or one of a newer schema; all or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="an archive written by `convergence backup`")

    @no_translations
    def handle(self, *args, file: str, **options):
        path = Path(file)
        if not path.is_file():
            self.stderr.write(f"{file}: no such file")
            sys.exit(2)
        try:
            summary = archive_restore(source=path)
        except BackupRefused as refusal:
            for problem in refusal.problems:
                self.stderr.write(f"{file}: {problem}")
            self.stderr.write(f"{file}: nothing was restored")
            sys.exit(2)
        self.stdout.write(summary.line("restored"))
