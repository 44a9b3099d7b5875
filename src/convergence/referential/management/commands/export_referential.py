"""`convergence export_referential CODE [--format yaml|xlsx] [-o FILE]`: write a referential in an
import format (YAML, or the XLSX workbook of the contract's section 6)."""

import os
import sys
import tempfile
from pathlib import Path

from convergence.lib.commands import DataCommand
from convergence.referential.models import Referential
from convergence.referential.services import referential_export, referential_workbook_export


class Command(DataCommand):
    help = "Write a referential as YAML or as an XLSX workbook (the formats import_referential reads)."

    def add_arguments(self, parser):
        parser.add_argument("code", help="code of the referential, e.g. doctrine-2019")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")
        parser.add_argument(
            "--format",
            choices=["yaml", "xlsx"],
            help="yaml (default) or xlsx; without it, the extension of -o decides",
        )

    def handle(self, *args, code: str, output: str | None = None, format: str | None = None, **options):
        referential = Referential.objects.filter(code=code).first()
        if referential is None:
            known = ", ".join(Referential.objects.order_by("code").values_list("code", flat=True)) or "none"
            self.stderr.write(f"code: unknown referential {code!r}; known referentials: {known}")
            sys.exit(2)
        if format is None:
            format = "xlsx" if output and output.lower().endswith(".xlsx") else "yaml"
        content: bytes = (
            referential_workbook_export(referential=referential)
            if format == "xlsx"
            else referential_export(referential=referential).encode("utf-8")
        )
        if output is None:
            if format == "xlsx":
                self.stdout.flush()
                sys.stdout.buffer.write(content)
                sys.stdout.buffer.flush()
            else:
                self.stdout.write(content.decode("utf-8"), ending="")
            return
        target = Path(output)
        try:
            if target.exists() and not target.is_file():
                # A device or a pipe (`-o /dev/null`, `-o /dev/stdout`): written in place, never
                # replaced by a regular file.
                with target.open("wb") as stream:
                    stream.write(content)
            else:
                # Write next to the target then rename: a failed export never leaves half a file.
                handle, temporary = tempfile.mkstemp(
                    dir=target.parent or Path("."), prefix=f".{target.name}."
                )
                with os.fdopen(handle, "wb") as stream:
                    stream.write(content)
                os.replace(temporary, target)
        except OSError as error:
            self.stderr.write(f"{output}: cannot be written ({error.strerror or error})")
            sys.exit(2)
        self.stderr.write(f"exported referential {code} to {output}")
