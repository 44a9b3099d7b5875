"""Dataset import and export: the entry points shared by the command line, the web pages and
the benchmark.

`dataset_import` is all or nothing: it runs in one transaction, which is rolled back when any
problem was found (or for a preview, `dry_run=True`). It is idempotent: records are matched by
code, and a value equal to the stored one is left alone (counted as unchanged).
"""

from __future__ import annotations

import datetime
import gc
import logging
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from convergence.analytics.facts import facts_refresh
from convergence.organisations.models import Organisation, User

from .formats import (
    EMPTY,
    TOO_BIG,
    DatasetFileError,
    check_size,
    detect_format,
    iter_csv,
    iter_xlsx,
    read_json,
)
from .importer import DatasetImporter, ImportOutcome, TooManyProblems
from .lease import Lease, lease_forget
from .models import ImportRun
from .problems import ImportProblem, Message


class _Rollback(Exception):
    pass


SQLITE_IMPORT_CACHE_KIB = 256 * 1024


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """The import keeps a million small objects alive (entries, batches, cached checks) and
    allocates millions more: the cyclic garbage collector then rescans the survivors again and
    again (under cProfile its pauses showed up as time in whatever allocated). Its records make
    no reference cycles, so the collector is paused for the import and restored after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def _large_page_cache() -> Iterator[None]:
    """SQLite keeps 2 MB of pages by default: a national import then rereads index pages from
    the file for every batch of inserts. A larger cache for the import's duration (pages are
    allocated only as needed) keeps them in memory; the connection's setting is restored."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def dataset_import(
    *,
    path: Path,
    name: str | None = None,
    organisation: Organisation | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    formats: tuple[str, ...] = ("json", "csv", "xlsx"),
    on_success: Callable[[ImportOutcome], None] | None = None,
) -> ImportOutcome:
    """Import a dataset file. `organisation` restricts the import to that organisation's own
    data (a member's web upload); None imports anything (command line, agency).

    `on_success` runs inside the data transaction, after the last write, when the import
    succeeded (not for a dry run): what it writes (the run's "applied" record) commits with the
    data or not at all, so a process killed during the COMMIT leaves either both or neither."""
    importer = DatasetImporter(organisation=organisation, progress=progress)
    try:
        with transaction.atomic(), _large_page_cache(), _no_cyclic_gc():
            try:
                file_format = detect_format(path, name)
                if file_format not in formats:
                    raise DatasetFileError.at(
                        "file",
                        _("a .%(format)s file cannot be imported here; use %(formats)s"),
                        format=file_format,
                        formats=", ".join(formats),
                    )
                check_size(path)
                if file_format == "json":
                    importer.import_document(read_json(path))
                else:
                    importer.import_rows(iter_csv(path) if file_format == "csv" else iter_xlsx(path))
                importer.finish()
            except TooManyProblems:
                pass
            except DatasetFileError as error:
                importer.outcome.problems.extend(error.problems)
            except OSError as error:
                importer.outcome.problems.append(
                    ImportProblem(
                        "file", Message(_("cannot be read (%(error)s)"), error=error.strerror or error)
                    )
                )
            outcome = importer.outcome
            outcome.targets = {code: e.type_or_category for code, e in importer.checks.subjects.items()}
            if importer.failed or dry_run:
                raise _Rollback
            if on_success is not None:
                on_success(importer.outcome)
    except _Rollback:
        pass
    return importer.outcome


def import_run_record(
    *, run: ImportRun, outcome: ImportOutcome, status: str, finished: bool = True
) -> ImportRun:
    """Write what an import did on its audit record. `created`/`updated`/`unchanged` are what
    was written: zero unless the import was applied (a rejected or previewed import wrote
    nothing; `counts` keeps, per kind, what its file would do, which the preview shows)."""
    run.campaign_code = outcome.campaign_code or run.campaign_code
    run.rows = outcome.rows
    run.rows_done = outcome.rows
    applied = status == ImportRun.Status.APPLIED
    run.created = outcome.total("created") if applied else 0
    run.updated = outcome.total("updated") if applied else 0
    run.unchanged = outcome.total("unchanged") if applied else 0
    run.counts = outcome.as_dict()
    # Each problem in every language of the site: its page shows it in the reader's language.
    run.problems = [problem.as_json() for problem in outcome.problems]
    run.problems_truncated = outcome.truncated
    run.status = status
    if finished:
        run.finished_at = timezone.now()
    run.save()
    return run


