"""Public pages of the referential: the editions, one edition in full, two editions compared."""

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from convergence.organisations.rules import require_perm

from .comparison import referential_compare
from .enums import ReferentialStatus
from .selectors import (
    can_see_drafts,
    get_referential_or_404,
    referential_choices,
    referential_list,
    referential_view,
)

PAGE_SIZE = 20


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, widget=forms.Select(attrs={"class": "fr-select"})
    )

    def __init__(self, *args, show_drafts: bool, **kwargs):
        super().__init__(*args, **kwargs)
        statuses = [(value, label) for value, label in ReferentialStatus.choices]
        if not show_drafts:
            statuses = [(value, label) for value, label in statuses if value != ReferentialStatus.DRAFT]
        self.fields["status"].choices = [("", _("All statuses")), *statuses]  # type: ignore[attr-defined]


class CompareForm(forms.Form):
    a = forms.ChoiceField(label=_("Earlier edition"), widget=forms.Select(attrs={"class": "fr-select"}))
    b = forms.ChoiceField(label=_("Later edition"), widget=forms.Select(attrs={"class": "fr-select"}))

    def __init__(self, *args, choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["a"].choices = choices  # type: ignore[attr-defined]
        self.fields["b"].choices = choices  # type: ignore[attr-defined]

    def clean(self):
        data = super().clean() or {}
        if data.get("a") and data.get("a") == data.get("b"):
            raise forms.ValidationError(_("Choose two different editions."), code="same_edition")
        return data


def referential_list_view(request: HttpRequest) -> HttpResponse:
    show_drafts = can_see_drafts(request.user)
    form = StatusFilterForm(request.GET or None, show_drafts=show_drafts)
    status = form.cleaned_data["status"] if form.is_valid() else None
    page = Paginator(referential_list(request.user, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "referential/list.html",
        {"page": page, "form": form, "show_drafts": show_drafts, "status": status or ""},
    )


def referential_detail_view(request: HttpRequest, code: str) -> HttpResponse:
    referential = get_referential_or_404(request.user, code)
    require_perm(request.user, "referential.view_referential", referential)
    return render(request, "referential/detail.html", {"view": referential_view(referential)})


def referential_compare_view(request: HttpRequest) -> HttpResponse:
    editions = referential_choices(request.user)
    choices = [(r.code, f"{r.code} — {r.display_title}") for r in editions]
    initial = {}
    if len(editions) >= 2:
        # Default to the two most recent editions, the older one first.
        initial = {"a": editions[1].code, "b": editions[0].code}
    form = CompareForm(request.GET if "a" in request.GET else None, choices=choices, initial=initial)
    comparison = None
    if form.is_bound and form.is_valid():
        comparison = referential_compare(
            get_referential_or_404(request.user, form.cleaned_data["a"]),
            get_referential_or_404(request.user, form.cleaned_data["b"]),
        )
    return render(request, "referential/compare.html", {"form": form, "comparison": comparison})
