"""Writes of the analytics app: publishing snapshots, starting and recording dashboard runs."""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from convergence.assessments.models import Answer, AnswerBlocker, Assessment, Campaign, Milestone
from convergence.catalog.models import Subject
from convergence.organisations.models import Organisation, User

from .dashboards import DashboardParams, dashboard_compute
from .engine import DEFAULT_MIN_CELL, ReportError, ReportParams, _fetch, _table, report_compute
from .enums import RunStatus
from .models import PublishedReport, ReportRun


def data_version(*, campaign_codes: list[str]) -> tuple[str, int]:
    """A fingerprint of everything a campaign report reads, and the number of answers.

    One query of scalar subqueries: counts and latest change times of the assessments, answers,
    milestones, blockers, subjects and organisations of the campaigns. Any write through the ORM
    (including bulk imports, which bypass signals) changes one of them; the dashboard cache is
    keyed by it, so it is never stale.
    """
    ids = list(Campaign.objects.filter(code__in=campaign_codes).values_list("pk", flat=True))
    if not ids:
        return "none", 0
    in_list = ", ".join(["%s"] * len(ids))
    asm = f"SELECT {{}} FROM {_table(Assessment)} x WHERE x.campaign_id IN ({in_list})"  # noqa: S608
    ans = (
        f"SELECT {{}} FROM {_table(Answer)} x JOIN {_table(Assessment)} y ON y.id = x.assessment_id "  # noqa: S608
        f"WHERE y.campaign_id IN ({in_list})"
    )
    child = (
        f"SELECT {{}} FROM {{table}} x JOIN {_table(Answer)} z ON z.id = x.answer_id "  # noqa: S608
        f"JOIN {_table(Assessment)} y ON y.id = z.assessment_id WHERE y.campaign_id IN ({in_list})"
    )
    subj = (
        f"SELECT {{}} FROM {_table(Subject)} x JOIN {_table(Assessment)} y ON y.subject_id = x.id "  # noqa: S608
        f"WHERE y.campaign_id IN ({in_list})"
    )
    org = (
        f"SELECT {{}} FROM {_table(Organisation)} x WHERE x.id IN (SELECT s.organisation_id FROM "  # noqa: S608
        f"{_table(Subject)} s JOIN {_table(Assessment)} y ON y.subject_id = s.id "
        f"WHERE y.campaign_id IN ({in_list}))"
    )
    parts = [
        (asm.format("COUNT(*)"), 1),
        (asm.format("MAX(x.updated_at)"), 1),
        (ans.format("COUNT(*)"), 1),
        (ans.format("MAX(x.updated_at)"), 1),
        (child.format("COUNT(*)", table=_table(Milestone)), 1),
        (child.format("MAX(x.id)", table=_table(Milestone)), 1),
        (child.format("SUM(x.level)", table=_table(Milestone)), 1),
        (child.format("MAX(x.due_on)", table=_table(Milestone)), 1),
        (child.format("COUNT(*)", table=_table(AnswerBlocker)), 1),
        (child.format("MAX(x.id)", table=_table(AnswerBlocker)), 1),
        (subj.format("MAX(x.updated_at)"), 1),
        (org.format("MAX(x.updated_at)"), 1),
    ]
    sql = "SELECT " + ", ".join(f"({part})" for part, _ in parts)
    params: list[Any] = []
    for _ in parts:
        params.extend(ids)
    row = _fetch(sql, params)[0]
    # Campaign and referential edits (title, dates, typology) matter too.
    extra = list(Campaign.objects.filter(pk__in=ids).values_list("updated_at", "referential__updated_at"))
    digest = hashlib.sha256(repr((row, sorted(extra))).encode()).hexdigest()[:32]
    return digest, int(row[2] or 0)


def _params_json(params: DashboardParams) -> dict[str, Any]:
    return {
        "report": asdict(params.report),
        "compare_with": params.compare_with,
        "with_regions": params.with_regions,
    }


def params_from_json(data: dict[str, Any]) -> DashboardParams:
    return DashboardParams(
        report=ReportParams(**data["report"]),
        compare_with=data.get("compare_with"),
        with_regions=data.get("with_regions", True),
    )


def report_run_execute(*, run: ReportRun) -> ReportRun:
    """Compute a dashboard run and record its progress and result (or its error)."""

    def progress(done: int, total: int, label: str) -> None:
        ReportRun.objects.filter(pk=run.pk).update(
            status=RunStatus.RUNNING, progress=min(99, int(done * 100 / max(total, 1))), step=label
        )

    ReportRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, progress=1, step="start")
    try:
        result = dashboard_compute(params_from_json(run.params), progress=progress)
    except ReportError as error:
        ReportRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, error=str(error), finished_at=timezone.now()
        )
    else:
        ReportRun.objects.filter(pk=run.pk).update(
            status=RunStatus.DONE, progress=100, step="done", result=result, finished_at=timezone.now()
        )
    run.refresh_from_db()
    return run


def report_run_start(*, params: DashboardParams) -> ReportRun:
    """The run for these parameters on the current data: reused if it exists, else started.

    Small campaigns are computed at once; larger ones (more answers than
    ANALYTICS_SYNC_MAX_ANSWERS) go to the background worker and the page polls their progress.
    """
    codes = [params.report.campaign] + ([params.compare_with] if params.compare_with else [])
    version, answers = data_version(campaign_codes=codes)
    key = params.key()
    run = ReportRun.objects.filter(params_key=key, data_version=version).first()
    if run is not None and run.status != RunStatus.FAILED:
        return run
    if run is not None:
        run.delete()  # a failed run is retried
    try:
        with transaction.atomic():
            run = ReportRun.objects.create(params_key=key, data_version=version, params=_params_json(params))
    except IntegrityError:  # started by a concurrent request meanwhile
        return ReportRun.objects.get(params_key=key, data_version=version)
    # Older results of the same parameters are obsolete: keep the table small.
    ReportRun.objects.filter(params_key=key).exclude(pk=run.pk).delete()
    if answers <= getattr(settings, "ANALYTICS_SYNC_MAX_ANSWERS", 50_000):
        return report_run_execute(run=run)
    from .tasks import dashboard_run

    transaction.on_commit(lambda: dashboard_run.enqueue(run.pk))
    return run


@transaction.atomic
def report_publish(
    *, campaign_code: str, scope: str, region: str | None, min_cell: int = DEFAULT_MIN_CELL, user: User | None
) -> PublishedReport:
    """Freeze the public-mode report as a new snapshot (never updates an existing one)."""
    report = report_compute(
        ReportParams(campaign=campaign_code, scope=scope, region=region, public=True, min_cell=min_cell)
    ).as_dict()
    campaign = Campaign.objects.get(code=campaign_code)
    return PublishedReport.objects.create(
        campaign=campaign,
        scope=scope,
        region=region or "",
        published_by=user,
        referential_code=report["referential"],
        campaign_code=campaign.code,
        campaign_title=campaign.title,
        min_cell=min_cell,
        data=report,
    )
