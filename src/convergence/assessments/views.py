"""Questionnaire and fiche (HTML and PDF); lists and the review are in `review_views`.

Every view looks the assessment (and its evidence) up through `selectors` with the acting
organisation: another organisation's assessment answers 404, for reads and writes alike. Reads
then check the `assessments.view_*` permission; writes call the services, which check the
permission, the campaign's state and the assessment's status (`checks`) and the version the page
was based on (optimistic concurrency). Views only translate `PermissionDenied` and `Http404`.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from convergence.organisations.http import AuthenticatedRequest
from convergence.organisations.rules import require_perm
from convergence.organisations.tenancy import acting_organisation

from . import checks, pdf, selectors, services
from .charts import CURRENT_STYLE, EXPECTED_STYLE, MILESTONE_STYLE, RadarSeries, radar_svg
from .forms import (
    answer_input_from_post,
    milestone_views,
    problems_by_field,
    version_from,
)
from .models import Assessment, Evidence
from .validation import ReferentialContext

PAGE_SIZE = 25
BLANK_MILESTONE_ROWS = 1


def _today() -> datetime.date:
    return timezone.localdate()


def _can_edit(request: AuthenticatedRequest, assessment) -> bool:
    """The page offers the forms when the services would accept an answer (same rules)."""
    state_allows = not checks.write_problems(
        campaign_status=assessment.campaign.status,
        assessment_status=assessment.status,
        write=checks.Write.ANSWER,
    )
    return state_allows and request.user.has_perm("assessments.change_assessment", assessment)


def _visible_or_404(request: AuthenticatedRequest, pk: int) -> Assessment:
    assessment = selectors.get_assessment_or_404(acting_organisation(request), pk)
    require_perm(request.user, "assessments.view_assessment", assessment)
    return assessment


def _editable_or_404(request: AuthenticatedRequest, pk: int) -> Assessment:
    return selectors.get_assessment_or_404(acting_organisation(request), pk, for_edit=True)


def _questionnaire_context(
    request: AuthenticatedRequest, assessment, questionnaire, **extra: Any
) -> dict[str, Any]:
    editable = _can_edit(request, assessment)
    campaign = assessment.campaign
    frozen = checks.campaign_state_problems(
        campaign.status, write=checks.Write.ANSWER, campaign_code=campaign.code
    )
    return {
        "assessment": assessment,
        "campaign_frozen": frozen[0].message if frozen else "",
        "questionnaire": questionnaire,
        "editable": editable,
        "blank_rows": range(BLANK_MILESTONE_ROWS),
        "evidence_max_mb": settings.EVIDENCE_MAX_BYTES // (1024 * 1024),
        "progress_answered": questionnaire.answered_count,
        "progress_total": questionnaire.applicable_count,
        **extra,
    }


# --- Questionnaire ---------------------------------------------------------------------------------


@login_required
@require_GET
def questionnaire(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    assessment = _visible_or_404(request, pk)
    loaded = selectors.questionnaire_load(assessment, today=_today())
    return render(
        request, "assessments/questionnaire.html", _questionnaire_context(request, assessment, loaded)
    )


def _axis_response(
    request: AuthenticatedRequest,
    assessment,
    code: str,
    *,
    status: int = 200,
    context: ReferentialContext | None = None,
    **changes: Any,
) -> HttpResponse:
    """The axis fragment (htmx) plus the progress block, swapped out of band."""
    context = context or ReferentialContext.from_referential(assessment.campaign.referential)
    loaded = selectors.questionnaire_load(assessment, today=_today(), context=context, only_axis=code)
    item = loaded.item(code)
    if item is None:
        raise Http404
    for name, value in changes.items():
        setattr(item, name, value)
    counts = selectors.with_completion(
        selectors.assessments_visible_to(acting_organisation(request)).filter(pk=assessment.pk),
        today=_today(),
    ).values("answered_count", "applicable_count")[0]  # type: ignore[misc]  # annotations
    page = _questionnaire_context(
        request,
        assessment,
        loaded,
        item=item,
        oob=True,
        progress_answered=counts["answered_count"],
        progress_total=counts["applicable_count"],
    )
    html = render_to_string("assessments/questionnaire.html#axis", page, request=request)
    html += render_to_string("assessments/questionnaire.html#progress", page, request=request)
    return HttpResponse(html, status=status)


@login_required
@require_POST
def answer_save(request: AuthenticatedRequest, pk: int, code: str) -> HttpResponse:
    assessment = _editable_or_404(request, pk)
    context = ReferentialContext.from_referential(assessment.campaign.referential)
    subject = assessment.subject
    if code not in context.applicable_axes(subject.kind, subject.type_or_category):
        raise Http404
    answer = answer_input_from_post(code, request.POST, context)
    version = version_from(request.POST)
    anchor = reverse("assessments:questionnaire", args=[assessment.pk]) + f"#axis-{code}"
    error_state: dict[str, Any] = {}
    try:
        if version is None:
            raise services.AssessmentConflict
        services.answer_save(
            assessment=assessment, answer=answer, expected_version=version, user=request.user, context=context
        )
    except services.AnswerInvalid as error:
        errors = problems_by_field(error.problems)
        error_state = {
            "level": answer.level if not isinstance(answer.level, str) else None,
            "not_applicable": answer.not_applicable,
            "not_applicable_reason": answer.not_applicable_reason,
            "comment": answer.comment,
            "milestones": milestone_views(answer, errors),
            "blocker_ids": {context.blocker_codes[c] for c in answer.blockers if c in context.blocker_codes},
            "errors": errors,
        }
    except services.AssessmentError as error:
        if not request.htmx:
            messages.error(request, str(error))
            return redirect(anchor)
        return _axis_response(request, assessment, code, context=context, notice=str(error))
    if error_state:
        if request.htmx:
            return _axis_response(request, assessment, code, context=context, **error_state)
        # Without JavaScript: the whole page again, with what was typed and the messages.
        loaded = selectors.questionnaire_load(assessment, today=_today(), context=context)
        item = loaded.item(code)
        for name, value in error_state.items():
            setattr(item, name, value)
        page = _questionnaire_context(request, assessment, loaded, error_axis=code)
        return render(request, "assessments/questionnaire.html", page, status=422)
    if request.htmx:
        return _axis_response(request, assessment, code, context=context, saved=True)
    messages.success(request, _("Axis %(axis)s saved.") % {"axis": code})
    return redirect(anchor)


class _EvidenceSizeLimit(FileUploadHandler):
    """Stop reading an upload as soon as it passes EVIDENCE_MAX_BYTES (the rest of the request
    body is discarded, never held in memory nor written to disk)."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.received = 0
        self.too_large = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > settings.EVIDENCE_MAX_BYTES:
            self.too_large = True
            if self.request is not None:
                self.request.evidence_too_large = True  # type: ignore[attr-defined]
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


