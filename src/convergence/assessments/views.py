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
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from convergence.organisations.http import AuthenticatedRequest
from convergence.organisations.rules import require_perm
from convergence.organisations.tenancy import acting_organisation
from convergence.referential.selectors import next_steps

from . import checks, pdf, selectors, services
from .charts import CURRENT_STYLE, EXPECTED_STYLE, MILESTONE_STYLE, RadarSeries, radar_svg
from .forms import (
    answer_input_from_post,
    draft_data,
    draft_state,
    milestone_views,
    problems_by_field,
    version_from,
)
from .models import Assessment, Evidence
from .validation import Problem, ReferentialContext

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
    summary = extra.pop("summary", None) or _summary_from_items(questionnaire.items, extra.get("error_axis"))
    return {
        "assessment": assessment,
        "campaign_frozen": frozen[0].message if frozen else "",
        "questionnaire": questionnaire,
        "editable": editable,
        "blank_rows": range(BLANK_MILESTONE_ROWS),
        "evidence_max_mb": settings.EVIDENCE_MAX_BYTES // (1024 * 1024),
        "evidence_max_bytes": settings.EVIDENCE_MAX_BYTES,
        "summary": summary,
        "progress_answered": summary["answered"],
        "progress_total": summary["total"],
        **extra,
    }


# --- Questionnaire: summary, drafts --------------------------------------------------------------


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The sticky summary: answered / applicable, every axis with its state, the next one to answer
    (the first unanswered axis in referential order)."""
    answered = sum(1 for row in rows if row["answered"])
    for row in rows:
        if row.get("error"):
            row["state"], row["state_label"] = "error", pgettext("axis state", "Not saved: to correct")
        elif row["draft"]:
            row["state"], row["state_label"] = "draft", pgettext("axis state", "Unsaved draft")
        elif row["answered"]:
            row["state"], row["state_label"] = "answered", pgettext("axis state", "Answered")
        else:
            row["state"], row["state_label"] = "missing", pgettext("axis state", "Not answered")
    next_row = next((row for row in rows if not row["answered"]), None)
    return {"rows": rows, "answered": answered, "total": len(rows), "next": next_row}


def _summary_from_items(items, error_axis: str | None = None) -> dict[str, Any]:
    return _summary(
        [
            {
                "code": item.code,
                "name": item.axis.display_name,
                "answered": item.answered,
                "draft": item.draft_saved_at is not None,
                "error": item.code == error_axis or bool(item.errors),
            }
            for item in items
        ]
    )


def _summary_from_database(request: AuthenticatedRequest, assessment, context: ReferentialContext, **now):
    """The summary after an htmx save of one axis (a fixed number of queries, whatever the axes)."""
    subject = assessment.subject
    applicable = list(context.applicable_axes(subject.kind, subject.type_or_category))
    states = selectors.axis_states(assessment, request.user if _can_edit(request, assessment) else None)
    names = selectors.axis_names(assessment.campaign.referential, applicable)
    rows = []
    for code in applicable:
        answered, draft = states.get(code, (False, False))
        rows.append(
            {
                "code": code,
                "name": names.get(code, code),
                "answered": answered,
                "draft": draft,
                "error": now.get(code) == "error",
            }
        )
    return _summary(rows)


def _apply_drafts(request: AuthenticatedRequest, loaded, context: ReferentialContext) -> None:
    """Show the person's autosaved draft of an axis in its form (not in its badge nor in the
    counts), unless the axis was saved since."""
    drafts = selectors.answer_drafts_of(loaded.assessment, request.user)
    if not drafts:
        return
    for item in loaded.items:
        draft = drafts.get(item.axis.pk)
        if draft is None or (item.answer is not None and item.answer.updated_at >= draft.saved_at):
            continue
        for name, value in draft_state(draft.data, context).items():
            setattr(item, name, value)
        item.draft_saved_at = draft.saved_at


def _load(request: AuthenticatedRequest, assessment, context=None, only_axis=None, drafts: bool = True):
    loaded = selectors.questionnaire_load(assessment, today=_today(), context=context, only_axis=only_axis)
    if drafts and _can_edit(request, assessment):
        _apply_drafts(request, loaded, loaded.context)
    return loaded


def _saved_at_message(moment: datetime.datetime) -> str:
    return _("Draft saved at %(time)s, not yet saved as your answer.") % {
        "time": date_format(timezone.localtime(moment), "TIME_FORMAT")
    }


# --- Questionnaire ---------------------------------------------------------------------------------


@login_required
@require_GET
def questionnaire(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    assessment = _visible_or_404(request, pk)
    loaded = _load(request, assessment)
    page = _questionnaire_context(
        request,
        assessment,
        loaded,
        type_or_category_label=selectors.type_or_category_label(assessment),
        next_steps=_next_steps(assessment, loaded.items),
    )
    return render(request, "assessments/questionnaire.html", page)


def _next_steps(assessment, items) -> list:
    """The referential's recommended actions from the stored levels to the expected ones (shown on
    the questionnaire and the fiche), the largest gap first."""
    subject = assessment.subject
    return next_steps(
        assessment.campaign.referential,
        kind=subject.kind,
        type_or_category=subject.type_or_category,
        levels={item.code: item.level for item in items if not item.not_applicable},
        not_applicable={item.code for item in items if item.not_applicable},
    )


def _axis_response(
    request: AuthenticatedRequest,
    assessment,
    code: str,
    *,
    status: int = 200,
    context: ReferentialContext | None = None,
    drafts: bool = True,
    **changes: Any,
) -> HttpResponse:
    """The axis fragment (htmx) plus the summary (progress, table of contents), swapped out of
    band. `changes` overlay the item (what was typed after an invalid save, a notice)."""
    context = context or ReferentialContext.from_referential(assessment.campaign.referential)
    loaded = _load(request, assessment, context=context, only_axis=code, drafts=drafts)
    item = loaded.item(code)
    if item is None:
        raise Http404
    for name, value in changes.items():
        setattr(item, name, value)
    summary = _summary_from_database(
        request, assessment, context, **({code: "error"} if changes.get("errors") else {})
    )
    page = _questionnaire_context(request, assessment, loaded, item=item, oob=True, summary=summary)
    html = render_to_string("assessments/questionnaire.html#axis", page, request=request)
    html += render_to_string("assessments/questionnaire.html#progress", page, request=request)
    return HttpResponse(html, status=status)


def _typed_state(answer, errors: dict[str, str], context: ReferentialContext) -> dict[str, Any]:
    """The item's fields as typed, to show again with the messages after an invalid save."""
    return {
        "level": answer.level if not isinstance(answer.level, str) else None,
        "not_applicable": answer.not_applicable,
        "not_applicable_reason": answer.not_applicable_reason,
        "comment": answer.comment,
        "milestones": milestone_views(answer, errors),
        "blocker_ids": {context.blocker_codes[c] for c in answer.blockers if c in context.blocker_codes},
        "errors": errors,
    }


