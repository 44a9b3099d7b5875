"""Campaign pages, for the national agency: prepare, open, follow and close campaigns.

Campaigns are looked up through `selectors.get_campaign_or_404` (the acting organisation's
visibility); following them needs `assessments.view_campaign_progress`, changing them
`assessments.manage_campaign`, which the services check (views translate `PermissionDenied`).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from dsfr.forms import DsfrBaseForm

from convergence.catalog.enums import SubjectKind
from convergence.organisations.http import AuthenticatedRequest
from convergence.organisations.rules import require_perm
from convergence.organisations.tenancy import acting_organisation
from convergence.referential.enums import ReferentialStatus
from convergence.referential.models import Referential

from . import campaigns as services
from . import selectors
from .enums import AssessmentStatus, CampaignScope, CampaignStatus
from .models import Assessment, Campaign

PAGE_SIZE = 20


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class CampaignForm(DsfrBaseForm):
    code = forms.SlugField(
        label=gettext_lazy("Code"),
        max_length=100,
        help_text=gettext_lazy("Stable identifier used in files and reports, e.g. 2025-s2."),
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=300)
    referential = forms.ModelChoiceField(
        label=gettext_lazy("Referential edition"),
        queryset=Referential.objects.filter(status=ReferentialStatus.PUBLISHED),
        help_text=gettext_lazy("Only published editions can be used."),
    )
    scope = forms.ChoiceField(
        label=gettext_lazy("Scope"), choices=CampaignScope.choices, initial=CampaignScope.BOTH
    )
    opens_on = forms.DateField(label=gettext_lazy("Opens on"), widget=DateInput)
    closes_on = forms.DateField(
        label=gettext_lazy("Closes on"),
        widget=DateInput,
        help_text=gettext_lazy("Deadline reminders are sent before this date."),
    )
    instructions = forms.CharField(
        label=gettext_lazy("Instructions to declarants"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args, campaign: Campaign | None = None, **kwargs):
        if campaign is not None:
            kwargs.setdefault(
                "initial",
                {
                    "code": campaign.code,
                    "title": campaign.title,
                    "referential": campaign.referential_id,
                    "scope": campaign.scope,
                    "opens_on": campaign.opens_on,
                    "closes_on": campaign.closes_on,
                    "instructions": campaign.instructions,
                },
            )
        super().__init__(*args, **kwargs)
        if campaign is not None and campaign.status != "draft":
            # Fixed once assessments exist (see campaign_update).
            for name in ("code", "referential", "scope"):
                self.fields[name].disabled = True

    def clean(self):
        cleaned = super().clean()
        opens_on, closes_on = cleaned.get("opens_on"), cleaned.get("closes_on")
        if opens_on and closes_on and closes_on < opens_on:
            self.add_error("closes_on", gettext_lazy("The closing date comes before the opening date."))
        return cleaned


def _require_follower(request: AuthenticatedRequest) -> None:
    try:
        require_perm(request.user, "assessments.view_campaign_progress")
    except PermissionDenied:
        raise PermissionDenied(_("Campaigns are managed by the national agency.")) from None


def _require_manager(request: AuthenticatedRequest) -> None:
    # The services check it too; checked first here so a GET of a form is refused as well.
    try:
        require_perm(request.user, "assessments.manage_campaign")
    except PermissionDenied:
        raise PermissionDenied(_("Only agency analysts and administrators manage campaigns.")) from None


def _get_campaign(request: AuthenticatedRequest, pk: int) -> Campaign:
    return selectors.get_campaign_or_404(acting_organisation(request), pk=pk, with_progress=True)


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, field_errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error)


@login_required
def campaign_list(request: AuthenticatedRequest) -> HttpResponse:
    _require_follower(request)
    queryset = selectors.campaign_progress(
        selectors.campaigns_visible_to(acting_organisation(request)).select_related("referential")
    ).order_by("-opens_on", "code")
    status = request.GET.get("status", "")
    if status in CampaignStatus.values:
        queryset = queryset.filter(status=status)
    paginator = Paginator(queryset, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    page.pages_list = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)  # type: ignore[attr-defined]
    return render(
        request,
        "campaigns/campaign_list.html",
        {
            "page_obj": page,
            "statuses": CampaignStatus.choices,
            "status": status,
            "can_manage": request.user.has_perm("assessments.manage_campaign"),
        },
    )


@login_required
def campaign_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _require_follower(request)
    campaign = _get_campaign(request, pk)
    # Progress per kind of subject and status: one GROUP BY.
    by_kind = {
        row["subject__kind"]: row
        for row in Assessment.objects.filter(campaign=campaign)
        .values("subject__kind")
        .annotate(
            total=Count("pk"),
            **{status: Count("pk", filter=Q(status=status)) for status in AssessmentStatus.values},
        )
    }
    progress = [
        {"label": label, "count": getattr(campaign, f"assessments_{status}"), "status": status}
        for status, label in AssessmentStatus.choices
    ]
    done = campaign.assessments_submitted + campaign.assessments_validated  # type: ignore[attr-defined]
    total = campaign.assessments_total  # type: ignore[attr-defined]
    return render(
        request,
        "campaigns/campaign_detail.html",
        {
            "campaign": campaign,
            "progress": progress,
            "by_kind": [
                {"label": label, **by_kind[kind]} for kind, label in SubjectKind.choices if kind in by_kind
            ],
            "statuses": AssessmentStatus.choices,
            "done_percent": round(100 * done / total) if total else 0,
            "in_scope": services.subjects_in_scope(campaign).count() if campaign.status == "draft" else None,
            "reminders": campaign.reminders.all()[:20],
            "can_manage": request.user.has_perm("assessments.manage_campaign"),
        },
    )


@login_required
def campaign_create(request: AuthenticatedRequest) -> HttpResponse:
    _require_manager(request)
    # "Prepare a campaign on it", from a freshly published edition's page.
    initial = (
        {"referential": request.GET["referential"]} if request.GET.get("referential", "").isdigit() else {}
    )
    form = CampaignForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(**form.cleaned_data, user=request.user)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(
                request, _("The campaign “%(title)s” has been created.") % {"title": campaign.title}
            )
            return redirect("campaigns:detail", pk=campaign.pk)
    return render(request, "campaigns/campaign_form.html", {"form": form, "campaign": None})


@login_required
def campaign_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    campaign = _get_campaign(request, pk)
    if campaign.status == CampaignStatus.CLOSED:
        messages.error(request, _("A closed campaign can no longer be changed."))
        return redirect("campaigns:detail", pk=campaign.pk)
    form = CampaignForm(request.POST or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        changes = dict(form.cleaned_data)
        for name in ("code", "referential", "scope"):
            if form.fields[name].disabled:
                changes.pop(name, None)
        try:
            campaign = services.campaign_update(campaign=campaign, user=request.user, **changes)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("The campaign has been saved."))
            return redirect("campaigns:detail", pk=campaign.pk)
    return render(request, "campaigns/campaign_form.html", {"form": form, "campaign": campaign})


MIGRATION_PAGE_SIZE = 50


@login_required
def campaign_migration(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Before opening: what the opening will do with each subject's last validated answers."""
    _require_manager(request)
    campaign = _get_campaign(request, pk)
    preview = services.campaign_migration_preview(campaign=campaign, user=request.user)
    show = request.GET.get("show", "")
    subjects = preview.subjects
    if show == "changes":
        subjects = [s for s in subjects if s.recheck or s.gone or s.new or s.reached_changed]
    page = Paginator(subjects, MIGRATION_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "campaigns/campaign_migration.html",
        {"campaign": campaign, "preview": preview, "page_obj": page, "show": show},
    )


@login_required
@require_POST
def campaign_open(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    campaign = _get_campaign(request, pk)
    try:
        result = services.campaign_open(campaign=campaign, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _(
                "The campaign is open: %(created)d draft assessments created (%(carried)d prefilled from "
                "the last validated assessment, %(recheck)d answers to re-check)."
            )
            % {"created": result.created, "carried": result.carried_over, "recheck": result.needs_recheck},
        )
    return redirect("campaigns:detail", pk=campaign.pk)


@login_required
@require_POST
def campaign_close(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    campaign = _get_campaign(request, pk)
    try:
        services.campaign_close(campaign=campaign, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The campaign is closed."))
    return redirect("campaigns:detail", pk=campaign.pk)
