"""Lists of assessments and the agency's review: the organisation's list, the review queue
(filters, sort, reviewer assignment, bulk validation), the review page (changes since the
previous campaign, details per axis, threads), validation and return for correction with "next
in queue", and the messages of an axis's thread (agency and declarant).

Assessments are looked up through `selectors` with the acting organisation (another
organisation's assessment answers 404); writes call the services, which check the permission
(`assessments.rules`: reviewing only while acting for the agency), the campaign's state and the
version the page was based on.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from convergence.organisations.http import AuthenticatedRequest
from convergence.organisations.rules import require_perm
from convergence.organisations.selectors import agency_reviewers
from convergence.organisations.tenancy import acting_organisation, is_agency

from . import checks, selectors, services
from .enums import AssessmentStatus
from .forms import (
    AssessmentFilterForm,
    AssignForm,
    AxisCommentForm,
    ReturnForm,
    ReviewQueueForm,
    version_from,
)
from .models import Assessment, ReviewAssignment
from .views import _today

PAGE_SIZE = 25
# At most this many assessments validated in one confirmation.
BULK_MAX = 100


# --- Lists -------------------------------------------------------------------------------------------


def _page(request: AuthenticatedRequest, queryset) -> Any:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _querystring_without_page(request: AuthenticatedRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _completion_rate(assessment: Assessment) -> float | None:
    applicable = getattr(assessment, "applicable_count", 0)
    if not applicable:
        return None
    return 100 * assessment.answered_count / applicable  # type: ignore[attr-defined]


def _labelled_page(request: AuthenticatedRequest, queryset) -> Any:
    """One page of rows with their answer counts, completion rate and type / region labels."""
    page_obj = selectors.completion_page(_page(request, queryset), today=_today())
    rows = list(page_obj.object_list)
    selectors.type_or_category_labels(rows)
    for assessment in rows:
        assessment.completion_rate = _completion_rate(assessment)  # type: ignore[attr-defined]
    return page_obj


@login_required
@require_GET
def assessment_list(request: AuthenticatedRequest) -> HttpResponse:
    organisation = acting_organisation(request)
    queryset = selectors.assessment_list(organisation, today=_today()).select_related("subject__organisation")
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
            "page_obj": _labelled_page(request, queryset),
            "query": _querystring_without_page(request),
        },
    )


# --- The review queue -------------------------------------------------------------------------------


def _require_review(request: AuthenticatedRequest) -> None:
    """`assessments.review_assessment` on the acting organisation (the rule: acting for the
    agency, as an analyst or administrator; see `assessments.rules`)."""
    require_perm(request.user, "assessments.review_assessment", acting_organisation(request))


def _queue(request: AuthenticatedRequest, params: QueryDict) -> tuple[ReviewQueueForm, Any]:
    """The queue's form and queryset for these parameters (the queue page's query string): the
    same function builds the page, "next in queue" and the bulk validation's return link."""
    today = _today()
    organisation = acting_organisation(request)
    queryset = selectors.review_queue(organisation, today=today).select_related(
        "campaign__referential", "review_assignment__reviewer"
    )
    campaigns = selectors.campaigns_visible_to(organisation)
    type_choices = selectors.type_or_category_choices(campaigns)
    form = ReviewQueueForm(params or None, campaigns=campaigns, type_choices=type_choices)
    status: str = AssessmentStatus.SUBMITTED
    sort = ""
    if form.is_valid():
        data = form.cleaned_data
        status = data["status"] if "status" in params else AssessmentStatus.SUBMITTED
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
        if data["assigned"]:
            queryset = selectors.filter_by_assignment(queryset, data["assigned"], user=request.user)
        sort = data["sort"]
    elif not params:
        form = ReviewQueueForm(
            initial={"status": AssessmentStatus.SUBMITTED}, campaigns=campaigns, type_choices=type_choices
        )
    if status:
        queryset = queryset.filter(status=status)
    return form, selectors.sort_review_queue(queryset, sort)


