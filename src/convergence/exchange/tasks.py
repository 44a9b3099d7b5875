"""Background steps of a web import: the check (preview) and the confirmed import.

Both run through django.tasks (`convergence db_worker` in production, immediately in tests);
the page polls the run's status and progress meanwhile.
"""

from django.tasks import task

from .models import ImportRun


@task()
def import_check(run_id: int) -> None:
    from .services import import_run_check

    run = ImportRun.objects.filter(pk=run_id, status=ImportRun.Status.UPLOADED).first()
    if run is not None:
        import_run_check(run=run)


@task()
def import_apply(run_id: int) -> None:
    from .services import import_run_apply

    run = ImportRun.objects.filter(pk=run_id, status=ImportRun.Status.RUNNING).first()
    if run is not None:
        import_run_apply(run=run)