@csrf_exempt  # the CSRF check runs in _answer_save, after the upload handlers are in place
@login_required
@require_POST
def answer_save(request: AuthenticatedRequest, pk: int, code: str) -> HttpResponse:
    """Save one axis: the answer and the files chosen in it, in one request (the form is
    multipart). Also the autosave of a draft (`intent=draft`, from the script) and its removal
    (`intent=discard-draft`). A body declared larger than the evidence limit is refused before it
    is read; one that passes the limit while streaming is cut by `_EvidenceSizeLimit`."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > settings.EVIDENCE_MAX_BYTES + EVIDENCE_REQUEST_OVERHEAD:
        assessment = _editable_or_404(request, pk)  # ownership first (404 otherwise)
        message = services.evidence_size_message(int(declared))
        if request.htmx:
            # The fields were not read: the form shows the person's autosaved draft again.
            return _axis_response(request, assessment, code, errors={"file": message})
        messages.error(request, message)
        return redirect(reverse("assessments:questionnaire", args=[pk]) + f"#axis-{code}")
    request.upload_handlers.insert(0, _EvidenceSizeLimit(request))
    return _answer_save(request, pk, code)


@csrf_protect
def _answer_save(request: AuthenticatedRequest, pk: int, code: str) -> HttpResponse:
    assessment = _editable_or_404(request, pk)
    context = ReferentialContext.from_referential(assessment.campaign.referential)
    subject = assessment.subject
    if code not in context.applicable_axes(subject.kind, subject.type_or_category):
        raise Http404
    intent = request.POST.get("intent", "save")
    if intent == "draft":
        return _draft_save(request, assessment, code, context)
    anchor = reverse("assessments:questionnaire", args=[assessment.pk]) + f"#axis-{code}"
    if intent == "discard-draft":
        services.answer_draft_discard(
            assessment=assessment, axis_code=code, user=request.user, context=context
        )
        message = _("The draft of axis %(axis)s was discarded.") % {"axis": code}
        if request.htmx:
            return _axis_response(request, assessment, code, context=context, saved_message=message)
        messages.success(request, message)
        return redirect(anchor)
    answer = answer_input_from_post(code, request.POST, context)
    uploads = [uploaded for uploaded in request.FILES.getlist("file") if uploaded]
    upload_problems = []
    if getattr(request, "evidence_too_large", False):
        upload_problems.append(Problem("file", services.evidence_size_message()))
    version = version_from(request.POST)
    error_state: dict[str, Any] = {}
    try:
        if version is None:
            raise services.AssessmentConflict
        _saved, stored = services.axis_save(
            assessment=assessment,
            answer=answer,
            uploads=uploads,
            upload_problems=upload_problems,
            expected_version=version,
            user=request.user,
            context=context,
        )
    except services.AnswerInvalid as error:
        errors = problems_by_field(error.problems)
        if (uploads or upload_problems) and "file" not in errors:
            errors["file"] = _("The file was not attached because the axis has errors: choose it again.")
        error_state = _typed_state(answer, errors, context)
    except services.AssessmentError as error:
        if not request.htmx:
            messages.error(request, str(error))
            return redirect(anchor)
        return _axis_response(request, assessment, code, context=context, notice=str(error))
    if error_state:
        if request.htmx:
            return _axis_response(request, assessment, code, context=context, **error_state)
        # Without JavaScript: the whole page again, with what was typed and the messages.
        loaded = _load(request, assessment, context=context)
        item = loaded.item(code)
        for name, value in error_state.items():
            setattr(item, name, value)
        page = _questionnaire_context(
            request,
            assessment,
            loaded,
            error_axis=code,
            type_or_category_label=selectors.type_or_category_label(assessment),
        )
        return render(request, "assessments/questionnaire.html", page, status=422)
    message = _("Axis %(axis)s saved.") % {"axis": code}
    if stored:
        message = ngettext(
            "Axis %(axis)s saved, with the file %(names)s.",
            "Axis %(axis)s saved, with the files %(names)s.",
            len(stored),
        ) % {"axis": code, "names": ", ".join(f"“{e.original_name}”" for e in stored)}
    if request.htmx:
        return _axis_response(request, assessment, code, context=context, saved=True, saved_message=message)
    messages.success(request, message)
    return redirect(anchor)


def _draft_save(request: AuthenticatedRequest, assessment, code: str, context) -> JsonResponse:
    """The autosave (JSON for the script): what was typed, unvalidated, kept as a draft."""
    answer = answer_input_from_post(code, request.POST, context)
    try:
        draft = services.answer_draft_save(
            assessment=assessment, axis_code=code, data=draft_data(answer), user=request.user, context=context
        )
    except services.AssessmentError as error:
        return JsonResponse({"saved": False, "message": str(error)}, status=409)
    return JsonResponse(
        {
            "saved": True,
            "saved_at": draft.saved_at.isoformat(),
            "message": _saved_at_message(draft.saved_at),
            "state_label": pgettext("axis state", "Unsaved draft"),
        }
    )


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
    # Never the declared name nor a type the checks did not grant: a file stored before the
    # content checks as "page.html" downloads as "page.pdf", as an attachment, unsniffed.
    content_type = (
        evidence.content_type
        if evidence.content_type in services.EVIDENCE_EXTENSIONS
        else "application/octet-stream"
    )
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=services.evidence_safe_name(evidence.original_name, content_type),
        content_type=content_type,
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
    labels = loaded.context.scale_labels
    # The scale's labels next to the numbers ("2 — Conforme"), not the bare codes.
    gap_rows = [
        {
            "item": item,
            "level_label": labels.get(item.level, "") if item.level is not None else "",
            "expected_label": labels.get(item.expected, "") if item.expected is not None else "",
            "next_label": labels.get(item.next_level, "") if item.next_level is not None else "",
        }
        for item in loaded.items
    ]
    timeline = sorted(
        (
            {
                "axis": item.axis,
                "level": m.level,
                "level_label": labels.get(m.level, "") if m.level is not None else "",
                "due_on": m.due_on,
                "status": m.status,
            }
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
        "gap_rows": gap_rows,
        "next_steps": _next_steps(assessment, loaded.items),
        "type_or_category_label": selectors.type_or_category_label(assessment),
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