def _sort_links(params: QueryDict) -> dict[str, dict[str, str]]:
    """For each sortable column: the link that sorts by it (or reverses it) and its
    `aria-sort` state."""
    current = params.get("sort", "")
    links = {}
    for key in selectors.REVIEW_SORTS:
        query = params.copy()
        query.pop("page", None)
        if current == key:
            query["sort"], state = f"-{key}", "ascending"
        elif current == f"-{key}":
            query["sort"], state = key, "descending"
        else:
            query["sort"], state = key, "none"
        links[key] = {"href": f"?{query.urlencode()}", "state": state}
    return links


def _review_url(pk: int, queue: str) -> str:
    url = reverse("assessments:review", args=[pk])
    return f"{url}?{urlencode({'queue': queue})}" if queue else url


def _queue_url(queue: str) -> str:
    url = reverse("assessments:review_queue")
    return f"{url}?{queue}" if queue else url


@login_required
@require_GET
def review_queue(request: AuthenticatedRequest) -> HttpResponse:
    _require_review(request)
    form, queryset = _queue(request, request.GET)
    page_obj = _labelled_page(request, queryset)
    queue = request.GET.urlencode()
    for assessment in page_obj.object_list:
        assessment.review_url = _review_url(assessment.pk, queue)  # type: ignore[attr-defined]
    return render(
        request,
        "assessments/review_queue.html",
        {
            "form": form,
            "page_obj": page_obj,
            "query": _querystring_without_page(request),
            "queue": queue,
            "sort_links": _sort_links(request.GET),
        },
    )


# --- The review page --------------------------------------------------------------------------------


