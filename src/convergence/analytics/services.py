"""Writes of the analytics app: publishing snapshots, starting and recording dashboard runs."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone, translation

from convergence.assessments.enums import REPORTED_STATUSES
from convergence.assessments.models import Assessment, Campaign
from convergence.organisations.models import Organisation, User
from convergence.organisations.rules import require_perm
from convergence.organisations.tenancy import is_agency
from convergence.referential.models import Axis

from .dashboards import DashboardParams, dashboard_compute
from .engine import DEFAULT_MIN_CELL, ReportError, ReportParams, report_compute
from .enums import RunStatus
from .facts import facts_versions
from .models import PublishedReport, ReportRun, SnapshotRendering


def data_version(*, campaign_codes: list[str]) -> tuple[str, int]:
    """A fingerprint of everything the campaigns' reports read, and their number of answers
    (estimated: reported assessments x axes; it only chooses between computing a dashboard at
    once and in the background).

    The facts' version of each campaign (bumped by every refresh that follows a write, with the
    stale marks not yet refreshed: see facts/refresh.py) and the campaigns' and referentials'
    own change times (title, dates, typology). A handful of small queries whatever the size, and
    no write: it keys the dashboard cache, so it is read on every dashboard request.
    """
    campaigns = list(
        Campaign.objects.filter(code__in=campaign_codes)
        .order_by("pk")
        .values_list("pk", "updated_at", "referential_id", "referential__updated_at")
    )
    if not campaigns:
        return "none", 0
    ids = [row[0] for row in campaigns]
    versions = facts_versions(ids)
    assessments = dict(
        Assessment.objects.filter(campaign_id__in=ids, status__in=REPORTED_STATUSES)
        .values_list("campaign_id")
        .annotate(n=Count("pk"))
    )
    axes = dict(
        Axis.objects.filter(referential_id__in={row[2] for row in campaigns})
        .values_list("referential_id")
        .annotate(n=Count("pk"))
    )
    answers = sum(assessments.get(pk, 0) * axes.get(referential, 0) for pk, _u, referential, _r in campaigns)
    fingerprint = [(row, versions.get(row[0], 0)) for row in campaigns]
    return hashlib.sha256(repr(fingerprint).encode()).hexdigest()[:32], answers


def _file_digest(params: ReportParams, reader: Organisation | None, fmt: str, language: str) -> str:
    reader_key = "agency" if reader is None or is_agency(reader) else reader.pk
    # The human report says the day it was produced: a new file each day.
    today = timezone.localdate().isoformat()
    return hashlib.sha256(f"{params.key()}|{reader_key}|{fmt}|{language}|{today}".encode()).hexdigest()[:24]


def _render_file(
    params: ReportParams, reader: Organisation | None, fmt: str, *, progress: Any = None
) -> bytes:
    from .disclosure import report_for_reader
    from .renderers import render
    from .selectors import report_labels

    if progress:
        progress(1, 3, "report")
    report = report_for_reader(params, reader)
    if progress:
        progress(2, 3, "file")
    return render(report, fmt, context=report_labels(campaign_code=params.campaign))


def report_file(
    *, params: ReportParams, reader: Organisation | None, fmt: str, language: str
) -> tuple[bytes | None, ReportRun | None]:
    """The report as `reader` may see it, as a file (renderers.EXTENSIONS), cached per data
    version, reader, language and day: the national PDF is drawn once per version of the facts.

    Returns the file, or, for the PDF of a large campaign (more answers than
    ANALYTICS_SYNC_MAX_ANSWERS) that nobody drew yet, the background run drawing it (the page
    shows its progress; `report_file_execute` in the worker). Raises ReportError on bad
    parameters."""
    version, answers = data_version(campaign_codes=[params.campaign])
    digest = _file_digest(params, reader, fmt, language)
    key = f"analytics:file:{digest}:{version}"
    content = cache.get(key)
    if content is not None:
        return content, None
    if fmt == "pdf" and answers > _sync_max():
        run = _file_run(params=params, reader=reader, digest=digest, version=version, language=language)
        if run.status != RunStatus.DONE:
            return None, run
        content = base64.b64decode(run.result["content"]) if run.result else b""
    else:
        content = _render_file(params, reader, fmt)
    cache.set(key, content, timeout=24 * 3600)
    return content, None


def _file_run(
    *, params: ReportParams, reader: Organisation | None, digest: str, version: str, language: str
) -> ReportRun:
    key = f"file|{digest}"
    run = ReportRun.objects.filter(params_key=key, data_version=version).first()
    if run is not None and run.status != RunStatus.FAILED:
        return run
    if run is not None:
        run.delete()  # a failed run is retried
    data = {
        "file": {"report": asdict(params), "format": "pdf", "language": language},
        # What get_report_run_or_404 checks: the region, and the reader unless the agency.
        "report": {"region": params.region},
        "reader": None if reader is None or is_agency(reader) else reader.pk,
        "organisation": reader.pk if reader is not None else None,
    }
    try:
        with transaction.atomic():
            run = ReportRun.objects.create(params_key=key, data_version=version, params=data)
    except IntegrityError:
        return ReportRun.objects.get(params_key=key, data_version=version)
    ReportRun.objects.filter(params_key=key).exclude(pk=run.pk).delete()
    from .tasks import report_file_run

    transaction.on_commit(lambda: report_file_run.enqueue(run.pk))
    return run


def report_file_execute(*, run: ReportRun) -> ReportRun:
    """In the worker: draw a run's file, recording its progress, then the file (base64)."""

    def progress(done: int, total: int, label: str) -> None:
        ReportRun.objects.filter(pk=run.pk).update(
            status=RunStatus.RUNNING, progress=min(99, int(done * 100 / max(total, 1))), step=label
        )

    spec = run.params["file"]
    organisation_id = run.params.get("organisation")
    reader = Organisation.objects.filter(pk=organisation_id).first() if organisation_id else None
    ReportRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, progress=1, step="start")
    try:
        with translation.override(spec["language"]):
            content = _render_file(ReportParams(**spec["report"]), reader, spec["format"], progress=progress)
    except ReportError as error:
        ReportRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, error=str(error), finished_at=timezone.now()
        )
    else:
        ReportRun.objects.filter(pk=run.pk).update(
            status=RunStatus.DONE,
            progress=100,
            step="done",
            result={"content": base64.b64encode(content).decode()},
            finished_at=timezone.now(),
        )
    run.refresh_from_db()
    return run


