"""Dashboards (agency, regions), vendor benchmark, publication and the public observatory."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language, get_supported_language_variant
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRefresh

from convergence.assessments.selectors import campaigns_visible_to
from convergence.lib.regions import region_label, region_labels
from convergence.organisations.enums import OrganisationKind
from convergence.organisations.models import Organisation
from convergence.organisations.rules import require_perm
from convergence.organisations.tenancy import acting_organisation, is_agency

from . import services
from .benchmark import benchmark_compute, own_products
from .dashboards import DashboardParams
from .disclosure import K, discloses_everything
from .engine import ReportError, ReportParams
from .enums import RunStatus
from .forms import DashboardFilterForm, ObservatoryFilterForm, PublishForm
from .models import PublishedReport
from .presenters import dashboard_context
from .renderers import CONTENT_TYPES, EXTENSIONS
from .renderers import render as render_file
from .renderers.files import render_csv_table
from .renderers.tables import report_tables
from .selectors import get_report_run_or_404

SCHEMA_PATH = Path(__file__).parent / "schema" / "convergence-report-1.schema.json"
PAGE_SIZE = 20
BENCHMARK_PAGE_SIZE = 10  # products per page of the benchmark


def _dashboard_region(request: HttpRequest, organisation: Organisation | None) -> str | None:
    """None for the agency (every region); the region of an ARS or GRADeS; else no dashboard."""
    if request.user.has_perm("analytics.view_campaign_report", organisation):
        return None
    if request.user.has_perm("analytics.view_regional_dashboard", organisation):
        return organisation.region  # type: ignore[union-attr]
    raise PermissionDenied(_("The dashboards are for the agency and the regions."))


def _dashboard_params(request: HttpRequest, organisation: Organisation | None):
    fixed_region = _dashboard_region(request, organisation)
    form = DashboardFilterForm(request.GET or None, fixed_region=fixed_region)
    if request.GET and form.is_valid():
        data = form.cleaned_data
    elif request.GET:
        return form, None
    else:
        data = {k: form.initial.get(k, form.fields[k].initial) for k in form.fields}
    if not data.get("campaign"):
        return form, None
    region = fixed_region or data.get("region") or None
    report = ReportParams(
        campaign=data["campaign"],
        scope=data.get("scope") or "services",
        region=region,
        category=data.get("category") or None,
    )
    # Anyone but the agency reads other organisations' figures through the disclosure rule.
    reader = organisation.pk if organisation is not None and not discloses_everything(organisation) else None
    return form, DashboardParams(report=report, compare_with=data.get("compare_with") or None, reader=reader)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    organisation = acting_organisation(request)
    if organisation is not None and organisation.kind == OrganisationKind.VENDOR:
        return redirect("analytics:benchmark")
    form, params = _dashboard_params(request, organisation)
    region = form.fixed_region
    context: dict = {
        "form": form,
        "organisation": organisation,
        "is_agency": is_agency(organisation),
        "fixed_region_label": f"{region} {region_label(region)}" if region else "",
        "min_cell": K,
    }
    if params is not None:
        context["params"] = params
        try:
            lookup = services.dashboard_lookup(params=params)
        except ReportError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            context["run"] = lookup.run
            if lookup.bundle is not None:
                context.update(dashboard_context(lookup.bundle, cache_key=lookup.cache_key))
    return render(request, "analytics/dashboard.html", context)


@login_required
def run_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Progress of a dashboard computation (htmx polls it; the page reloads when it is done)."""
    organisation = acting_organisation(request)
    try:
        region = _dashboard_region(request, organisation)
    except PermissionDenied:
        raise Http404 from None
    run = get_report_run_or_404(organisation, pk, region=region)
    if run.status == RunStatus.DONE and request.headers.get("HX-Request") == "true":
        return HttpResponseClientRefresh()
    return render(request, "analytics/_run_progress.html", {"run": run})


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """The report shown on the dashboard, as a file (the formats of `convergence report`)."""
    organisation = acting_organisation(request)
    fixed_region = _dashboard_region(request, organisation)
    fmt = request.GET.get("format", "pdf")
    if fmt not in EXTENSIONS:
        raise Http404
    region = fixed_region or request.GET.get("region") or None
    params = ReportParams(
        campaign=request.GET.get("campaign", ""),
        scope=request.GET.get("scope", ""),
        region=region,
        category=request.GET.get("category") or None,
    )
    try:
        content, run = services.report_file(
            params=params, reader=organisation, fmt=fmt, language=get_language() or settings.LANGUAGE_CODE
        )
    except ReportError as error:
        messages.error(request, str(error))
        return redirect("analytics:dashboard")
    if run is not None:  # a large campaign's PDF, drawn by the worker: its progress, polled
        return render(request, "analytics/export_progress.html", {"run": run})
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    name = f"rapport-{params.campaign}-{params.scope}-{region or 'national'}.{EXTENSIONS[fmt]}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def benchmark(request: HttpRequest) -> HttpResponse:
    """A vendor's products against the products of their category."""
    organisation = acting_organisation(request)
    require_perm(
        request.user, "analytics.view_benchmark", organisation, message=_("The benchmark is for vendors.")
    )
    assert organisation is not None  # the permission needs a vendor to act for
    visible = campaigns_visible_to(organisation)
    campaigns = list(visible.filter(assessments__subject__organisation=organisation).distinct())
    code = request.GET.get("campaign") or (campaigns[0].code if campaigns else None)
    campaign = next((c for c in campaigns if c.code == code), None)
    if code and campaign is None:
        raise Http404  # a campaign where this vendor has nothing
    page = None
    products: list[dict] = []
    if campaign is not None:
        page = Paginator(
            own_products(campaign=campaign, organisation=organisation), BENCHMARK_PAGE_SIZE
        ).get_page(request.GET.get("page"))
        products = benchmark_compute(
            campaign=campaign, organisation=organisation, assessments=page.object_list
        )
    return render(
        request,
        "analytics/benchmark.html",
        {
            "organisation": organisation,
            "campaigns": campaigns,
            "campaign": campaign,
            "products": products,
            "page_obj": page,
            "min_group": K,
        },
    )