def dataset_import_file(
    *, path: Path, user: User | None = None, source: str = ImportRun.Source.COMMAND
) -> tuple[ImportOutcome, ImportRun]:
    """Command line: import, and record the run.

    The run is recorded (status "running", its lease held) and committed **before** the data
    transaction, so an import whose process is killed stays visible: the next import, or the
    import page, finds its lease free and marks it interrupted (`import_runs_reap`). Its
    "applied" record is written inside the data transaction (`on_success`), so it commits with
    the data; a rejected import is recorded after the rollback."""
    import_runs_reap()
    size = path.stat().st_size if path.is_file() else 0
    run = ImportRun(
        source=source,
        user=user,
        file_name=path.name[:255],
        file_format=path.suffix[1:][:10],
        file_size=size,
        status=ImportRun.Status.RUNNING,
        step=ImportRun.Step.APPLY,
    )
    with Lease(run.token) as lease:
        if not lease.held:  # a fresh random token: no one else can hold it
            raise RuntimeError(f"the lease of import {run.token} is taken")
        run.claimed_at = timezone.now()
        run.save()

        def applied(outcome: ImportOutcome) -> None:
            import_run_record(run=run, outcome=outcome, status=ImportRun.Status.APPLIED)

        try:
            outcome = dataset_import(path=path, on_success=applied)
        except Exception:
            outcome = ImportOutcome(
                problems=[ImportProblem("file", _("the import failed unexpectedly; nothing was written"))]
            )
            import_run_record(run=run, outcome=outcome, status=ImportRun.Status.REJECTED)
            raise
        if outcome.problems:
            import_run_record(run=run, outcome=outcome, status=ImportRun.Status.REJECTED)
        else:
            # The report facts of what was imported (analytics/facts.py), here in the background
            # rather than at the next report, which would otherwise pay for a large import.
            facts_refresh()
    lease_forget(run.token)
    return outcome, run


INTERRUPTED_MESSAGE = _(
    "the import stopped before it finished (its process was stopped); nothing was written"
)


def import_runs_reap(*, runs=None) -> int:
    """Mark interrupted the runs that a process took (`claimed_at`) but whose lease is free:
    that process died (killed, restarted) before finishing, and nothing of it was committed
    (the data and the "applied" record commit together). `runs`: a queryset to look in
    (default: every run). Returns how many were marked."""
    candidates = (ImportRun.objects.all() if runs is None else runs).filter(
        status__in=[ImportRun.Status.UPLOADED, ImportRun.Status.RUNNING], claimed_at__isnull=False
    )
    reaped = 0
    for run in list(candidates):
        lease = Lease(run.token)
        if not lease.acquire():
            continue  # its process is alive
        try:
            done = import_run_progress(run)
            reaped += ImportRun.objects.filter(
                pk=run.pk, status=run.status, claimed_at=run.claimed_at
            ).update(
                status=ImportRun.Status.INTERRUPTED,
                rows_done=done,
                problems=[ImportProblem("file", INTERRUPTED_MESSAGE).as_json()],
                finished_at=timezone.now(),
            )
        finally:
            lease.release()
        progress_path(run).unlink(missing_ok=True)
        lease_forget(run.token)
    return reaped


# --- web uploads: the file is kept under DATA_DIR between the preview and the confirmation ---

MAX_LISTED_SUBJECTS = 20_000  # the preview lists subjects up to this many (paginated)
UPLOAD_MAX_AGE = datetime.timedelta(days=2)  # unconfirmed uploads older than this are removed

logger = logging.getLogger(__name__)


def upload_dir() -> Path:
    directory = Path(settings.DATA_DIR) / "imports"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def upload_path(run: ImportRun) -> Path:
    # The token is random (secrets) and the extension one of ours: no user input in the path.
    return upload_dir() / f"{run.token}.{run.file_format}"