# A multipart request carries some form fields around the file: allow for them.
EVIDENCE_REQUEST_OVERHEAD = 64 * 1024


@csrf_exempt  # the CSRF check runs in _evidence_add, after the upload handlers are in place
@login_required
@require_POST
def evidence_add(request: AuthenticatedRequest, pk: int, code: str) -> HttpResponse:
    declared = request.META.get("CONTENT_LENGTH") or "0"
    anchor = reverse("assessments:questionnaire", args=[pk]) + f"#axis-{code}"
    if declared.isdigit() and int(declared) > settings.EVIDENCE_MAX_BYTES + EVIDENCE_REQUEST_OVERHEAD:
        # Refused before reading the body. Ownership is still checked first (404 otherwise).
        assessment = _editable_or_404(request, pk)
        message = services.evidence_size_message(int(declared))
        if request.htmx:
            return _axis_response(request, assessment, code, notice=message, status=200)
        messages.error(request, message)
        return redirect(anchor)
    request.upload_handlers.insert(0, _EvidenceSizeLimit(request))
    return _evidence_add(request, pk, code)


@csrf_protect
def _evidence_add(request: AuthenticatedRequest, pk: int, code: str) -> HttpResponse:
    assessment = _editable_or_404(request, pk)
    anchor = reverse("assessments:questionnaire", args=[assessment.pk]) + f"#axis-{code}"
    uploaded = request.FILES.get("file")
    try:
        if getattr(request, "evidence_too_large", False):
            raise services.EvidenceRefused(services.evidence_size_message())
        if uploaded is None:
            raise services.EvidenceRefused(_("Choose a file to attach."))
        version = version_from(request.POST)
        if version is None:
            raise services.AssessmentConflict
        evidence = services.evidence_add(
            assessment=assessment,
            axis_code=code,
            uploaded=uploaded,
            expected_version=version,
            user=request.user,
        )
    except services.AssessmentError as error:
        if request.htmx:
            return _axis_response(request, assessment, code, notice=str(error))
        messages.error(request, str(error))
        return redirect(anchor)
    message = _("“%(name)s” attached.") % {"name": evidence.original_name}
    if request.htmx:
        return _axis_response(request, assessment, code, saved_message=message)
    messages.success(request, message)
    return redirect(anchor)


