"""`convergence import_referential FILE.yaml`: load a referential edition (contract, section 2)."""

import sys
from pathlib import Path

from django.conf import settings

from convergence.lib.commands import DataCommand
from convergence.referential.services import ReferentialFileError, referential_import


class Command(DataCommand):
    help = "Load a referential from a YAML file. Loading the same file again changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", help="referential file (YAML, format convergence-referential/1)")

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