def progress_path(run: ImportRun) -> Path:
    """Progress is written to a file, not to the database: the import runs in one transaction
    (on SQLite it holds the only write lock), so a row updated inside it would stay invisible
    to the page that polls until the end."""
    return upload_dir() / f"{run.token}.progress"


def import_run_progress(run: ImportRun) -> int:
    """Rows read so far by a running check or import."""
    try:
        return int(progress_path(run).read_text() or 0)
    except (OSError, ValueError):
        return run.rows_done


def import_uploads_purge(*, now: datetime.datetime | None = None) -> int:
    """Remove uploads that were never confirmed nor cancelled (older than UPLOAD_MAX_AGE)."""
    limit = (now or timezone.now()) - UPLOAD_MAX_AGE
    stale = ImportRun.objects.filter(
        source=ImportRun.Source.WEB,
        started_at__lt=limit,
        status__in=[ImportRun.Status.UPLOADED, ImportRun.Status.PREVIEWED, ImportRun.Status.INTERRUPTED],
    ).exclude(status=ImportRun.Status.UPLOADED, claimed_at__isnull=False)
    count = 0
    for run in stale:
        upload_path(run).unlink(missing_ok=True)
        progress_path(run).unlink(missing_ok=True)
        run.status = ImportRun.Status.CANCELLED
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "finished_at"])
        count += 1
    return count


def import_upload_store(
    *, uploaded, user: User, organisation: Organisation | None, restricted: bool
) -> ImportRun:
    """Keep an uploaded CSV or XLSX server-side and open its audit record (status "uploaded":
    the check comes next, `import_run_check`)."""
    name = Path(uploaded.name or "").name[:255]
    file_format = detect_format(Path(name))
    if file_format not in ("csv", "xlsx"):
        raise DatasetFileError.at("file", _("upload a .csv or .xlsx file"))
    if uploaded.size > settings.IMPORT_MAX_BYTES:
        raise DatasetFileError.at("file", TOO_BIG, size=uploaded.size, limit=settings.IMPORT_MAX_BYTES)
    if not uploaded.size:
        raise DatasetFileError.at("file", EMPTY)
    import_uploads_purge()
    run = ImportRun.objects.create(
        source=ImportRun.Source.WEB,
        user=user,
        organisation=organisation,
        restricted=restricted,
        file_name=name,
        file_format=file_format,
        file_size=uploaded.size,
    )
    with upload_path(run).open("wb") as target:
        for chunk in uploaded.chunks():
            target.write(chunk)
    return run


def _progress_saver(run: ImportRun) -> Callable[[int], None]:
    path = progress_path(run)

    def save(rows: int) -> None:
        path.write_text(str(rows))

    return save


def _record_subjects(run: ImportRun, outcome: ImportOutcome) -> None:
    """[code, name, action, type or category code] of each subject (the page shows the label)."""
    listed = sorted(outcome.subjects.items())[:MAX_LISTED_SUBJECTS]
    targets = outcome.targets
    run.subjects = [[code, name, action, targets.get(code, "")] for code, (name, action) in listed]


def import_run_check(*, run: ImportRun) -> ImportRun:
    """Preview: run the import and roll it back; the counts say what confirming would do."""
    if run.status != ImportRun.Status.UPLOADED:
        raise ValueError(f"import {run.pk} is {run.status}, not waiting for its check")
    with Lease(run.token) as lease:
        if not lease.held or not _claim(run, ImportRun.Step.CHECK):
            return run  # another live process is on it
        organisation = run.organisation if run.restricted else None
        try:
            outcome = dataset_import(
                path=upload_path(run),
                name=run.file_name,
                organisation=organisation,
                dry_run=True,
                progress=_progress_saver(run),
                formats=("csv", "xlsx"),
            )
        except Exception:
            logger.exception("import check %s failed", run.pk)
            outcome = ImportOutcome(
                problems=[ImportProblem("file", _("the check failed unexpectedly; nothing was written"))]
            )
        status = ImportRun.Status.REJECTED if outcome.problems else ImportRun.Status.PREVIEWED
        _record_subjects(run, outcome)
        import_run_record(run=run, outcome=outcome, status=status, finished=bool(outcome.problems))
    progress_path(run).unlink(missing_ok=True)
    lease_forget(run.token)
    if outcome.problems:
        upload_path(run).unlink(missing_ok=True)
    return run


