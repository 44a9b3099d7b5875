from django.tasks import task

from .models import ReportRun


@task()
def dashboard_run(run_id: int) -> None:
    """Compute a dashboard in the background (progress recorded on the ReportRun)."""
    from .services import report_run_execute

    run = ReportRun.objects.filter(pk=run_id).first()
    if run is not None:
        report_run_execute(run=run)
