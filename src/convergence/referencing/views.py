"""Referencing pages: short views over the selectors (reads) and services (writes). Services
check the permissions; a view checks one only before showing a form. `PermissionDenied` is the
403 page, `Http404` another organisation's object."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from convergence.assessments.pdf import html_to_pdf
from convergence.catalog.selectors import subjects_editable_by
from convergence.organisations.http import AuthenticatedRequest
from convergence.organisations.rules import ActingOn, require_perm
from convergence.organisations.tenancy import acting_organisation

from . import register, selectors, services
from .enums import AuditOutcome, DossierStatus, Opinion, ProgrammeScope, ProgrammeStatus
from .models import Audit, CommissionMeeting, NonConformityReport
from .requirements import current_assessment, requirement_rows


def _errors(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {field: [str(m) for e in errs for m in e.messages] for field, errs in error.error_dict.items()}
    return {"__all__": list(error.messages)}


def _flash_errors(request: HttpRequest, error: ValidationError) -> None:
    for field_messages in _errors(error).values():
        for message in field_messages:
            messages.error(request, message)


def _date(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _post_action(
    request: HttpRequest, action: Callable[[], object], success: str, back: HttpResponse
) -> HttpResponse:
    """Run a service from a POST button: its refusal as a message beside the page, nothing changed."""
    try:
        action()
    except ValidationError as error:
        _flash_errors(request, error)
    else:
        messages.success(request, success)
    return back


# --- Programmes --------------------------------------------------------------------------------------


@login_required
def programme_list(request: AuthenticatedRequest) -> HttpResponse:
    acting = acting_organisation(request)
    return render(
        request,
        "referencing/programme_list.html",
        {
            "programmes": selectors.programmes_visible_to(acting),
            "can_manage": request.user.has_perm("referencing.manage_programme", acting),
        },
    )


@login_required
def programme_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    acting = acting_organisation(request)
    programme = selectors.get_programme_or_404(acting, pk)
    require_perm(request.user, "referencing.view_programme", programme)
    return render(
        request,
        "referencing/programme_detail.html",
        {
            "programme": programme,
            "can_manage": request.user.has_perm("referencing.manage_programme", acting),
            "can_apply": programme.status == ProgrammeStatus.PUBLISHED
            and request.user.has_perm("referencing.apply", acting),
        },
    )


@login_required
def programme_import(request: AuthenticatedRequest) -> HttpResponse:
    acting = acting_organisation(request)
    require_perm(request.user, "referencing.manage_programme", acting, message=services.MANAGE_REFUSED)
    errors: list[str] = []
    source = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        source = upload.read() if upload else request.POST.get("source", "")
        if not source:
            errors = [_("Choose a YAML file or paste its content.")]
        else:
            try:
                result = services.programme_import(actor=request.user, organisation=acting, source=source)
            except ValidationError as error:
                errors = [m for ms in _errors(error).values() for m in ms]
            else:
                if result.created:
                    messages.success(
                        request,
                        _("Version %(v)s of the programme has been imported.")
                        % {"v": result.programme.version},
                    )
                else:
                    messages.info(request, _("Nothing changed: this is the content of the latest version."))
                return redirect("referencing:programme", pk=result.programme.pk)
        if isinstance(source, bytes):
            source = source.decode("utf-8", "replace")
    return render(
        request,
        "referencing/programme_import.html",
        {"errors": errors, "source": source},
        status=422 if errors else 200,
    )


@login_required
def programme_export(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    programme = selectors.get_programme_or_404(acting_organisation(request), pk)
    response = HttpResponse(
        services.programme_export(programme), content_type="application/yaml; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{programme.code}-v{programme.version}.yaml"'
    return response


@login_required
@require_POST
def programme_publish(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    acting = acting_organisation(request)
    require_perm(request.user, "referencing.manage_programme", acting, message=services.MANAGE_REFUSED)
    programme = selectors.get_programme_or_404(acting, pk)
    return _post_action(
        request,
        lambda: services.programme_publish(actor=request.user, organisation=acting, programme=programme),
        _("The programme is published: applications may be made."),
        redirect("referencing:programme", pk=programme.pk),
    )


@login_required
def programme_dossiers_xlsx(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    acting = acting_organisation(request)
    require_perm(request.user, "referencing.instruct_dossier", acting)
    programme = selectors.get_programme_or_404(acting, pk)
    response = HttpResponse(
        register.dossiers_xlsx(programme),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="dossiers-{programme.code}-v{programme.version}.xlsx"'
    )
    return response


@login_required
def dossier_apply(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    acting = acting_organisation(request)
    programme = selectors.get_programme_or_404(acting, pk)
    require_perm(
        request.user,
        "referencing.apply",
        acting,
        message=_("Only an account manager of a vendor, an ARS or a GRADeS may apply."),
    )
    kind = "service" if programme.scope == ProgrammeScope.SERVICES else "product"
    subjects = subjects_editable_by(acting).filter(kind=kind, type_or_category__in=programme.eligible_codes)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        subject = subjects_editable_by(acting).filter(pk=request.POST.get("subject") or 0).first()
        if subject is None:
            errors = {"subject": [_("Choose one of your products.")]}
        else:
            try:
                dossier = services.dossier_create(actor=request.user, programme=programme, subject=subject)
            except ValidationError as error:
                errors = _errors(error)
            else:
                messages.success(
                    request, _("The dossier has been created: answer the questions and submit it.")
                )
                return redirect("referencing:dossier", pk=dossier.pk)
    return render(
        request,
        "referencing/dossier_apply.html",
        {"programme": programme, "subjects": subjects, "errors": errors},
        status=422 if errors else 200,
    )


# --- Dossiers ----------------------------------------------------------------------------------------


@login_required
def dossier_list(request: AuthenticatedRequest) -> HttpResponse:
    acting = acting_organisation(request)
    is_instructor = request.user.has_perm("referencing.instruct_dossier", acting)
    if is_instructor:
        programme_id = request.GET.get("programme") or None
        programme = (
            selectors.programmes_visible_to(acting).filter(pk=programme_id).first()
            if programme_id and programme_id.isdigit()
            else None
        )
        dossiers = selectors.instruction_queue(programme=programme, status=request.GET.get("status") or None)
    else:
        dossiers = selectors.dossiers_visible_to(acting)
    return render(
        request,
        "referencing/dossier_list.html",
        {
            "dossiers": dossiers[:500],
            "is_instructor": is_instructor,
            "programmes": selectors.programmes_visible_to(acting) if is_instructor else [],
            "statuses": DossierStatus.choices,
            "today": timezone.localdate(),
        },
    )


def _dossier_context(request: AuthenticatedRequest, dossier) -> dict:
    acting = acting_organisation(request)
    user = request.user
    assessment = dossier.assessment or current_assessment(dossier.subject, dossier.programme)
    can_instruct = user.has_perm("referencing.instruct_dossier", acting)
    meetings = CommissionMeeting.objects.filter(held_on__gte=timezone.localdate()) if can_instruct else []
    # A reverse one-to-one that does not exist raises an AttributeError subclass: getattr's default.
    opinion = getattr(dossier, "opinion", None)
    return {
        "dossier": dossier,
        "programme": dossier.programme,
        "assessment": assessment,
        "rows": requirement_rows(dossier, assessment=assessment),
        "questions": dossier.programme.questions.all(),
        "complements": dossier.complement_requests.all(),
        "opinion": opinion,
        "award": getattr(dossier, "award", None),
        "can_change": dossier.status in (DossierStatus.DRAFT, DossierStatus.COMPLEMENTS)
        and user.has_perm("referencing.change_dossier", dossier)
        and not (acting and acting.is_agency),
        "can_instruct": can_instruct,
        "agency_members": selectors.agency_members() if can_instruct else [],
        "meetings": meetings,
        "today": timezone.localdate(),
    }


@login_required
def dossier_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    dossier = selectors.get_dossier_or_404(acting_organisation(request), pk)
    require_perm(request.user, "referencing.view_dossier", dossier)
    return render(request, "referencing/dossier_detail.html", _dossier_context(request, dossier))


@login_required
def dossier_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    dossier = selectors.get_dossier_or_404(acting_organisation(request), pk, for_edit=True)
    require_perm(request.user, "referencing.change_dossier", dossier)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        answers = {}
        for question in dossier.programme.questions.all():
            value = request.POST.get(f"answer-{question.code}")
            answers[question.code] = {"yes": True, "no": False}.get(value or "")
        explanations = {
            requirement.code: request.POST.get(f"explanation-{requirement.code}", "")
            for requirement in dossier.programme.requirements.all()
        }
        try:
            dossier = services.dossier_update(
                actor=request.user,
                dossier=dossier,
                answers=answers,
                explanations=explanations,
                accept_charter=bool(request.POST.get("accept_charter")),
            )
            if request.POST.get("submit"):
                dossier = services.dossier_submit(actor=request.user, dossier=dossier)
                messages.success(request, _("The dossier has been submitted to the agency."))
            else:
                messages.success(request, _("The dossier has been saved."))
            return redirect("referencing:dossier", pk=dossier.pk)
        except ValidationError as error:
            errors = _errors(error)
            dossier.refresh_from_db()
    context = _dossier_context(request, dossier)
    context["errors"] = errors
    return render(request, "referencing/dossier_edit.html", context, status=422 if errors else 200)


@login_required
@require_POST
def dossier_submit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    dossier = selectors.get_dossier_or_404(acting_organisation(request), pk, for_edit=True)
    return _post_action(
        request,
        lambda: services.dossier_submit(actor=request.user, dossier=dossier),
        _("The dossier has been submitted to the agency."),
        redirect("referencing:dossier", pk=dossier.pk),
    )


@login_required
@require_POST
def complements_answer(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    dossier = selectors.get_dossier_or_404(acting_organisation(request), pk, for_edit=True)
    return _post_action(
        request,
        lambda: services.complements_answer(
            actor=request.user, dossier=dossier, answer=request.POST.get("answer", "")
        ),
        _("Your answer has been sent: the instruction resumes."),
        redirect("referencing:dossier", pk=dossier.pk),
    )


def _instructor_action(request: AuthenticatedRequest, pk: int, run: Callable, success: str) -> HttpResponse:
    acting = acting_organisation(request)
    dossier = selectors.get_dossier_or_404(acting, pk)
    require_perm(request.user, "referencing.instruct_dossier", acting)
    return _post_action(
        request, lambda: run(acting, dossier), success, redirect("referencing:dossier", pk=dossier.pk)
    )


@login_required
@require_POST
def dossier_referent(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def run(acting, dossier):
        referent = selectors.agency_members().filter(pk=request.POST.get("referent") or 0).first()
        if referent is None:
            raise ValidationError({"referent": [_("Choose a member of the agency.")]})
        return services.dossier_assign_referent(
            actor=request.user, organisation=acting, dossier=dossier, referent=referent
        )

    return _instructor_action(request, pk, run, _("The referent has been assigned."))


@login_required
@require_POST
def dossier_instruct(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _instructor_action(
        request,
        pk,
        lambda acting, dossier: services.dossier_start_instruction(
            actor=request.user, organisation=acting, dossier=dossier
        ),
        _("The instruction has started."),
    )


@login_required
@require_POST
def dossier_finding(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def run(acting, dossier):
        requirement = dossier.programme.requirements.filter(pk=request.POST.get("requirement") or 0).first()
        if requirement is None:
            raise ValidationError({"requirement": [_("Choose a requirement of the programme.")]})
        return services.finding_record(
            actor=request.user,
            organisation=acting,
            dossier=dossier,
            requirement=requirement,
            met=request.POST.get("met") == "yes",
            comment=request.POST.get("comment", ""),
        )

    return _instructor_action(request, pk, run, _("The finding has been recorded."))


@login_required
@require_POST
def dossier_complements(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _instructor_action(
        request,
        pk,
        lambda acting, dossier: services.complements_request(
            actor=request.user,
            organisation=acting,
            dossier=dossier,
            message=request.POST.get("message", ""),
            due_on=_date(request.POST.get("due_on")),
        ),
        _("The complements have been requested."),
    )


@login_required
@require_POST
def dossier_commission(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def run(acting, dossier):
        meeting = CommissionMeeting.objects.filter(pk=request.POST.get("meeting") or 0).first()
        if meeting is None:
            raise ValidationError({"meeting": [_("Choose a commission meeting.")]})
        return services.dossier_to_commission(
            actor=request.user, organisation=acting, dossier=dossier, meeting=meeting
        )

    return _instructor_action(request, pk, run, _("The dossier is on the commission's agenda."))


# --- Commission --------------------------------------------------------------------------------------


@login_required
def meeting_list(request: AuthenticatedRequest) -> HttpResponse:
    acting = acting_organisation(request)
    require_perm(request.user, "referencing.instruct_dossier", acting)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        members = list(selectors.agency_members().filter(pk__in=request.POST.getlist("members")))
        held_on = _date(request.POST.get("held_on"))
        try:
            if held_on is None:
                raise ValidationError({"held_on": [_("Give the meeting's date.")]})
            meeting = services.meeting_create(
                actor=request.user,
                organisation=acting,
                title=request.POST.get("title", ""),
                held_on=held_on,
                members=members,
            )
        except ValidationError as error:
            errors = _errors(error)
        else:
            messages.success(request, _("The meeting has been created."))
            return redirect("referencing:meeting", pk=meeting.pk)
    return render(
        request,
        "referencing/meeting_list.html",
        {
            "meetings": CommissionMeeting.objects.prefetch_related("members"),
            "agency_members": selectors.agency_members(),
            "errors": errors,
        },
        status=422 if errors else 200,
    )


@login_required
def meeting_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    acting = acting_organisation(request)
    require_perm(request.user, "referencing.instruct_dossier", acting)
    meeting = get_object_or_404(CommissionMeeting, pk=pk)
    return render(
        request,
        "referencing/meeting_detail.html",
        {
            "meeting": meeting,
            "dossiers": meeting.dossiers.select_related("subject__organisation", "programme", "opinion"),
            "opinions": Opinion.choices,
            "can_record": request.user.has_perm("referencing.record_opinion", ActingOn(acting, meeting)),  # type: ignore[arg-type]
        },
    )


@login_required
@require_POST
def opinion_record(request: AuthenticatedRequest, pk: int, dossier_pk: int) -> HttpResponse:
    acting = acting_organisation(request)
    dossier = selectors.get_dossier_or_404(acting, dossier_pk)
    meeting = get_object_or_404(CommissionMeeting, pk=pk)
    return _post_action(
        request,
        lambda: services.opinion_record(
            actor=request.user,
            organisation=acting,
            meeting=meeting,
            dossier=dossier,
            opinion=request.POST.get("opinion", ""),
            reservations=request.POST.get("reservations", ""),
            reservations_due_on=_date(request.POST.get("reservations_due_on")),
        ),
        _("The commission's opinion has been recorded."),
        redirect("referencing:meeting", pk=meeting.pk),
    )


# --- Awards and audits (agency) ----------------------------------------------------------------------


@login_required
def award_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    acting = acting_organisation(request)
    award = selectors.get_award_or_404(acting, pk)
    require_perm(request.user, "referencing.instruct_dossier", acting)
    return render(
        request,
        "referencing/award_detail.html",
        {
            "award": award,
            "state": award.state(timezone.localdate()),
            "reports": award.reports.select_related("reporter", "audit"),
            "audits": award.audits.all(),
            "outcomes": AuditOutcome.choices,
        },
    )


def _award_action(request: AuthenticatedRequest, pk: int, run: Callable, success: str) -> HttpResponse:
    acting = acting_organisation(request)
    award = selectors.get_award_or_404(acting, pk)
    require_perm(request.user, "referencing.instruct_dossier", acting)
    return _post_action(
        request, lambda: run(acting, award), success, redirect("referencing:award", pk=award.pk)
    )


@login_required
@require_POST
def reservations_lift(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _award_action(
        request,
        pk,
        lambda acting, award: services.reservations_lift(
            actor=request.user, organisation=acting, award=award
        ),
        _("The suspensive reservations have been lifted."),
    )


@login_required
@require_POST
def audit_open(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def run(acting, award):
        reports = list(
            NonConformityReport.objects.filter(award=award, pk__in=request.POST.getlist("reports"))
        )
        return services.audit_open(
            actor=request.user,
            organisation=acting,
            award=award,
            scope=request.POST.get("scope", ""),
            starts_on=_date(request.POST.get("starts_on")),
            ends_on=_date(request.POST.get("ends_on")),
            reports=reports,
        )

    return _award_action(request, pk, run, _("The audit has been opened."))


@login_required
@require_POST
def audit_close(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    acting = acting_organisation(request)
    audit = get_object_or_404(
        Audit.objects.filter(award__dossier__in=selectors.dossiers_visible_to(acting)), pk=pk
    )
    require_perm(request.user, "referencing.instruct_dossier", acting)
    return _post_action(
        request,
        lambda: services.audit_close(
            actor=request.user,
            organisation=acting,
            audit=audit,
            findings=request.POST.get("findings", ""),
            report=request.POST.get("report", ""),
            outcome=request.POST.get("outcome", ""),
            reason=request.POST.get("reason", ""),
        ),
        _("The audit has been closed."),
        redirect("referencing:award", pk=audit.award_id),
    )


# --- Public: the register and the attestations ---------------------------------------------------------


def register_page(request: HttpRequest) -> HttpResponse:
    return render(
        request, "referencing/register.html", {"rows": register.register_rows(), "schema": register.SCHEMA}
    )


def register_csv(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        register.register_csv(request.build_absolute_uri("/")), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="registre-referencement.csv"'
    return response


def register_json(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        register.register_json(request.build_absolute_uri("/")), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="registre-referencement.json"'
    return response


def register_schema(request: HttpRequest) -> HttpResponse:
    return HttpResponse(register.schema_json(), content_type="application/schema+json")


def attestation(request: HttpRequest, code: str) -> HttpResponse:
    award = selectors.get_award_by_code_or_404(code)
    return render(request, "referencing/attestation.html", register.attestation_context(award, request))


def attestation_pdf(request: HttpRequest, code: str) -> HttpResponse:
    award = selectors.get_award_by_code_or_404(code)
    html = render(
        request, "referencing/attestation_pdf.html", register.attestation_context(award, request)
    ).content.decode()
    response = HttpResponse(
        html_to_pdf(html, base_url=request.build_absolute_uri("/")), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="attestation-{award.verification_code}.pdf"'
    return response


@login_required
def nonconformity_report(request: AuthenticatedRequest, code: str) -> HttpResponse:
    award = selectors.get_award_by_code_or_404(code)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            services.nonconformity_report(
                actor=request.user, award=award, description=request.POST.get("description", "")
            )
        except ValidationError as error:
            errors = _errors(error)
        else:
            messages.success(request, _("Thank you: your report has been sent to the agency."))
            return redirect("referencing:attestation", code=award.verification_code)
    return render(
        request,
        "referencing/nonconformity_report.html",
        {"award": award, "errors": errors, "description": request.POST.get("description", "")},
        status=422 if errors else 200,
    )