def _params_json(params: DashboardParams) -> dict[str, Any]:
    return {
        "report": asdict(params.report),
        "compare_with": params.compare_with,
        "with_regions": params.with_regions,
        "reader": params.reader,
    }


def params_from_json(data: dict[str, Any]) -> DashboardParams:
    return DashboardParams(
        report=ReportParams(**data["report"]),
        compare_with=data.get("compare_with"),
        with_regions=data.get("with_regions", True),
        reader=data.get("reader"),
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


def _sync_max() -> int:
    return getattr(settings, "ANALYTICS_SYNC_MAX_ANSWERS", 50_000)


@dataclass
class DashboardLookup:
    """What a dashboard request finds: the figures (`bundle`), or the background run computing
    them (`run`, not done yet); `cache_key` names the figures' version (charts are cached
    under it)."""

    cache_key: str
    bundle: dict[str, Any] | None = None
    run: ReportRun | None = None


def _cache_key(params: DashboardParams, version: str) -> str:
    digest = hashlib.sha256(params.key().encode()).hexdigest()[:24]
    return f"analytics:dashboard:{digest}:{version}"


def dashboard_lookup(*, params: DashboardParams) -> DashboardLookup:
    """The figures of a dashboard on the current data, for a request: a read.

    In order: the run the worker computed (warmed after a write, `dashboard_warm`), the figures
    cached by an earlier request, the figures computed now for a small campaign (cached, not
    stored); for a large campaign (more answers than ANALYTICS_SYNC_MAX_ANSWERS) that nothing
    warmed, the worker is asked to compute them and the page polls their progress
    (`report_run_start`: the only write, of a run and its task)."""
    codes = [params.report.campaign] + ([params.compare_with] if params.compare_with else [])
    version, answers = data_version(campaign_codes=codes)
    key = _cache_key(params, version)
    run = ReportRun.objects.filter(params_key=params.key(), data_version=version).first()
    if run is not None and run.status == RunStatus.DONE and run.result:
        return DashboardLookup(cache_key=key, bundle=run.result)
    if run is not None and run.status != RunStatus.FAILED:
        return DashboardLookup(cache_key=key, run=run)
    bundle = cache.get(key)
    if bundle is not None:
        return DashboardLookup(cache_key=key, bundle=bundle)
    if answers <= _sync_max():
        bundle = dashboard_compute(params)
        cache.set(key, bundle, timeout=24 * 3600)
        return DashboardLookup(cache_key=key, bundle=bundle)
    return DashboardLookup(cache_key=key, run=report_run_start(params=params, version=version))


def report_run_start(
    *, params: DashboardParams, version: str | None = None, enqueue: bool = True
) -> ReportRun:
    """The run for these parameters on the current data: reused if it exists, else created and
    (`enqueue`) handed to the background worker, which records its progress."""
    if version is None:
        codes = [params.report.campaign] + ([params.compare_with] if params.compare_with else [])
        version, _answers = data_version(campaign_codes=codes)
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
    if enqueue:
        from .tasks import dashboard_run

        transaction.on_commit(lambda: dashboard_run.enqueue(run.pk))
    return run


def warmed_dashboards(campaign_codes: list[str]) -> list[DashboardParams]:
    """The dashboards the worker computes after a write: the agency's national view of each
    scope of each campaign (the pages opened first)."""
    return [
        DashboardParams(report=ReportParams(campaign=code, scope=scope))
        for code in campaign_codes
        for scope in ("services", "products")
    ]


def dashboard_warm(*, campaign_ids: list[int]) -> list[ReportRun]:
    """In the worker, after a refresh bumped these campaigns' facts: compute their dashboards
    (`warmed_dashboards`) on the new data, so that the next request reads them."""
    codes = list(Campaign.objects.filter(pk__in=campaign_ids).order_by("code").values_list("code", flat=True))
    runs = []
    for params in warmed_dashboards(codes):
        run = report_run_start(params=params, enqueue=False)
        if run.status in (RunStatus.PENDING, RunStatus.FAILED):
            run = report_run_execute(run=run)
        runs.append(run)
    return runs


@transaction.atomic
def report_publish(
    *,
    campaign_code: str,
    scope: str,
    region: str | None,
    min_cell: int = DEFAULT_MIN_CELL,
    user: User | None,
    acting: Organisation | None = None,
) -> PublishedReport:
    """Freeze the public-mode report as a new snapshot (never updates an existing one).

    `user` publishes acting for `acting` (an agency analyst acting for the agency); `user=None`
    is a command or a test set-up, which checks nothing."""
    if user is not None:
        require_perm(user, "analytics.publish_report", acting)
    report = report_compute(
        ReportParams(campaign=campaign_code, scope=scope, region=region, public=True, min_cell=min_cell)
    ).as_dict()
    campaign = Campaign.objects.get(code=campaign_code)
    snapshot = PublishedReport.objects.create(
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
    # Frozen from now on: draw its page's charts and tables once, in every site language.
    for language, _name in settings.LANGUAGES:
        snapshot_rendering(snapshot=snapshot, language=language)
    return snapshot


def _snapshot_render(snapshot: PublishedReport, language: str) -> SnapshotRendering:
    # Imported here: the charts import matplotlib, which commands that never draw should not pay.
    from .renderers.document import localized_report, report_context
    from .renderers.tables import report_tables
    from .selectors import snapshot_labels

    report = snapshot.data
    with translation.override(language):
        labels = snapshot_labels(
            campaign_title=snapshot.campaign_title, referential_code=snapshot.referential_code
        )
        body = render_to_string(
            "analytics/_report_body.html", report_context(localized_report(report, labels["names"]), labels)
        )
    return SnapshotRendering(
        snapshot=snapshot, language=language, body=body, tables=[t.name for t in report_tables(report)]
    )


def snapshot_rendering(*, snapshot: PublishedReport, language: str) -> SnapshotRendering:
    """The snapshot's page body in `language` as stored; rendered and stored if it is not yet
    (a snapshot published before renderings were stored: on its first view), never again.

    `language` is one of settings.LANGUAGES. A concurrent first view that stored it meanwhile
    wins: both requests serve the same stored rendering."""
    stored = SnapshotRendering.objects.filter(snapshot=snapshot, language=language).first()
    if stored is not None:
        return stored
    rendering = _snapshot_render(snapshot, language)
    try:
        with transaction.atomic():
            rendering.save()
    except IntegrityError:
        return SnapshotRendering.objects.get(snapshot=snapshot, language=language)
    return rendering
