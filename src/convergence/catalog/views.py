"""Catalog pages: short views over the selectors (reads) and services (writes).

The services check the permissions (`catalog.rules`); a view checks one itself only before
showing a form (GET), with the same permission. `PermissionDenied` becomes the 403 page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from convergence.organisations.http import AuthenticatedRequest
from convergence.organisations.rules import require_perm
from convergence.organisations.tenancy import acting_organisation

from . import checks, selectors, services
from .enums import SubjectKind
from .filters import SubjectFilter
from .forms import SubjectForm, VariantForm
from .models import Subject

PAGE_SIZE = 25


def _apply_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: per field when it names one."""
    if hasattr(error, "error_dict"):
        for field, field_errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error)


@login_required
def subject_list(request: HttpRequest) -> HttpResponse:
    acting = acting_organisation(request)
    subject_filter = SubjectFilter(
        request.GET or None, queryset=selectors.subject_list(organisation=acting), acting=acting
    )
    queryset = subject_filter.qs if subject_filter.is_bound else subject_filter.queryset
    paginator = Paginator(queryset.order_by(*(queryset.query.order_by or ["name", "code"])), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    page.pages_list = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)  # type: ignore[attr-defined]
    return render(
        request,
        "catalog/subject_list.html",
        {
            "filter": subject_filter,
            "page_obj": page,
            "acting": acting,
            "typology_labels": _typology_labels(),
            "can_declare": acting is not None and services.subject_kind_for(acting) is not None,
            "declared_kind": services.subject_kind_for(acting) if acting else None,
        },
    )


HISTORY_SHOWN = 50


def _typology_labels(kind: str | None = None) -> dict[str, str]:
    """Code → name of the current referential's service types and product categories: pages show
    "Dossier patient informatisé", not "dpi"."""
    return dict(selectors.typology_choices(referential=selectors.current_referential(), kind=kind))


def _shown(field: str, value: object) -> str:
    """A recorded value as the reader reads it: a status's or a region's label, not its code."""
    if value in (None, ""):
        return ""
    choices = dict(getattr(Subject._meta.get_field(field), "flatchoices", None) or ())
    return str(choices.get(value, value))


@login_required
def subject_detail(request: HttpRequest, pk: int) -> HttpResponse:
    acting = acting_organisation(request)
    subject = selectors.subject_get(organisation=acting, pk=pk)
    require_perm(request.user, "catalog.view_subject", subject)
    own = acting is not None and subject.organisation_id == acting.pk
    # One more than shown, so that the last one shown is compared with the one before it too.
    records = list(
        subject.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : HISTORY_SHOWN + 1
        ]
    )
    changes = []
    # Each record is compared with the one before it. The oldest has nothing to be compared with
    # (a subject imported in bulk has no record of its declaration): it says what it recorded.
    for newer, older in zip(records[:HISTORY_SHOWN], [*records[1:], None], strict=False):
        changed = []
        if older is not None:
            delta = newer.diff_against(older, excluded_fields=["updated_at", "created_at"])
            changed = [
                {
                    "field": getattr(Subject._meta.get_field(c.field), "verbose_name", c.field),
                    "old": _shown(c.field, c.old),
                    "new": _shown(c.field, c.new),
                }
                for c in delta.changes
            ]
        changes.append({"record": newer, "changed": changed, "compared": older is not None})
    user = request.user
    return render(
        request,
        "catalog/subject_detail.html",
        {
            "subject": subject,
            "type_or_category_label": _typology_labels(subject.kind).get(subject.type_or_category, ""),
            "changes": changes,
            # The buttons shown are the permissions the services check (on the acting
            # organisation's own subjects: another organisation's are read-only here).
            "can_edit": own and user.has_perm("catalog.change_subject", subject),
            "can_duplicate": own
            and subject.kind == SubjectKind.PRODUCT
            and user.has_perm("catalog.add_subject", acting),
            "can_retire": own and user.has_perm("catalog.delete_subject", subject),
        },
    )


@login_required
def subject_create(request: AuthenticatedRequest) -> HttpResponse:
    acting = acting_organisation(request)
    require_perm(request.user, "catalog.add_subject", acting, message=checks.DECLARES_NOTHING)
    kind = services.subject_kind_for(acting) if acting else None
    if acting is None or kind is None:
        raise PermissionDenied(checks.DECLARES_NOTHING)
    form = SubjectForm(request.POST or None, kind=kind)
    if request.method == "POST" and form.is_valid():
        try:
            subject = services.subject_create(actor=request.user, organisation=acting, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("“%(name)s” has been declared.") % {"name": subject})
            return redirect("catalog:detail", pk=subject.pk)
    return render(request, "catalog/subject_form.html", {"form": form, "kind": kind, "subject": None})


@login_required
def subject_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    acting = acting_organisation(request)
    subject = selectors.subject_get_for_edit(organisation=acting, pk=pk)
    require_perm(request.user, "catalog.change_subject", subject)
    form = SubjectForm(request.POST or None, kind=subject.kind, subject=subject)
    if request.method == "POST" and form.is_valid():
        try:
            subject = services.subject_update(actor=request.user, subject=subject, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Changes to “%(name)s” have been saved.") % {"name": subject})
            return redirect("catalog:detail", pk=subject.pk)
    return render(
        request, "catalog/subject_form.html", {"form": form, "kind": subject.kind, "subject": subject}
    )


@login_required
@require_POST
def subject_retire(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    acting = acting_organisation(request)
    subject = selectors.subject_get_for_edit(organisation=acting, pk=pk)
    subject = services.subject_retire(actor=request.user, subject=subject)
    messages.success(request, _("“%(name)s” has been retired; its history is kept.") % {"name": subject})
    return redirect("catalog:detail", pk=subject.pk)


@login_required
@require_POST
def subject_reactivate(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    acting = acting_organisation(request)
    subject = selectors.subject_get_for_edit(organisation=acting, pk=pk)
    try:
        subject = services.subject_reactivate(actor=request.user, subject=subject)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("“%(name)s” is active again.") % {"name": subject})
    return redirect("catalog:detail", pk=subject.pk)


@login_required
def subject_duplicate(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    acting = acting_organisation(request)
    subject = selectors.subject_get_for_edit(organisation=acting, pk=pk)
    if subject.kind != SubjectKind.PRODUCT:
        raise PermissionDenied(_("Only products have platform variants."))
    require_perm(request.user, "catalog.add_subject", subject.organisation)
    form = VariantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            variant = services.subject_duplicate_as_variant(
                actor=request.user, subject=subject, platform=form.cleaned_data["platform"]
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("The variant “%(name)s” has been declared.") % {"name": variant})
            return redirect("catalog:detail", pk=variant.pk)
    return render(request, "catalog/subject_variant.html", {"form": form, "subject": subject})
