"""Web import (upload → background check → preview → confirmation → background import),
blank templates to fill in, and exports of an organisation's own data (the whole campaign for
the agency)."""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from convergence.assessments.enums import CampaignStatus
from convergence.assessments.models import Campaign
from convergence.assessments.selectors import campaigns_visible_to
from convergence.assessments.validation import ReferentialContext
from convergence.organisations.models import Organisation
from convergence.organisations.tenancy import acting_organisation, is_agency

from . import exporter, selectors, services, tasks
from .dataset_templates import applicability, template_csv, template_kinds, template_xlsx
from .formats import DatasetFileError
from .forms import CampaignFileForm, ImportUploadForm
from .models import ImportRun
from .problems import stored_problem_cells

PAGE_SIZE = 20
SUBJECTS_PAGE_SIZE = 50
# gettext_lazy under its own name: makemessages does not know the `_lazy` alias.
COUNT_LABELS = {
    "organisations": gettext_lazy("Organisations"),
    "subjects": gettext_lazy("Products and services"),
    "assessments": gettext_lazy("Assessments"),
    "answers": gettext_lazy("Answers"),
}
WAITING = (ImportRun.Status.UPLOADED, ImportRun.Status.RUNNING)


def _organisation(request: HttpRequest) -> Organisation:
    organisation = acting_organisation(request)
    if organisation is None:
        raise PermissionDenied
    return organisation


def _unrestricted(request: HttpRequest, organisation: Organisation) -> bool:
    """The agency (analysts, administrators) imports for any organisation; everyone else only
    their own organisation's data."""
    return request.user.has_perm("exchange.import_dataset", organisation)


def _run_or_404(request: HttpRequest, token: str) -> ImportRun:
    """A web import of the acting organisation; another organisation's token is a 404."""
    return selectors.get_import_run_or_404(_organisation(request), token)


def _reaped(run: ImportRun) -> ImportRun:
    """The run, marked interrupted first if the process running it died."""
    if (
        run.status in WAITING
        and run.claimed_at is not None
        and services.import_runs_reap(runs=ImportRun.objects.filter(pk=run.pk))
    ):
        run.refresh_from_db()
    return run


def _template_campaigns(organisation: Organisation) -> QuerySet[Campaign]:
    campaigns = campaigns_visible_to(organisation).select_related("referential").order_by("-opens_on", "code")
    return campaigns if is_agency(organisation) else campaigns.filter(status=CampaignStatus.OPEN)


def _export_campaigns(organisation: Organisation) -> QuerySet[Campaign]:
    return campaigns_visible_to(organisation).select_related("referential").order_by("-opens_on", "code")


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    organisation = _organisation(request)
    unrestricted = _unrestricted(request, organisation)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            run = services.import_upload_store(
                uploaded=form.cleaned_data["file"],
                user=request.user,  # type: ignore[arg-type]
                organisation=organisation,
                restricted=not unrestricted,
            )
        except DatasetFileError as error:
            for problem in error.problems:
                form.add_error("file", str(problem.message) if problem.where == "file" else str(problem))
        else:
            tasks.import_check.enqueue(run.pk)
            return redirect("exchange:import_detail", token=run.token)
    runs = selectors.import_runs_visible_to(organisation)
    services.import_runs_reap(runs=runs)  # a run whose process died reads "interrupted"
    page = Paginator(runs, PAGE_SIZE).get_page(request.GET.get("page"))
    template_campaigns = _template_campaigns(organisation)
    template_form = CampaignFileForm(campaigns=template_campaigns, formats=[("xlsx", "XLSX"), ("csv", "CSV")])
    # What each type of subject answers, for the newest campaign the templates offer.
    newest = template_campaigns.first()
    axes_campaign, axes_rows = None, []
    if newest is not None:
        from convergence.referential.models import Axis

        context = ReferentialContext.from_referential(newest.referential)
        target = None if is_agency(organisation) else organisation
        axes_campaign = newest
        names = {
            axis.code: axis.display_name for axis in Axis.objects.filter(referential=newest.referential_id)
        }
        axes_rows = [
            (item, [(code, names.get(code, code), expected) for code, expected in item.axes.items()])
            for item in applicability(newest, template_kinds(newest, target), context)
        ]
    return render(
        request,
        "exchange/import.html",
        {
            "form": form,
            "page": page,
            "organisation": organisation,
            "unrestricted": unrestricted,
            "template_form": template_form,
            "axes_campaign": axes_campaign,
            "axes_rows": axes_rows,
        },
    )


