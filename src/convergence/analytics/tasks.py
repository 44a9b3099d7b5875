from django.tasks import task

from .models import ReportRun


@task()
def dashboard_run(run_id: int) -> None:
    """Compute a dashboard in the background (progress recorded on the ReportRun)."""
    from .services import report_run_execute

    run = ReportRun.objects.filter(pk=run_id).first()
    if run is not None:
        report_run_execute(run=run)


@task()
def report_file_run(run_id: int) -> None:
    """Draw a report file (a large campaign's PDF) in the background."""
    from .services import report_file_execute

    run = ReportRun.objects.filter(pk=run_id).first()
    if run is not None:
        report_file_execute(run=run)


@task()
def facts_refresh_task() -> None:
    """Refresh the facts after a large write (facts/hooks.py: more stale marks than the
    committing process refreshes itself)."""
    from .facts import facts_refresh

    facts_refresh()


@task()
def dashboards_warm(campaign_ids: list[int]) -> None:
    """Compute the dashboards of campaigns whose facts changed (facts/refresh.py schedules it)."""
    from .services import dashboard_warm

    dashboard_warm(campaign_ids=campaign_ids)