def _claim(run: ImportRun, step: str) -> bool:
    """Take the run for this process (its lease is held): recorded and committed before the
    work, so that its death can be told (`import_runs_reap`)."""
    now = timezone.now()
    claimed = ImportRun.objects.filter(pk=run.pk, status=run.status).update(claimed_at=now, step=step)
    if claimed:
        run.claimed_at, run.step = now, step
    return bool(claimed)


def import_run_confirm(*, run: ImportRun) -> bool:
    """Consume the confirmation atomically: only one request moves a previewed import to
    "running" (a second click, or a second tab, gets False and imports nothing)."""
    claimed = ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.PREVIEWED).update(
        status=ImportRun.Status.RUNNING, rows_done=0
    )
    if claimed:
        run.status = ImportRun.Status.RUNNING
        run.rows_done = 0
    return bool(claimed)


def import_run_apply(*, run: ImportRun) -> ImportRun:
    """After `import_run_confirm`: import for real (the data may have changed since the preview:
    the import checks everything again and is still all or nothing)."""
    if run.status != ImportRun.Status.RUNNING:
        raise ValueError(f"import {run.pk} is {run.status}, not confirmed")
    with Lease(run.token) as lease:
        if not lease.held or not _claim(run, ImportRun.Step.APPLY):
            return run  # another live process is on it
        organisation = run.organisation if run.restricted else None

        def applied(outcome: ImportOutcome) -> None:
            # In the data transaction: the "applied" record commits with the data or not at all.
            _record_subjects(run, outcome)
            import_run_record(run=run, outcome=outcome, status=ImportRun.Status.APPLIED)

        try:
            outcome = dataset_import(
                path=upload_path(run),
                name=run.file_name,
                organisation=organisation,
                progress=_progress_saver(run),
                formats=("csv", "xlsx"),
                on_success=applied,
            )
        except Exception:
            logger.exception("import %s failed", run.pk)
            outcome = ImportOutcome(
                problems=[ImportProblem("file", _("the import failed unexpectedly; nothing was written"))]
            )
        if outcome.problems:
            _record_subjects(run, outcome)
            import_run_record(run=run, outcome=outcome, status=ImportRun.Status.REJECTED)
        else:
            # The report facts of what was imported (analytics/facts.py), here in the background
            # rather than at the next report, which would otherwise pay for a large import.
            facts_refresh()
    upload_path(run).unlink(missing_ok=True)
    progress_path(run).unlink(missing_ok=True)
    lease_forget(run.token)
    return run


def import_run_cancel(*, run: ImportRun) -> bool:
    """Cancel an import waiting for confirmation, or an interrupted one (atomically, like the
    confirmation). An upload whose check a live process is running cannot be cancelled."""
    cancellable = Q(status__in=[ImportRun.Status.PREVIEWED, ImportRun.Status.INTERRUPTED]) | Q(
        status=ImportRun.Status.UPLOADED, claimed_at__isnull=True
    )
    cancelled = ImportRun.objects.filter(cancellable, pk=run.pk).update(
        status=ImportRun.Status.CANCELLED, finished_at=timezone.now()
    )
    if cancelled:
        upload_path(run).unlink(missing_ok=True)
        progress_path(run).unlink(missing_ok=True)
        run.refresh_from_db()
    return bool(cancelled)


def import_run_retry(*, run: ImportRun) -> str | None:
    """Put an interrupted web import back to the step it was running (the check, or the
    confirmed import, which checks everything again): atomically, so a double click retries
    once. Returns that step, for the caller to run it in the background; None when the run is
    not interrupted or its file is gone."""
    if run.source != ImportRun.Source.WEB or not upload_path(run).is_file():
        return None
    step = run.step or ImportRun.Step.APPLY
    status = ImportRun.Status.UPLOADED if step == ImportRun.Step.CHECK else ImportRun.Status.RUNNING
    retried = ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.INTERRUPTED).update(
        status=status, claimed_at=None, rows_done=0, problems=[], finished_at=None
    )
    if not retried:
        return None
    run.refresh_from_db()
    return step


def copy_to_upload(source: Path, run: ImportRun) -> None:
    shutil.copyfile(source, upload_path(run))
