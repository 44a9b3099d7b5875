"""`convergence export_referential CODE [-o FILE]`: write a referential in the import format."""

import os
import sys
import tempfile
from pathlib import Path

from convergence.lib.commands import DataCommand
from convergence.referential.models import Referential
from convergence.referential.services import referential_export


class Command(DataCommand):
    help = "Write a referential as YAML (the format import_referential reads)."

    def add_arguments(self, parser):
        parser.add_argument("code", help="code of the referential, e.g. doctrine-2019")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args, code: str, output: str | None = None, **options):
        referential = Referential.objects.filter(code=code).first()
        if referential is None:
            known = ", ".join(Referential.objects.order_by("code").values_list("code", flat=True)) or "none"
            self.stderr.write(f"code: unknown referential {code!r}; known referentials: {known}")
            sys.exit(2)
        text = referential_export(referential=referential)
        if output is None:
            self.stdout.write(text, ending="")
            return
        target = Path(output)
        try:
            if target.exists() and not target.is_file():
                # A device or a pipe (`-o /dev/null`, `-o /dev/stdout`): written in place, never
                # replaced by a regular file.
                with target.open("w", encoding="utf-8") as stream:
                    stream.write(text)
            else:
                # Write next to the target then rename: a failed export never leaves half a file.
                handle, temporary = tempfile.mkstemp(
                    dir=target.parent or Path("."), prefix=f".{target.name}."
                )
                with os.fdopen(handle, "w", encoding="utf-8") as stream:
                    stream.write(text)
                os.replace(temporary, target)
        except OSError as error:
            self.stderr.write(f"{output}: cannot be written ({error.strerror or error})")
            sys.exit(2)
        self.stderr.write(f"exported referential {code} to {output}")
