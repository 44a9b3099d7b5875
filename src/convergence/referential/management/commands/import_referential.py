"""`convergence import_referential FILE.yaml|FILE.xlsx`: load a referential edition (contract,
sections 2 and 6; the format is chosen by the file's extension)."""

import sys
from pathlib import Path

from django.conf import settings

from convergence.lib.commands import DataCommand
from convergence.referential.services import (
    ReferentialFileError,
    referential_import,
    referential_workbook_import,
)


class Command(DataCommand):
    help = "Load a referential from a YAML file or an XLSX workbook; loading it again changes nothing."

    def add_arguments(self, parser):
        parser.add_argument(
            "file", help="referential file: YAML (convergence-referential/1) or an XLSX workbook (.xlsx)"
        )

    def handle(self, *args, file: str, **options):
        path = Path(file)
        try:
            # Refuse an oversized file by its size, before reading a byte of it.
            size = path.stat().st_size
            if size > settings.REFERENTIAL_MAX_BYTES:
                limit = settings.REFERENTIAL_MAX_BYTES
                raise ReferentialFileError(
                    [f"file: {size} bytes, more than the {limit} bytes a referential may have"]
                )
            if not path.is_file():
                raise ReferentialFileError(["file: not a regular file"])
            source = path.read_bytes()
            if path.suffix.lower() == ".xlsx":
                result = referential_workbook_import(source=source)
            else:
                result = referential_import(source=source)
        except FileNotFoundError:
            self._fail(file, ["file: no such file"])
        except PermissionError:
            self._fail(file, ["file: permission denied"])
        except IsADirectoryError:
            self._fail(file, ["file: is a directory"])
        except OSError as error:
            self._fail(file, [f"file: cannot be read ({error.strerror or error})"])
        except ReferentialFileError as error:
            self._fail(file, error.problems)
        self.stdout.write(result.summary)

    def _fail(self, file: str, problems: list[str]) -> None:
        for problem in problems:
            self.stderr.write(f"{file}: {problem}")
        sys.exit(2)
