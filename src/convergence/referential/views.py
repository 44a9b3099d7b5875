"""Pages of the referential: the editions, one edition in full, two editions compared (public);
an edition as a workbook, and a workbook uploaded as a draft after a preview (agency)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from convergence.organisations.rules import require_perm

from .comparison import referential_compare
from .enums import ReferentialStatus
from .models import Consultation, Referential, WorkbookUpload, referential_code_validator
from .selectors import (
    can_see_drafts,
    get_referential_or_404,
    get_upload_or_404,
    referential_choices,
    referential_list,
    referential_view,
    referentials_visible_to,
    upload_comparison,
)
from .services import (
    ReferentialFileError,
    previous_edition_of,
    referential_publish,
    referential_upload_apply,
    referential_upload_prepare,
    referential_workbook_export,
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
    return render(
        request,
        "referential/detail.html",
        {
            "view": referential_view(referential),
            "can_edit": request.user.has_perm("referential.change_referential", referential),
            "consultation": Consultation.objects.filter(referential=referential).first(),
        },
    )


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


# --- Spreadsheet authoring (agency) --------------------------------------------------------


def referential_workbook_view(request: HttpRequest, code: str) -> HttpResponse:
    """Download an edition as the workbook of the contract (section 6)."""
    referential = get_referential_or_404(request.user, code)
    require_perm(request.user, "referential.view_referential", referential)
    response = HttpResponse(
        referential_workbook_export(referential=referential),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{referential.code}.xlsx"'
    return response


class WorkbookUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Workbook (.xlsx)"),
        help_text=_("An edition downloaded from these pages, edited in a spreadsheet."),
        widget=forms.ClearableFileInput(attrs={"class": "fr-upload", "accept": ".xlsx"}),
    )
    mode = forms.ChoiceField(
        label=_("Load it as"),
        choices=WorkbookUpload.Mode.choices,
        initial=WorkbookUpload.Mode.NEW,
        widget=forms.RadioSelect,
    )
    code = forms.CharField(
        label=_("Code of the new draft"),
        required=False,
        max_length=100,
        validators=[referential_code_validator],
        help_text=_("Empty: the code written in the workbook's referential sheet."),
        widget=forms.TextInput(attrs={"class": "fr-input"}),
    )
    base = forms.ModelChoiceField(
        label=_("Derived from (compared with)"),
        queryset=Referential.objects.none(),
        required=False,
        widget=forms.Select(attrs={"class": "fr-select"}),
    )
    target = forms.ModelChoiceField(
        label=_("Draft to replace"),
        queryset=Referential.objects.none(),
        required=False,
        to_field_name="code",
        widget=forms.Select(attrs={"class": "fr-select"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        visible = referentials_visible_to(user).order_by("-published_on", "code")
        self.fields["base"].queryset = visible  # type: ignore[attr-defined]
        self.fields["target"].queryset = visible.filter(status=ReferentialStatus.DRAFT)  # type: ignore[attr-defined]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Choose an .xlsx workbook."), code="extension")
        return upload

    def clean(self):
        data = super().clean() or {}
        if data.get("mode") == WorkbookUpload.Mode.REPLACE and not data.get("target"):
            self.add_error("target", _("Choose the draft the workbook replaces."))
        return data


def _require_editor(request: HttpRequest) -> None:
    require_perm(
        request.user,
        "referential.change_referential",
        message=_("Only agency analysts and administrators edit referential editions."),
    )


@login_required
def referential_upload_view(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    initial: dict[str, object] = {}
    if request.GET.get("target"):
        initial = {"mode": WorkbookUpload.Mode.REPLACE, "target": request.GET["target"]}
    elif request.GET.get("base"):
        base = referentials_visible_to(request.user).filter(code=request.GET["base"]).first()
        initial = {"base": base.pk if base else None}
    else:
        latest = referentials_visible_to(request.user).filter(status=ReferentialStatus.PUBLISHED).first()
        initial = {"base": latest.pk if latest else None}
    form = WorkbookUploadForm(request.POST or None, request.FILES or None, user=request.user, initial=initial)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        file = form.cleaned_data["file"]
        try:
            upload = referential_upload_prepare(
                actor=request.user,
                content=file.read(),
                file_name=file.name,
                mode=form.cleaned_data["mode"],
                target=form.cleaned_data.get("target"),
                base=form.cleaned_data.get("base"),
                code=form.cleaned_data.get("code") or "",
            )
        except ReferentialFileError as error:
            problems = error.problems
        else:
            return redirect("referential:upload_preview", pk=upload.pk)
    return render(request, "referential/upload.html", {"form": form, "problems": problems})


@login_required
def referential_upload_preview_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    upload = get_upload_or_404(request.user, pk)
    problems: list[str] = []
    if request.method == "POST":
        try:
            result = referential_upload_apply(actor=request.user, upload=upload)
        except ReferentialFileError as error:
            problems = error.problems
        else:
            if result.outcome == "unchanged":
                messages.info(
                    request, _("The workbook holds the same content as the draft: nothing changed.")
                )
            else:
                messages.success(
                    request,
                    _("The draft %(code)s has been saved from the workbook.")
                    % {"code": result.referential.code},
                )
            return redirect("referential:detail", code=result.referential.code)
    try:
        comparison = upload_comparison(upload)
    except ReferentialFileError as error:  # the base changed meanwhile in a way that breaks it
        comparison, problems = None, [*problems, *error.problems]
    return render(
        request,
        "referential/upload_preview.html",
        {"upload": upload, "comparison": comparison, "problems": problems},
    )


@login_required
def referential_publish_view(request: HttpRequest, code: str) -> HttpResponse:
    """Publish a draft after reading what changes from the previous edition; then the agency
    may open the next campaign on it."""
    _require_editor(request)
    referential = get_referential_or_404(request.user, code)
    if referential.status != ReferentialStatus.DRAFT:
        messages.error(request, _("Only a draft can be published."))
        return redirect("referential:detail", code=referential.code)
    previous = previous_edition_of(referential)
    if request.method == "POST":
        try:
            referential_publish(referential=referential, actor=request.user, previous=previous)
        except ValueError:
            messages.error(request, _("A draft with no axis cannot be published."))
            return redirect("referential:detail", code=referential.code)
        messages.success(
            request,
            _(
                "The edition %(code)s is published: it no longer changes. "
                "You may now prepare a campaign on it."
            )
            % {"code": referential.code},
        )
        return redirect(f"{reverse('campaigns:create')}?referential={referential.pk}")
    return render(
        request,
        "referential/publish.html",
        {
            "referential": referential,
            "previous": previous,
            "comparison": referential_compare(previous, referential) if previous else None,
        },
    )
