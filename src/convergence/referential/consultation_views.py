"""Pages of the public consultation of a draft edition.

The agency opens it with dates (`consultation_open`); members of vendors, ARS and GRADeS read
the draft with its differences from the current edition and comment, acting for their
organisation; the agency answers each comment. Lookups go through the selectors (a comment of
another organisation is a 404), writes through the services, which check the permissions.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from convergence.organisations.enums import OrganisationKind
from convergence.organisations.rules import require_perm
from convergence.organisations.tenancy import acting_organisation

from .comparison import referential_compare
from .enums import ANSWERED_STATUSES, CommentStatus, CommentTarget, ReferentialStatus
from .models import Consultation, ConsultationComment, Referential
from .selectors import (
    comments_visible_to,
    consultation_summary,
    get_comment_or_404,
    get_consultation_or_404,
    get_referential_or_404,
    referential_view,
)
from .services import (
    consultation_comment_add,
    consultation_comment_answer,
    consultation_comment_update,
    consultation_open,
)
from .summary import summary_pdf, summary_xlsx


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__({"class": "fr-input", **(attrs or {})}, format="%Y-%m-%d")


class ConsultationOpenForm(forms.Form):
    opens_on = forms.DateField(label=gettext_lazy("Opens on"), widget=DateInput)
    closes_on = forms.DateField(label=gettext_lazy("Closes on"), widget=DateInput)
    compared_with = forms.ModelChoiceField(
        label=gettext_lazy("Current edition (the differences are shown against it)"),
        queryset=Referential.objects.filter(status=ReferentialStatus.PUBLISHED).order_by("-published_on"),
        required=False,
        widget=forms.Select(attrs={"class": "fr-select"}),
    )


class CommentForm(forms.Form):
    target = forms.ChoiceField(
        label=gettext_lazy("About"),
        choices=CommentTarget.choices,
        widget=forms.Select(attrs={"class": "fr-select"}),
    )
    axis_code = forms.ChoiceField(
        label=gettext_lazy("Axis"), required=False, widget=forms.Select(attrs={"class": "fr-select"})
    )
    level = forms.TypedChoiceField(
        label=gettext_lazy("Level"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.Select(attrs={"class": "fr-select"}),
    )
    target_code = forms.ChoiceField(
        label=gettext_lazy("Service type or product category"),
        required=False,
        widget=forms.Select(attrs={"class": "fr-select"}),
    )
    text = forms.CharField(
        label=gettext_lazy("Comment"), widget=forms.Textarea(attrs={"class": "fr-input", "rows": 4})
    )

    def __init__(self, *args, view, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["axis_code"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (axis.code, f"{axis.code} — {axis.display_name}") for axis in view.axes
        ]
        self.fields["level"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (str(level), str(level)) for level in view.referential.levels
        ]
        targets = [
            (t.code, f"{t.display_name} ({t.code})") for family in view.families for t in family.types.all()
        ]
        targets += [(c.code, f"{c.display_name} ({c.code})") for c in view.categories]
        self.fields["target_code"].choices = [("", "—"), *targets]  # type: ignore[attr-defined]


class CommentEditForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Comment"), widget=forms.Textarea(attrs={"class": "fr-input", "rows": 4})
    )


class AnswerForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[(s.value, s.label) for s in ANSWERED_STATUSES],
        widget=forms.Select(attrs={"class": "fr-select"}),
    )
    answer = forms.CharField(
        label=gettext_lazy("Answer"), widget=forms.Textarea(attrs={"class": "fr-input", "rows": 3})
    )


def _apply_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, field_errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error)


def _consultation_page(
    request: HttpRequest,
    consultation: Consultation,
    *,
    comment_form: CommentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    organisation = acting_organisation(request)
    view = referential_view(consultation.referential)
    comparison = (
        referential_compare(consultation.compared_with, consultation.referential)
        if consultation.compared_with
        else None
    )
    can_comment = (
        organisation is not None
        and user.has_perm("referential.comment_consultation", organisation)
        and consultation.is_open_on(timezone.localdate())
        and consultation.referential.status == ReferentialStatus.DRAFT
    )
    is_agency = user.has_perm("referential.change_referential")
    comments = list(comments_visible_to(user, organisation, consultation))
    return render(
        request,
        "referential/consultation.html",
        {
            "consultation": consultation,
            "referential": consultation.referential,
            "view": view,
            "comparison": comparison,
            "changed_axes": comparison.changed_axis_codes() if comparison else set(),
            "comments": comments,
            "comment_form": comment_form or (CommentForm(view=view) if can_comment else None),
            "can_comment": can_comment,
            "is_agency": is_agency,
            "answer_form": AnswerForm() if is_agency else None,
            "summary": consultation_summary(consultation) if is_agency else None,
            "status_labels": dict(CommentStatus.choices),
            "kind_labels": dict(OrganisationKind.choices),
            "today": timezone.localdate(),
        },
        status=status,
    )


@login_required
def consultation_view(request: HttpRequest, code: str) -> HttpResponse:
    return _consultation_page(request, get_consultation_or_404(request.user, code))


def _require_editor(request: HttpRequest) -> None:
    require_perm(
        request.user,
        "referential.change_referential",
        message=_("Only agency analysts and administrators run consultations."),
    )


@login_required
def consultation_open_view(request: HttpRequest, code: str) -> HttpResponse:
    _require_editor(request)
    referential = get_referential_or_404(request.user, code)
    existing = Consultation.objects.filter(referential=referential).first()
    initial = (
        {
            "opens_on": existing.opens_on,
            "closes_on": existing.closes_on,
            "compared_with": existing.compared_with_id,
        }
        if existing
        else {"compared_with": referential.derived_from_id}
    )
    form = ConsultationOpenForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            consultation_open(actor=request.user, referential=referential, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("The consultation of %(code)s is open.") % {"code": referential.code})
            return redirect("referential:consultation", code=referential.code)
    return render(request, "referential/consultation_open.html", {"form": form, "referential": referential})


@login_required
@require_POST
def consultation_comment_view(request: HttpRequest, code: str) -> HttpResponse:
    consultation = get_consultation_or_404(request.user, code)
    organisation = acting_organisation(request)
    require_perm(
        request.user,
        "referential.comment_consultation",
        organisation,
        message=_("Members of vendors and regions comment on a consultation, acting for their organisation."),
    )
    form = CommentForm(request.POST, view=referential_view(consultation.referential))
    if form.is_valid():
        try:
            consultation_comment_add(
                actor=request.user, organisation=organisation, consultation=consultation, **form.cleaned_data
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Your comment has been recorded."))
            return redirect("referential:consultation", code=code)
    return _consultation_page(request, consultation, comment_form=form, status=200)


@login_required
def consultation_comment_edit_view(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    consultation = get_consultation_or_404(request.user, code)
    comment = get_comment_or_404(request.user, acting_organisation(request), consultation, pk)
    require_perm(
        request.user,
        "referential.change_consultation_comment",
        comment,
        message=_("A comment is changed by its author only."),
    )
    form = CommentEditForm(request.POST or None, initial={"text": comment.text})
    if request.method == "POST" and form.is_valid():
        try:
            consultation_comment_update(actor=request.user, comment=comment, text=form.cleaned_data["text"])
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Your comment has been changed."))
            return redirect("referential:consultation", code=code)
    return render(
        request,
        "referential/consultation_comment_edit.html",
        {"form": form, "comment": comment, "consultation": consultation},
    )


@login_required
@require_POST
def consultation_comment_answer_view(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    _require_editor(request)
    consultation = get_consultation_or_404(request.user, code)
    comment: ConsultationComment = get_comment_or_404(
        request.user, acting_organisation(request), consultation, pk
    )
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            consultation_comment_answer(actor=request.user, comment=comment, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The answer has been recorded."))
    else:
        messages.error(request, _("Choose a decision and write the answer."))
    return redirect(f"{reverse('referential:consultation', args=[code])}#comment-{comment.pk}")


@login_required
def consultation_summary_view(request: HttpRequest, code: str, format: str) -> HttpResponse:
    _require_editor(request)
    if format not in ("xlsx", "pdf"):
        raise Http404
    consultation = get_consultation_or_404(request.user, code)
    summary = consultation_summary(consultation)
    if format == "xlsx":
        response = HttpResponse(
            summary_xlsx(consultation, summary),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        html = render_to_string(
            "referential/consultation_summary_pdf.html",
            {
                "consultation": consultation,
                "summary": summary,
                "status_labels": dict(CommentStatus.choices),
                "kind_labels": dict(OrganisationKind.choices),
                "comments": comments_visible_to(request.user, None, consultation),
            },
            request=request,
        )
        response = HttpResponse(summary_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="consultation-{consultation.referential.code}.{format}"'
    )
    return response