@login_required
def publish(request: HttpRequest) -> HttpResponse:
    organisation = acting_organisation(request)
    require_perm(request.user, "analytics.publish_report", organisation)
    form = PublishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            snapshot = services.report_publish(
                campaign_code=data["campaign"],
                scope=data["scope"],
                region=data["region"] or None,
                min_cell=data["min_cell"],
                user=request.user,  # type: ignore[arg-type]
                acting=organisation,
            )
        except ReportError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The report is published in the observatory."))
            return redirect(snapshot_url(snapshot))
    return render(request, "analytics/publish.html", {"form": form})


def snapshot_url(snapshot: PublishedReport) -> str:
    return reverse("analytics:observatory_detail", args=[snapshot.pk, snapshot.slug])


def observatory(request: HttpRequest) -> HttpResponse:
    """Published snapshots, open to everyone (public-mode figures only)."""
    form = ObservatoryFilterForm(request.GET or None)
    snapshots = PublishedReport.objects.only(
        "pk",
        "campaign_code",
        "campaign_title",
        "scope",
        "region",
        "created_at",
        "referential_code",
        "min_cell",
    )
    if form.is_valid():
        if form.cleaned_data.get("campaign"):
            snapshots = snapshots.filter(campaign_code=form.cleaned_data["campaign"])
        if form.cleaned_data.get("scope"):
            snapshots = snapshots.filter(scope=form.cleaned_data["scope"])
    page = Paginator(snapshots, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "analytics/observatory.html", {"form": form, "page_obj": page, "regions": region_labels()}
    )


def _snapshot(pk: int) -> PublishedReport:
    return get_object_or_404(PublishedReport, pk=pk)


def observatory_detail(request: HttpRequest, pk: int, slug: str | None = None) -> HttpResponse:
    """A published snapshot: its body (charts, tables) served as rendered once and stored."""
    # The report JSON is not read here: the stored rendering carries what the page shows.
    snapshot = get_object_or_404(PublishedReport.objects.defer("data"), pk=pk)
    if slug != snapshot.slug:
        return redirect(snapshot_url(snapshot), permanent=True)
    language = get_supported_language_variant(get_language() or settings.LANGUAGE_CODE)
    rendering = services.snapshot_rendering(snapshot=snapshot, language=language)
    context = {
        "snapshot": snapshot,
        "region_label": region_label(snapshot.region),
        "tables": rendering.tables,
        "body": rendering.body,
    }
    return render(request, "analytics/observatory_detail.html", context)


def observatory_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """A snapshot as open data: its JSON as published, or its tables as CSV (zip)."""
    snapshot = _snapshot(pk)
    if fmt not in ("json", "csv"):
        raise Http404
    content = render_file(snapshot.data, fmt)
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{snapshot.slug}.{EXTENSIONS[fmt]}"'
    response["Access-Control-Allow-Origin"] = "*"  # open data
    return response


def observatory_table(request: HttpRequest, pk: int, table: str) -> HttpResponse:
    """One section of a snapshot as a CSV file."""
    snapshot = _snapshot(pk)
    if table not in {t.name for t in report_tables(snapshot.data)}:
        raise Http404
    response = HttpResponse(render_csv_table(table, snapshot.data), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{snapshot.slug}-{table}.csv"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


def report_schema(request: HttpRequest) -> FileResponse:
    response = FileResponse(SCHEMA_PATH.open("rb"), content_type="application/schema+json")
    response["Access-Control-Allow-Origin"] = "*"
    return response