@login_required
@require_GET
def evidence_download(request: AuthenticatedRequest, pk: int, evidence_pk: int) -> FileResponse:
    evidence = selectors.get_evidence_or_404(acting_organisation(request), pk, evidence_pk)
    require_perm(request.user, "assessments.view_evidence", evidence)
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def evidence_delete(request: AuthenticatedRequest, pk: int, evidence_pk: int) -> HttpResponse:
    evidence: Evidence = selectors.get_evidence_or_404(
        acting_organisation(request), pk, evidence_pk, for_edit=True
    )
    assessment = evidence.answer.assessment
    code = evidence.answer.axis.code
    anchor = reverse("assessments:questionnaire", args=[assessment.pk]) + f"#axis-{code}"
    try:
        version = version_from(request.POST)
        if version is None:
            raise services.AssessmentConflict
        services.evidence_delete(evidence=evidence, expected_version=version, user=request.user)
    except services.AssessmentError as error:
        if request.htmx:
            return _axis_response(request, assessment, code, notice=str(error))
        messages.error(request, str(error))
        return redirect(anchor)
    message = _("“%(name)s” removed.") % {"name": evidence.original_name}
    if request.htmx:
        return _axis_response(request, assessment, code, saved_message=message)
    messages.success(request, message)
    return redirect(anchor)


@login_required
@require_POST
def submit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    assessment = _editable_or_404(request, pk)
    target = reverse("assessments:questionnaire", args=[assessment.pk])
    version = version_from(request.POST)
    try:
        if version is None:
            raise services.AssessmentConflict
        services.assessment_submit(assessment=assessment, expected_version=version, user=request.user)
    except services.SubmissionIncomplete as error:
        messages.error(request, str(error))
        return redirect(target + f"#axis-{error.missing[0]}")
    except services.AssessmentError as error:
        messages.error(request, str(error))
        return redirect(target)
    messages.success(request, _("Assessment submitted: the agency will review it."))
    return redirect(target)


# --- Fiche -------------------------------------------------------------------------------------------


def _fiche_context(assessment) -> dict[str, Any]:
    today = _today()
    loaded = selectors.questionnaire_load(assessment, today=today)
    for item in loaded.items:
        item.next_level = _next_level(item)
    scored = [item for item in loaded.items if not item.not_applicable]
    chart = radar_svg(
        [item.code for item in scored],
        [
            RadarSeries(_("Current level"), [item.level for item in scored], **CURRENT_STYLE),
            RadarSeries(_("Expected level"), [item.expected for item in scored], **EXPECTED_STYLE),
            RadarSeries(
                _("Next milestone"),
                [item.next_level for item in scored],
                **MILESTONE_STYLE,
            ),
        ],
        scale_min=loaded.context.scale_min,
        scale_max=loaded.context.scale_max,
        description=_(
            "Radar chart of the current, expected and next milestone levels per axis; "
            "the same figures are in the table below."
        ),
    )
    timeline = sorted(
        (
            {"axis": item.axis, "level": m.level, "due_on": m.due_on, "status": m.status}
            for item in loaded.items
            for m in item.milestones
        ),
        key=lambda row: (row["due_on"], row["axis"].position),  # type: ignore[union-attr]
    )
    blockers = {c.pk: c for c in loaded.blocker_categories}
    blocker_rows = [
        {
            "axis": item.axis,
            "categories": [blockers[i] for i in sorted(item.blocker_ids) if i in blockers],
            "comment": item.comment,
        }
        for item in loaded.items
        if item.blocker_ids
    ]
    return {
        "assessment": assessment,
        "questionnaire": loaded,
        "chart": chart,
        "timeline": timeline,
        "blocker_rows": blocker_rows,
        "today": today,
    }


def _next_level(item) -> int | None:
    """The first milestone not reached yet (late ones included: they are still the next step)."""
    for milestone in item.milestones:
        if milestone.status != "reached":
            return milestone.level
    return None


@login_required
@require_GET
def fiche(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    assessment = _visible_or_404(request, pk)
    return render(request, "assessments/fiche.html", _fiche_context(assessment))


@login_required
@require_GET
def fiche_pdf(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    assessment = _visible_or_404(request, pk)
    html = render_to_string("assessments/fiche_pdf.html", _fiche_context(assessment), request=request)
    document = pdf.html_to_pdf(html, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(document, content_type="application/pdf")
    filename = f"fiche-{assessment.subject.code}-{assessment.campaign.code}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
