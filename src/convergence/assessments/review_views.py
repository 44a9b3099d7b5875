"""Lists of assessments and the agency's review: the organisation's list, the review queue, the
review page, validation and return for correction.

Assessments are looked up through `selectors` with the acting organisation (another
organisation's assessment answers 404); writes call the services, which check the permission,
the campaign's state and the version the page was based on.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from convergence.organisations.http import AuthenticatedRequest
from convergence.organisations.rules import require_perm
from convergence.organisations.tenancy import acting_organisation, is_agency

from . import checks, selectors, services
from .enums import AssessmentStatus
from .forms import AssessmentFilterForm, ReturnForm, ReviewFilterForm, version_from
from .models import Assessment
from .views import _today

PAGE_SIZE = 25


# --- Lists -------------------------------------------------------------------------------------------


def _page(request: AuthenticatedRequest, queryset) -> Any:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _querystring_without_page(request: AuthenticatedRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
@require_GET
def assessment_list(request: AuthenticatedRequest) -> HttpResponse:
    organisation = acting_organisation(request)
    queryset = selectors.assessment_list(organisation, today=_today())
    campaigns = (
        selectors.campaigns_visible_to(organisation)
        .filter(assessments__in=selectors.assessments_editable_by(organisation))
        .distinct()
    )
    form = AssessmentFilterForm(request.GET or None, campaigns=campaigns)
    if form.is_valid():
        data = form.cleaned_data
        if data["campaign"]:
            queryset = queryset.filter(campaign__code=data["campaign"])
        if data["status"]:
            queryset = queryset.filter(status=data["status"])
        if data["q"]:
            queryset = queryset.filter(subject__name__icontains=data["q"])
    return render(
        request,
        "assessments/list.html",
        {
            "form": form,
            "page_obj": selectors.completion_page(_page(request, queryset), today=_today()),
            "query": _querystring_without_page(request),
        },
    )


def _require_review_permission(request: AuthenticatedRequest, assessment: Assessment | None = None) -> None:
    """`assessments.review_assessment`, used while acting for the agency: an analyst who is also
    a vendor's member does not review while acting for the vendor."""
    require_perm(request.user, "assessments.review_assessment", assessment)
    if not is_agency(acting_organisation(request)):
        raise PermissionDenied("assessments.review_assessment")


@login_required
@require_GET
def review_queue(request: AuthenticatedRequest) -> HttpResponse:
    _require_review_permission(request)
    today = _today()
    organisation = acting_organisation(request)
    queryset = selectors.review_queue(organisation, today=today)
    campaigns = selectors.campaigns_visible_to(organisation)
    form = ReviewFilterForm(request.GET or None, campaigns=campaigns)
    status = AssessmentStatus.SUBMITTED
    if form.is_valid():
        data = form.cleaned_data
        status = data["status"] if "status" in request.GET else AssessmentStatus.SUBMITTED
        if data["campaign"]:
            queryset = queryset.filter(campaign__code=data["campaign"])
        if data["region"]:
            queryset = selectors.filter_by_region(queryset, data["region"])
        if data["type_or_category"]:
            queryset = queryset.filter(subject__type_or_category=data["type_or_category"].strip())
        if data["q"]:
            queryset = queryset.filter(subject__name__icontains=data["q"])
        if data["late"]:
            queryset = queryset.filter(has_late=True)  # type: ignore[misc]  # annotated by the selector
    elif not request.GET:
        form = ReviewFilterForm(initial={"status": AssessmentStatus.SUBMITTED}, campaigns=campaigns)
    if status:
        queryset = queryset.filter(status=status)
    return render(
        request,
        "assessments/review_queue.html",
        {
            "form": form,
            "page_obj": selectors.completion_page(_page(request, queryset), today=today),
            "query": _querystring_without_page(request),
        },
    )


@login_required
@require_GET
def review(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    assessment = selectors.get_assessment_or_404(acting_organisation(request), pk)
    _require_review_permission(request, assessment)
    return render(
        request,
        "assessments/review.html",
        _review_context(assessment, ReturnForm(initial={"version": assessment.version})),
    )


def _review_context(assessment, return_form: ReturnForm) -> dict[str, Any]:
    loaded = selectors.questionnaire_load(assessment, today=_today())
    previous = selectors.previous_assessment(assessment)
    previous_answers = selectors.answers_by_axis_code(previous)
    blockers = {c.pk: c for c in loaded.blocker_categories}
    rows = [
        {
            "item": item,
            "blockers": [blockers[i] for i in sorted(item.blocker_ids) if i in blockers],
            "previous": previous_answers.get(item.code),
        }
        for item in loaded.items
    ]
    # A closed campaign still lets the agency validate, no longer return (checks.CAMPAIGN_STATES).
    return_problems = checks.campaign_state_problems(
        assessment.campaign.status, write=checks.Write.RETURN, campaign_code=assessment.campaign.code
    )
    return {
        "assessment": assessment,
        "questionnaire": loaded,
        "rows": rows,
        "previous": previous,
        "return_form": return_form,
        "return_refusal": return_problems[0].message if return_problems else "",
    }


@login_required
@require_POST
def validate(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    assessment = selectors.get_assessment_or_404(acting_organisation(request), pk)
    _require_review_permission(request, assessment)
    version = version_from(request.POST)
    try:
        if version is None:
            raise services.AssessmentConflict
        services.assessment_validate(assessment=assessment, expected_version=version, user=request.user)
    except services.AssessmentError as error:
        messages.error(request, str(error))
        return redirect("assessments:review", pk=assessment.pk)
    messages.success(request, _("Assessment of %(subject)s validated.") % {"subject": assessment.subject})
    return redirect("assessments:review_queue")


@login_required
@require_POST
def return_for_correction(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    assessment = selectors.get_assessment_or_404(acting_organisation(request), pk)
    _require_review_permission(request, assessment)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            services.assessment_return(
                assessment=assessment,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
                user=request.user,
            )
        except services.AssessmentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("Assessment of %(subject)s returned.") % {"subject": assessment.subject}
            )
            return redirect("assessments:review_queue")
    return render(request, "assessments/review.html", _review_context(assessment, form), status=422)