@login_required
@require_GET
def review(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    assessment = selectors.get_assessment_or_404(acting_organisation(request), pk)
    _require_review(request)
    return render(
        request,
        "assessments/review.html",
        _review_context(request, assessment, ReturnForm(initial={"version": assessment.version})),
    )


def _queue_param(request: AuthenticatedRequest) -> str:
    """The query string of the queue the reviewer came from (kept through the review page's
    forms for "next in queue")."""
    return (request.POST.get("queue") if request.method == "POST" else request.GET.get("queue")) or ""


def _review_context(
    request: AuthenticatedRequest, assessment: Assessment, return_form: ReturnForm
) -> dict[str, Any]:
    loaded = selectors.questionnaire_load(assessment, today=_today())
    previous = selectors.previous_assessment(assessment)
    previous_answers = selectors.answers_by_axis_code(previous)
    threads = selectors.axis_comments(assessment)
    blockers = {c.pk: c for c in loaded.blocker_categories}
    rows: list[dict[str, Any]] = []
    for item in loaded.items:
        prev = previous_answers.get(item.code)
        rows.append(
            {
                "item": item,
                "blockers": [blockers[i] for i in sorted(item.blocker_ids) if i in blockers],
                "previous": prev,
                "change": selectors.level_change(
                    previous_level=prev.level if prev else None,
                    previous_not_applicable=bool(prev and prev.not_applicable),
                    level=item.level,
                    not_applicable=item.not_applicable,
                    has_previous=previous is not None,
                ),
                "thread": threads.get(item.code, []),
            }
        )
    # A closed campaign still lets the agency validate, no longer return (checks.CAMPAIGN_STATES).
    return_problems = checks.campaign_state_problems(
        assessment.campaign.status, write=checks.Write.RETURN, campaign_code=assessment.campaign.code
    )
    selectors.type_or_category_labels([assessment])
    organisation = acting_organisation(request)
    reviewers = agency_reviewers(organisation)
    assignment = ReviewAssignment.objects.filter(assessment=assessment).select_related("reviewer").first()
    queue = _queue_param(request)
    return {
        "assessment": assessment,
        "questionnaire": loaded,
        "rows": rows,
        "previous": previous,
        "drops": sum(1 for row in rows if row["change"].kind == "down"),
        "rises": sum(1 for row in rows if row["change"].kind == "up"),
        "return_form": return_form,
        "return_refusal": return_problems[0].message if return_problems else "",
        "assignment": assignment,
        "assign_form": AssignForm(
            initial={"reviewer": assignment.reviewer_id if assignment else None}, reviewers=reviewers
        ),
        "queue": queue,
        "queue_url": _queue_url(queue),
        "next_url": request.get_full_path(),
    }


def _queue_order(request: AuthenticatedRequest, queue: str) -> list[int]:
    _form, queryset = _queue(request, QueryDict(queue))
    return list(queryset.values_list("pk", flat=True))


def _next_in_queue(order: list[int], current: int) -> int | None:
    """The assessment after `current` in the queue as it was ordered before the decision (then
    the first ones, when it was the last), or None when it was alone."""
    if current in order:
        index = order.index(current)
        candidates = order[index + 1 :] + order[:index]
    else:
        candidates = order
    return candidates[0] if candidates else None


def _after_decision(request: AuthenticatedRequest, order: list[int], assessment: Assessment) -> HttpResponse:
    queue = _queue_param(request)
    following = _next_in_queue(order, assessment.pk)
    if following is None:
        messages.info(request, _("The queue is empty: nothing else to review with these filters."))
        return redirect(_queue_url(queue))
    return redirect(_review_url(following, queue))


@login_required
@require_POST
def validate(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    organisation = acting_organisation(request)
    assessment = selectors.get_assessment_or_404(organisation, pk)
    _require_review(request)
    version = version_from(request.POST)
    order = _queue_order(request, _queue_param(request))
    try:
        if version is None:
            raise services.AssessmentConflict
        services.assessment_validate(
            assessment=assessment, expected_version=version, user=request.user, organisation=organisation
        )
    except services.AssessmentError as error:
        messages.error(request, str(error))
        return redirect(_review_url(assessment.pk, _queue_param(request)))
    messages.success(request, _("Assessment of %(subject)s validated.") % {"subject": assessment.subject})
    return _after_decision(request, order, assessment)


@login_required
@require_POST
def return_for_correction(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    organisation = acting_organisation(request)
    assessment = selectors.get_assessment_or_404(organisation, pk)
    _require_review(request)
    form = ReturnForm(request.POST)
    if form.is_valid():
        order = _queue_order(request, _queue_param(request))
        try:
            services.assessment_return(
                assessment=assessment,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
                user=request.user,
                organisation=organisation,
            )
        except services.AssessmentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("Assessment of %(subject)s returned.") % {"subject": assessment.subject}
            )
            return _after_decision(request, order, assessment)
    return render(request, "assessments/review.html", _review_context(request, assessment, form), status=422)


# --- Reviewer assignment ----------------------------------------------------------------------------


@login_required
@require_POST
def review_assign(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Give the review to oneself or a colleague of the agency, or take it back."""
    organisation = acting_organisation(request)
    assessment = selectors.get_assessment_or_404(organisation, pk)
    require_perm(request.user, "assessments.assign_reviewer", organisation)
    form = AssignForm(request.POST, reviewers=agency_reviewers(organisation))
    queue = _queue_param(request)
    if not form.is_valid():
        for error in form.errors.get("reviewer", []):
            messages.error(request, str(error))
        return redirect(_review_url(assessment.pk, queue))
    reviewer = form.cleaned_data["reviewer"]
    try:
        services.review_assign(
            assessment=assessment, reviewer=reviewer, user=request.user, organisation=organisation
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if reviewer is None:
            messages.success(request, _("Nobody reviews this assessment now."))
        else:
            messages.success(
                request,
                _("%(reviewer)s reviews this assessment.")
                % {"reviewer": reviewer.get_full_name() or reviewer.get_username()},
            )
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(_review_url(assessment.pk, queue))


# --- Bulk validation --------------------------------------------------------------------------------


def _selected_ids(data: QueryDict) -> list[int]:
    ids: list[int] = []
    for raw in data.getlist("ids")[:BULK_MAX]:
        if raw.isdigit() and int(raw) not in ids:
            ids.append(int(raw))
    return ids


@login_required
@require_http_methods(["GET", "POST"])
def review_bulk_validate(request: AuthenticatedRequest) -> HttpResponse:
    """GET: the confirmation (what will be validated, and what cannot be); POST: validate them
    all through `services.assessments_validate_many` (all or nothing) and show each row's result."""
    _require_review(request)
    organisation = acting_organisation(request)
    data = request.POST if request.method == "POST" else request.GET
    queue = _queue_param(request)
    ids = _selected_ids(data)
    found = {
        a.pk: a
        for a in selectors.review_queue(organisation, today=_today())
        .select_related("campaign__referential")
        .filter(pk__in=ids)
    }
    selected = [found[pk] for pk in ids if pk in found]
    selectors.type_or_category_labels(selected)
    context: dict[str, Any] = {"queue": queue, "queue_url": _queue_url(queue), "outcome": None}
    if request.method == "GET":
        ready: list[tuple[Assessment, str]] = []
        refused: list[tuple[Assessment, str]] = []
        for assessment in selected:
            problems = checks.write_problems(
                campaign_status=assessment.campaign.status,
                assessment_status=assessment.status,
                write=checks.Write.VALIDATE,
                campaign_code=assessment.campaign.code,
            )
            (refused if problems else ready).append((assessment, " ".join(p.message for p in problems)))
        context.update({"ready": ready, "refused": refused, "unknown": len(ids) - len(selected)})
        return render(request, "assessments/review_bulk.html", context)
    targets = []
    for assessment in selected:
        version = version_from({"version": data.get(f"version-{assessment.pk}", "")})
        # A row without its version cannot be checked: -1 makes it a conflict, never a blind write.
        targets.append((assessment, -1 if version is None else version))
    outcome = services.assessments_validate_many(
        targets=targets, user=request.user, organisation=organisation
    )
    context["outcome"] = outcome
    status = 200 if outcome.applied or not outcome.rows else 409
    return render(request, "assessments/review_bulk.html", context, status=status)


# --- Threads per axis -------------------------------------------------------------------------------


def _thread_target(request: AuthenticatedRequest, pk: int) -> Assessment:
    """The agency reads every assessment; anyone else writes only in its own organisation's
    (a region reading another body's service gets a 404, like any write)."""
    organisation = acting_organisation(request)
    return selectors.get_assessment_or_404(organisation, pk, for_edit=not is_agency(organisation))


def thread_context(assessment: Assessment, axis_code: str, *, next_url: str, form=None) -> dict[str, Any]:
    """What `assessments/_axis_comments.html` needs when rendered on its own (htmx, or the page
    that shows a message's errors without JavaScript)."""
    context: dict[str, Any] = {"assessment": assessment, "axis_code": axis_code, "next_url": next_url}
    if form is not None:
        context["axis_comment_form"] = form
    return context


@login_required
@require_POST
def axis_comment_add(request: AuthenticatedRequest, pk: int, code: str) -> HttpResponse:
    assessment = _thread_target(request, pk)
    organisation = acting_organisation(request)
    form = AxisCommentForm(request.POST)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    if form.is_valid():
        try:
            services.axis_comment_add(
                assessment=assessment,
                axis_code=code,
                body=form.cleaned_data["body"],
                user=request.user,
                organisation=organisation,
            )
        except ValidationError as error:
            if "axis" in getattr(error, "error_dict", {}):
                raise Http404 from None
            form.add_error("body", error.message_dict.get("body", error.messages))
    if form.is_valid():
        if request.htmx:  # type: ignore[attr-defined]
            return render(
                request,
                "assessments/_axis_comments.html",
                thread_context(assessment, code, next_url=target),
            )
        messages.success(request, _("Message sent."))
        if not target:
            name = "assessments:review" if is_agency(organisation) else "assessments:questionnaire"
            target = reverse(name, args=[assessment.pk])
        return redirect(f"{target.split('#')[0]}#thread-{code}")
    context = thread_context(assessment, code, next_url=target, form=form)
    template = "assessments/_axis_comments.html" if request.htmx else "assessments/axis_comment_page.html"  # type: ignore[attr-defined]
    return render(request, template, context, status=422)
