"""`convergence backup -o FILE` (contract, section 7)."""

import sys
from pathlib import Path

from django.core.management.base import no_translations

from convergence.lib.commands import DataCommand
from convergence.ops.backup import backup_write


class Command(DataCommand):
    help = (
        "Write one archive with every row of the database (engine-independent), every stored file "
        "and a manifest of SHA-256 checksums and the schema version."
    )

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", required=True, help="the archive to write (.zip)")

    @no_translations
    def handle(self, *args, output: str, **options):
        target = Path(output)
        if not target.parent.is_dir():
            self.stderr.write(f"{output}: no such folder: {target.parent}")
            sys.exit(2)
        summary = backup_write(target=target)
        self.stdout.write(summary.line("backed up"))