@login_required
def import_detail(request: HttpRequest, token: str) -> HttpResponse:
    run = _reaped(_run_or_404(request, token))
    context: dict = {"run": run, "waiting": run.status in WAITING}
    if run.status in WAITING:
        context["progress"] = services.import_run_progress(run)
    # (row, column, message), the message in the reader's language.
    context["problems"] = [stored_problem_cells(problem) for problem in run.problems]
    counts = run.counts or {}
    context["counts"] = [
        (label, counts.get(kind, {})) for kind, label in COUNT_LABELS.items() if kind in counts
    ]
    campaign = (
        campaigns_visible_to(_organisation(request))
        .select_related("referential")
        .filter(code=run.campaign_code)
        .first()
        if run.campaign_code
        else None
    )
    context["campaign"] = campaign
    page = Paginator(run.subjects, SUBJECTS_PAGE_SIZE).get_page(request.GET.get("page"))
    # The type or category's label beside each subject (its code, a raw code, is not shown alone).
    labels = _target_labels(campaign) if campaign is not None else {}
    page.object_list = [
        (item[0], item[1], item[2], labels.get(item[3], item[3]) if len(item) > 3 else "")
        for item in page.object_list
    ]
    context["subjects_page"] = page
    return render(request, "exchange/import_detail.html", context)


def _target_labels(campaign: Campaign) -> dict[str, str]:
    """Service type and product category codes of the campaign's referential -> their labels."""
    from convergence.referential.models import ProductCategory, ServiceType

    labels: dict[str, str] = {}
    for model in (ServiceType, ProductCategory):
        for item in model.objects.filter(referential=campaign.referential_id).only("code", "name", "name_en"):
            labels[item.code] = item.display_name
    return labels


@login_required
def import_status(request: HttpRequest, token: str) -> HttpResponse:
    """The progress fragment that htmx polls; the page reloads when the step is over (or its
    process died: the run is then marked interrupted)."""
    run = _reaped(_run_or_404(request, token))
    if run.status not in WAITING and request.htmx:  # type: ignore[attr-defined]
        return HttpResponseClientRefresh()
    return render(
        request,
        "exchange/_import_progress.html",
        {"run": run, "progress": services.import_run_progress(run), "waiting": run.status in WAITING},
    )


@login_required
@require_POST
def import_confirm(request: HttpRequest, token: str) -> HttpResponse:
    run = _run_or_404(request, token)
    if services.import_run_confirm(run=run):
        tasks.import_apply.enqueue(run.pk)
    else:
        messages.info(request, _("This import was already confirmed or cancelled; it was not run again."))
    return redirect("exchange:import_detail", token=run.token)


@login_required
@require_POST
def import_retry(request: HttpRequest, token: str) -> HttpResponse:
    """Run an interrupted import's step again (its file is still kept)."""
    run = _reaped(_run_or_404(request, token))
    step = services.import_run_retry(run=run)
    if step == ImportRun.Step.CHECK:
        tasks.import_check.enqueue(run.pk)
    elif step == ImportRun.Step.APPLY:
        tasks.import_apply.enqueue(run.pk)
    else:
        messages.info(request, _("This import is not interrupted; it was not run again."))
    return redirect("exchange:import_detail", token=run.token)


@login_required
@require_POST
def import_cancel(request: HttpRequest, token: str) -> HttpResponse:
    run = _reaped(_run_or_404(request, token))
    if services.import_run_cancel(run=run):
        messages.success(request, _("The import was cancelled; nothing was written."))
    else:
        messages.info(request, _("This import can no longer be cancelled."))
    return redirect("exchange:import")


@login_required
def template_download(request: HttpRequest) -> HttpResponse:
    organisation = _organisation(request)
    form = CampaignFileForm(
        request.GET or None,
        campaigns=_template_campaigns(organisation),
        formats=[("xlsx", "XLSX"), ("csv", "CSV")],
    )
    if not form.is_valid():
        raise Http404
    campaign: Campaign = form.cleaned_data["campaign"]
    target = None if is_agency(organisation) else organisation
    name = f"modele-{campaign.code}"
    if form.cleaned_data["format"] == "csv":
        response = HttpResponse(template_csv(campaign, target), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    response = HttpResponse(
        template_xlsx(campaign, target),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


@login_required
def exports(request: HttpRequest) -> HttpResponse:
    organisation = _organisation(request)
    form = CampaignFileForm(campaigns=_export_campaigns(organisation))
    return render(
        request,
        "exchange/exports.html",
        {"form": form, "organisation": organisation, "whole_campaign": is_agency(organisation)},
    )


@login_required
def export_download(request: HttpRequest) -> HttpResponseBase:
    """An organisation's own subjects and assessments; the agency's: the whole campaign (what
    `convergence export_dataset` writes)."""
    organisation = _organisation(request)
    form = CampaignFileForm(request.GET or None, campaigns=_export_campaigns(organisation))
    if not form.is_valid():
        raise Http404
    campaign: Campaign = form.cleaned_data["campaign"]
    fmt = form.cleaned_data["format"]
    only = None if is_agency(organisation) else organisation
    name = f"{campaign.code}-{'complet' if only is None else organisation.code}.{fmt}"
    if fmt == "xlsx":
        # Written to a temporary file (XlsxWriter's constant-memory mode), then streamed.
        handle = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
        exporter.write_xlsx(handle, campaign, only)
        handle.seek(0)
        return FileResponse(handle, as_attachment=True, filename=name)
    pieces = exporter.iter_csv(campaign, only) if fmt == "csv" else exporter.iter_json(campaign, only)
    content_type = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    response = StreamingHttpResponse(pieces, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
