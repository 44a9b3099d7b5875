"""Writes of referencing: keyword-only, transactional, permission first (`rules`), then the
rules (`checks`), then the write; `ValidationError` (keyed by field or file path) or
`PermissionDenied`, nothing half-written."""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NoReturn

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from convergence.catalog.enums import SubjectKind
from convergence.catalog.models import Subject
from convergence.notifications.enums import NotificationEvent
from convergence.notifications.services import notify_event
from convergence.organisations.enums import OrganisationKind
from convergence.organisations.models import Organisation, User
from convergence.organisations.rules import ActingOn, require_perm
from convergence.referential.models import Referential

from . import checks
from .enums import (
    FAVOURABLE_OPINIONS,
    AuditOutcome,
    AuditStatus,
    AwardState,
    AwardStatus,
    DossierStatus,
    Opinion,
    ProgrammeScope,
    ProgrammeStatus,
)
from .models import (
    Audit,
    Award,
    AwardReminder,
    CommissionMeeting,
    CommissionOpinion,
    ComplementRequest,
    Dossier,
    EligibilityQuestion,
    Finding,
    NonConformityReport,
    Programme,
    Requirement,
)
from .requirements import current_assessment, requirement_rows
from .schema import (
    AppliesIf,
    ProgrammeDoc,
    ProgrammeFileError,
    QuestionDoc,
    RequirementDoc,
    document_hash,
    programme_document_dump,
    programme_document_parse,
)

MANAGE_REFUSED = _("Only the agency's analysts, acting for the agency, manage referencing programmes.")


@dataclass(frozen=True)
class ProgrammeImportResult:
    programme: Programme
    created: bool  # False: the same content as the latest version, nothing written


def _edition_codes(referential: Referential, scope: str) -> tuple[set[str], set[str]]:
    axes = set(referential.axes.values_list("code", flat=True))
    if scope == ProgrammeScope.SERVICES:
        eligible = set(referential.service_types.values_list("code", flat=True))
    else:
        eligible = set(referential.product_categories.values_list("code", flat=True))
    return axes, eligible


@transaction.atomic
def programme_import(
    *, actor: User | None, organisation: Organisation | None, source: str | bytes
) -> ProgrammeImportResult:
    """Create a programme, or a new version of it, from its YAML file (see `schema`). A file equal
    to the latest version changes nothing. `actor=None`: a command, whose caller checked."""
    if actor is not None:
        require_perm(actor, "referencing.manage_programme", organisation, message=MANAGE_REFUSED)
    try:
        doc = programme_document_parse(source)
    except ProgrammeFileError as error:
        raise ValidationError({"file": error.problems}) from None
    referential = Referential.objects.filter(code=doc.referential).first()
    axes, eligible = _edition_codes(referential, doc.scope) if referential else (set(), set())
    scale = (referential.scale_min, referential.scale_max) if referential else (0, 3)
    problems = checks.programme_problems(
        doc, referential_exists=referential is not None, axis_codes=axes, eligible_codes=eligible, scale=scale
    )
    if problems or referential is None:
        raise ValidationError({"file": [str(p) for p in problems]})
    digest = document_hash(doc)
    latest = Programme.objects.select_for_update().filter(code=doc.code).order_by("-version").first()
    if latest is not None and latest.content_hash == digest:
        return ProgrammeImportResult(latest, created=False)
    version = (Programme.objects.filter(code=doc.code).aggregate(v=Max("version"))["v"] or 0) + 1
    programme = Programme.objects.create(
        code=doc.code,
        version=version,
        title=doc.title,
        description=doc.description,
        referential=referential,
        scope=doc.scope,
        eligible_codes=doc.eligible,
        opens_on=doc.opens_on,
        closes_on=doc.closes_on,
        validity_months=doc.validity_months,
        charter=doc.charter,
        content_hash=digest,
    )
    EligibilityQuestion.objects.bulk_create(
        EligibilityQuestion(programme=programme, code=q.code, text=q.text, position=i)
        for i, q in enumerate(doc.questions)
    )
    Requirement.objects.bulk_create(
        Requirement(
            programme=programme,
            code=r.code,
            title=r.title,
            position=i,
            minimum_levels=r.minimum_levels,
            evidence_on=r.evidence_on,
            charter=r.charter,
            applies_if_question=r.applies_if.question if r.applies_if else "",
            applies_if_answer=r.applies_if.answer if r.applies_if else True,
        )
        for i, r in enumerate(doc.requirements)
    )
    return ProgrammeImportResult(programme, created=True)


def programme_document(programme: Programme) -> ProgrammeDoc:
    return ProgrammeDoc(
        code=programme.code,
        title=programme.title,
        description=programme.description,
        referential=programme.referential.code,
        scope=programme.scope,
        eligible=list(programme.eligible_codes),
        opens_on=programme.opens_on,
        closes_on=programme.closes_on,
        validity_months=programme.validity_months,
        charter=programme.charter,
        questions=[QuestionDoc(code=q.code, text=q.text) for q in programme.questions.order_by("position")],
        requirements=[
            RequirementDoc(
                code=r.code,
                title=r.title,
                minimum_levels=r.minimum_levels,
                evidence_on=r.evidence_on,
                charter=r.charter,
                applies_if=AppliesIf(question=r.applies_if_question, answer=r.applies_if_answer)
                if r.applies_if_question
                else None,
            )
            for r in programme.requirements.order_by("position")
        ],
    )


def programme_export(programme: Programme) -> str:
    """The programme as its YAML file: importing it again changes nothing."""
    return programme_document_dump(programme_document(programme))


@transaction.atomic
def programme_publish(
    *, actor: User | None, organisation: Organisation | None, programme: Programme
) -> Programme:
    """Publish a draft version: vendors may apply to it; the previously published version of the
    same code is archived (its dossiers keep reading it)."""
    if actor is not None:
        require_perm(actor, "referencing.manage_programme", organisation, message=MANAGE_REFUSED)
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    if programme.status != ProgrammeStatus.DRAFT:
        raise ValidationError(_("Only a draft version can be published."))
    for previous in Programme.objects.filter(code=programme.code, status=ProgrammeStatus.PUBLISHED):
        previous.status = ProgrammeStatus.ARCHIVED
        previous.save(update_fields=["status", "updated_at"])
    programme.status = ProgrammeStatus.PUBLISHED
    programme.save(update_fields=["status", "updated_at"])
    return programme


# --- Dossiers ----------------------------------------------------------------------------------------

INSTRUCTION_DAYS = 30  # the instruction's target, from submission or from the complements' answer


def _today(today: datetime.date | None) -> datetime.date:
    return today or timezone.localdate()


def _refuse(message: str, field: str = "__all__") -> NoReturn:
    raise ValidationError({field: [message]})


def _require_status(dossier: Dossier, *statuses: str) -> None:
    if dossier.status not in statuses:
        _refuse(
            _("This cannot be done on a dossier that is “%(status)s”.")
            % {"status": dossier.get_status_display()}
        )


def _lock(dossier: Dossier) -> Dossier:
    return (
        Dossier.objects.select_for_update()
        .select_related("programme", "subject__organisation")
        .get(pk=dossier.pk)
    )


def _notify(event: str, dossier: Dossier, actor: User | None, **kwargs) -> None:
    notify_event(event=event, about=dossier, actor=actor, link=("referencing:dossier", dossier.pk), **kwargs)


@transaction.atomic
def dossier_create(
    *, actor: User, programme: Programme, subject: Subject, today: datetime.date | None = None
) -> Dossier:
    """A vendor's account manager applies for one product to one programme (a draft dossier)."""
    require_perm(
        actor,
        "referencing.apply",
        subject,
        message=_("Only an account manager of the product's organisation may apply."),
    )
    today = _today(today)
    if programme.status != ProgrammeStatus.PUBLISHED:
        _refuse(_("This programme version is not open to applications."), "programme")
    if today < programme.opens_on:
        _refuse(
            _("Applications open on %(date)s.") % {"date": formats.date_format(programme.opens_on)},
            "programme",
        )
    if today > programme.closes_on:
        _refuse(
            _("Applications closed on %(date)s.") % {"date": formats.date_format(programme.closes_on)},
            "programme",
        )
    expected_kind = SubjectKind.SERVICE if programme.scope == ProgrammeScope.SERVICES else SubjectKind.PRODUCT
    if subject.kind != expected_kind or subject.type_or_category not in programme.eligible_codes:
        _refuse(
            _("“%(name)s” is not eligible to this programme (its category or type is not listed).")
            % {"name": subject.name},
            "subject",
        )
    if Dossier.objects.filter(programme=programme, subject=subject).exists():
        _refuse(_("“%(name)s” has already applied to this programme.") % {"name": subject.name}, "subject")
    return Dossier.objects.create(programme=programme, subject=subject, created_by=actor)


@transaction.atomic
def dossier_update(
    *,
    actor: User,
    dossier: Dossier,
    answers: Mapping[str, bool | None],
    explanations: Mapping[str, str],
    accept_charter: bool,
) -> Dossier:
    """The vendor's answers to the eligibility questions, its explanations of unmet
    requirements and its acceptance of the charter (a draft, or while complements are asked)."""
    require_perm(actor, "referencing.change_dossier", dossier)
    dossier = _lock(dossier)
    _require_status(dossier, DossierStatus.DRAFT, DossierStatus.COMPLEMENTS)
    questions = set(dossier.programme.questions.values_list("code", flat=True))
    requirements = set(dossier.programme.requirements.values_list("code", flat=True))
    unknown = (set(answers) - questions) | (set(explanations) - requirements)
    if unknown:
        _refuse(_("Unknown question or requirement: %(codes)s.") % {"codes": ", ".join(sorted(unknown))})
    dossier.eligibility_answers = {code: value for code, value in answers.items() if value is not None}
    dossier.explanations = {
        code: text.strip() for code, text in explanations.items() if text and text.strip()
    }
    if accept_charter and dossier.charter_accepted_at is None:
        dossier.charter_accepted_at, dossier.charter_accepted_by = timezone.now(), actor
    elif not accept_charter:
        dossier.charter_accepted_at, dossier.charter_accepted_by = None, None
    dossier.save()
    return dossier


@transaction.atomic
def dossier_submit(*, actor: User, dossier: Dossier, today: datetime.date | None = None) -> Dossier:
    """Submit a draft: every question answered, every applicable requirement met or explained,
    before the programme closes. The current validated assessment is pulled in."""
    require_perm(actor, "referencing.change_dossier", dossier)
    dossier = _lock(dossier)
    _require_status(dossier, DossierStatus.DRAFT)
    today = _today(today)
    if today > dossier.programme.closes_on:
        _refuse(
            _("Applications closed on %(date)s.") % {"date": formats.date_format(dossier.programme.closes_on)}
        )
    unanswered = [
        q.code for q in dossier.programme.questions.all() if q.code not in dossier.eligibility_answers
    ]
    if unanswered:
        _refuse(
            _("Answer every eligibility question first: %(codes)s.") % {"codes": ", ".join(unanswered)},
            "answers",
        )
    assessment = current_assessment(dossier.subject, dossier.programme)
    rows = requirement_rows(dossier, assessment=assessment)
    unexplained = {
        f"explanation-{row.requirement.code}": [
            _("Requirement %(code)s is not met (%(gaps)s): meet it or explain why.")
            % {"code": row.requirement.code, "gaps": " ".join(gap.message for gap in row.gaps)}
        ]
        for row in rows
        if row.applies and row.gaps and not row.explained
    }
    if unexplained:
        raise ValidationError(unexplained)
    dossier.assessment = assessment
    dossier.status = DossierStatus.SUBMITTED
    dossier.submitted_at = timezone.now()
    dossier.due_on = today + datetime.timedelta(days=INSTRUCTION_DAYS)
    dossier.save()
    _notify(NotificationEvent.DOSSIER_SUBMITTED, dossier, actor, agency_reviewers=True)
    return dossier


def _check_instructor(actor: User, organisation: Organisation | None) -> None:
    require_perm(
        actor,
        "referencing.instruct_dossier",
        organisation,
        message=_("Only the agency's analysts, acting for the agency, instruct referencing dossiers."),
    )


@transaction.atomic
def dossier_assign_referent(
    *, actor: User, organisation: Organisation | None, dossier: Dossier, referent: User
) -> Dossier:
    _check_instructor(actor, organisation)
    dossier = _lock(dossier)
    if not referent.memberships.filter(
        organisation__kind=OrganisationKind.AGENCY, organisation__is_active=True
    ).exists():
        _refuse(_("The referent must be a member of the agency."), "referent")
    _require_status(
        dossier,
        DossierStatus.SUBMITTED,
        DossierStatus.INSTRUCTION,
        DossierStatus.COMPLEMENTS,
        DossierStatus.COMMISSION,
    )
    dossier.referent = referent
    dossier.save()
    _notify(NotificationEvent.DOSSIER_INSTRUCTION, dossier, actor, organisations=[], users=[referent])
    return dossier


@transaction.atomic
def dossier_start_instruction(*, actor: User, organisation: Organisation | None, dossier: Dossier) -> Dossier:
    _check_instructor(actor, organisation)
    dossier = _lock(dossier)
    _require_status(dossier, DossierStatus.SUBMITTED)
    if dossier.referent_id is None:
        _refuse(_("Assign a referent before starting the instruction."), "referent")
    dossier.status = DossierStatus.INSTRUCTION
    dossier.save()
    _notify(NotificationEvent.DOSSIER_INSTRUCTION, dossier, actor)
    return dossier


@transaction.atomic
def finding_record(
    *,
    actor: User,
    organisation: Organisation | None,
    dossier: Dossier,
    requirement: Requirement,
    met: bool,
    comment: str = "",
) -> Finding:
    _check_instructor(actor, organisation)
    dossier = _lock(dossier)
    _require_status(dossier, DossierStatus.INSTRUCTION, DossierStatus.COMPLEMENTS)
    if requirement.programme_id != dossier.programme_id:
        _refuse(_("This requirement is not one of the dossier's programme."), "requirement")
    if not met and not comment.strip():
        _refuse(_("Say what is missing: the vendor will read it."), "comment")
    finding, _created = Finding.objects.update_or_create(
        dossier=dossier,
        requirement=requirement,
        defaults={"met": met, "comment": comment.strip(), "recorded_by": actor},
    )
    return finding


@transaction.atomic
def complements_request(
    *,
    actor: User,
    organisation: Organisation | None,
    dossier: Dossier,
    message: str,
    due_on: datetime.date | None,
    today: datetime.date | None = None,
) -> ComplementRequest:
    _check_instructor(actor, organisation)
    dossier = _lock(dossier)
    _require_status(dossier, DossierStatus.INSTRUCTION)
    message = (message or "").strip()
    errors: dict[str, list[str]] = {}
    if not message:
        errors["message"] = [_("Say which complements you expect: the vendor will read it.")]
    if due_on is None or due_on <= _today(today):
        errors["due_on"] = [_("Give a due date after today.")]
    if errors or due_on is None:
        raise ValidationError(errors)
    request = ComplementRequest.objects.create(
        dossier=dossier, message=message, due_on=due_on, requested_by=actor
    )
    dossier.status = DossierStatus.COMPLEMENTS
    dossier.due_on = due_on
    dossier.save()
    _notify(NotificationEvent.COMPLEMENTS_REQUESTED, dossier, actor, message=message)
    return request


@transaction.atomic
def complements_answer(
    *, actor: User, dossier: Dossier, answer: str, today: datetime.date | None = None
) -> Dossier:
    """The vendor answers the open request; the instruction's clock restarts from today."""
    require_perm(actor, "referencing.change_dossier", dossier)
    dossier = _lock(dossier)
    _require_status(dossier, DossierStatus.COMPLEMENTS)
    answer = (answer or "").strip()
    if not answer:
        _refuse(_("Write your answer to the request."), "answer")
    request = dossier.complement_requests.filter(answered_at__isnull=True).order_by("-requested_at").first()
    if request is not None:
        request.answer, request.answered_by, request.answered_at = answer, actor, timezone.now()
        request.save()
    dossier.status = DossierStatus.INSTRUCTION
    dossier.due_on = _today(today) + datetime.timedelta(days=INSTRUCTION_DAYS)
    dossier.save()
    _notify(
        NotificationEvent.COMPLEMENTS_ANSWERED,
        dossier,
        actor,
        organisations=[],
        users=[dossier.referent],
        agency_reviewers=dossier.referent_id is None,
    )
    return dossier


# --- Commission ----------------------------------------------------------------------------------------


@transaction.atomic
def meeting_create(
    *, actor: User, organisation: Organisation | None, title: str, held_on: datetime.date, members: list[User]
) -> CommissionMeeting:
    _check_instructor(actor, organisation)
    errors: dict[str, list[str]] = {}
    if not (title or "").strip():
        errors["title"] = [_("Give the meeting a title.")]
    if not members:
        errors["members"] = [_("Name the commission's members.")]
    if errors:
        raise ValidationError(errors)
    meeting = CommissionMeeting.objects.create(title=title.strip(), held_on=held_on)
    meeting.members.set(members)
    return meeting


@transaction.atomic
def dossier_to_commission(
    *, actor: User, organisation: Organisation | None, dossier: Dossier, meeting: CommissionMeeting
) -> Dossier:
    """Put an instructed dossier on a meeting's agenda: every applicable requirement has a finding."""
    _check_instructor(actor, organisation)
    dossier = _lock(dossier)
    _require_status(dossier, DossierStatus.INSTRUCTION)
    missing = [
        row.requirement.code for row in requirement_rows(dossier) if row.applies and row.finding is None
    ]
    if missing:
        _refuse(
            _("Record a finding on every applicable requirement first: %(codes)s.")
            % {"codes": ", ".join(missing)}
        )
    meeting.dossiers.add(dossier)
    dossier.status = DossierStatus.COMMISSION
    dossier.due_on = meeting.held_on
    dossier.save()
    _notify(NotificationEvent.DOSSIER_COMMISSION, dossier, actor)
    return dossier


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@transaction.atomic
def opinion_record(
    *,
    actor: User,
    organisation: Organisation | None,
    meeting: CommissionMeeting,
    dossier: Dossier,
    opinion: str,
    reservations: str = "",
    reservations_due_on: datetime.date | None = None,
    today: datetime.date | None = None,
) -> CommissionOpinion:
    """The commission's one opinion on a dossier of its agenda; a favourable one creates the award
    (from today, for the programme's validity, tied to the product's version)."""
    require_perm(
        actor,
        "referencing.record_opinion",
        ActingOn(organisation, meeting),
        message=_("Only a member of this commission meeting, acting for the agency, records its opinions."),
    )
    dossier = _lock(dossier)
    if not meeting.dossiers.filter(pk=dossier.pk).exists():
        _refuse(_("This dossier is not on this meeting's agenda."))
    if CommissionOpinion.objects.filter(dossier=dossier).exists():
        _refuse(_("The commission has already given its opinion on this dossier."), "opinion")
    _require_status(dossier, DossierStatus.COMMISSION)
    today = _today(today)
    reservations = (reservations or "").strip()
    errors: dict[str, list[str]] = {}
    if opinion not in Opinion.values:
        errors["opinion"] = [_("Choose one of the four opinions.")]
    if opinion in (Opinion.RESERVATIONS, Opinion.SUSPENSIVE) and not reservations:
        errors["reservations"] = [_("Write the reservations.")]
    if opinion == Opinion.SUSPENSIVE and (reservations_due_on is None or reservations_due_on <= today):
        errors["reservations_due_on"] = [
            _("Give the date by which the suspensive reservations must be lifted (after today).")
        ]
    if errors:
        raise ValidationError(errors)
    record = CommissionOpinion.objects.create(
        dossier=dossier,
        meeting=meeting,
        opinion=opinion,
        reservations=reservations,
        reservations_due_on=reservations_due_on if opinion == Opinion.SUSPENSIVE else None,
        recorded_by=actor,
    )
    dossier.status = DossierStatus.DECIDED
    dossier.due_on = record.reservations_due_on
    dossier.save()
    if opinion in FAVOURABLE_OPINIONS:
        Award.objects.create(
            dossier=dossier,
            product_version=dossier.subject.version,
            referential=dossier.programme.referential,
            starts_on=today,
            ends_on=_add_months(today, dossier.programme.validity_months) - datetime.timedelta(days=1),
            reservations_due_on=record.reservations_due_on,
        )
    _notify(
        NotificationEvent.DECISION,
        dossier,
        actor,
        message=f"{record.get_opinion_display()}. {reservations}".strip(),
    )
    return record


# --- Awards and audits -------------------------------------------------------------------------------


def _lock_award(award: Award) -> Award:
    return (
        Award.objects.select_for_update()
        .select_related("dossier__subject__organisation", "dossier__programme")
        .get(pk=award.pk)
    )


def _notify_award(event: str, award: Award, actor: User | None, **kwargs) -> None:
    notify_event(
        event=event,
        about=award.dossier,
        actor=actor,
        link=("referencing:dossier", award.dossier_id),
        **kwargs,
    )


@transaction.atomic
def reservations_lift(
    *, actor: User, organisation: Organisation | None, award: Award, today: datetime.date | None = None
) -> Award:
    _check_instructor(actor, organisation)
    award = _lock_award(award)
    if award.reservations_due_on is None or award.reservations_lifted_at is not None:
        _refuse(_("This award has no suspensive reservations to lift."))
    if award.state(_today(today)) != AwardState.VALID_RESERVATIONS:
        _refuse(
            _("This award can no longer be confirmed: %(state)s.")
            % {"state": award.state(_today(today)).label}
        )
    award.reservations_lifted_at = timezone.now()
    award.save()
    _notify_award(NotificationEvent.RESERVATIONS_LIFTED, award, actor)
    return award


@transaction.atomic
def nonconformity_report(*, actor: User, award: Award, description: str) -> NonConformityReport:
    require_perm(actor, "referencing.report_nonconformity", award)
    description = (description or "").strip()
    if len(description) < 10:
        _refuse(_("Describe the non-conformity (at least 10 characters)."), "description")
    report = NonConformityReport.objects.create(award=award, reporter=actor, description=description)
    notify_event(
        event=NotificationEvent.NONCONFORMITY_REPORTED,
        about=award.dossier,
        actor=actor,
        message=description,
        link=("referencing:award", award.pk),
        organisations=[],
        agency_reviewers=True,
    )
    return report


@transaction.atomic
def audit_open(
    *,
    actor: User,
    organisation: Organisation | None,
    award: Award,
    scope: str,
    starts_on: datetime.date | None,
    ends_on: datetime.date | None,
    reports: list[NonConformityReport] = (),  # type: ignore[assignment]
) -> Audit:
    """An audit plan (scope and dates) of an award, answering the given reports if any."""
    _check_instructor(actor, organisation)
    award = _lock_award(award)
    errors: dict[str, list[str]] = {}
    if not (scope or "").strip():
        errors["scope"] = [_("Give the audit's scope.")]
    if starts_on is None or ends_on is None or ends_on < starts_on:
        errors["ends_on"] = [_("Give the audit's dates (the end on or after the start).")]
    if any(report.award_id != award.pk for report in reports):
        errors["reports"] = [_("A report concerns another award.")]
    if errors or starts_on is None or ends_on is None:
        raise ValidationError(errors)
    audit = Audit.objects.create(
        award=award, scope=scope.strip(), starts_on=starts_on, ends_on=ends_on, opened_by=actor
    )
    NonConformityReport.objects.filter(pk__in=[r.pk for r in reports]).update(audit=audit)
    _notify_award(NotificationEvent.AUDIT_OPENED, award, actor, message=audit.scope)
    return audit


@transaction.atomic
def audit_close(
    *,
    actor: User,
    organisation: Organisation | None,
    audit: Audit,
    findings: str,
    report: str,
    outcome: str,
    reason: str = "",
) -> Audit:
    """Close an audit with its findings and report; its outcome may suspend or withdraw the
    award (with the reason the attestation page then shows)."""
    _check_instructor(actor, organisation)
    audit = Audit.objects.select_for_update().get(pk=audit.pk)
    if audit.status != AuditStatus.OPEN:
        _refuse(_("This audit is already closed."))
    errors: dict[str, list[str]] = {}
    if not (report or "").strip():
        errors["report"] = [_("Write the audit report.")]
    if outcome not in AuditOutcome.values:
        errors["outcome"] = [_("Choose the audit's outcome.")]
    if outcome in (AuditOutcome.SUSPENDED, AuditOutcome.WITHDRAWN) and not (reason or "").strip():
        errors["reason"] = [_("Give the reason: it is shown on the public attestation.")]
    if errors:
        raise ValidationError(errors)
    audit.findings, audit.report, audit.outcome = findings.strip(), report.strip(), outcome
    audit.status, audit.closed_at = AuditStatus.CLOSED, timezone.now()
    audit.save()
    if outcome != AuditOutcome.NONE:
        award = _lock_award(audit.award)
        if award.status == AwardStatus.WITHDRAWN:
            _refuse(_("The award is already withdrawn."))
        award.status = AwardStatus.SUSPENDED if outcome == AuditOutcome.SUSPENDED else AwardStatus.WITHDRAWN
        award.status_reason, award.status_changed_at = reason.strip(), timezone.now()
        award.save()
        event = (
            NotificationEvent.AWARD_SUSPENDED
            if outcome == AuditOutcome.SUSPENDED
            else NotificationEvent.AWARD_WITHDRAWN
        )
        _notify_award(event, award, actor, message=award.status_reason)
    return audit


def awards_flag_for_review(
    *, subject: Subject | None = None, referential: Referential | None = None, reason: str
) -> int:
    """Flag for review the active awards of a subject whose version changed, or of an older
    edition than a newly published one (called by the signal receivers of `apps`)."""
    awards = Award.objects.filter(status=AwardStatus.ACTIVE, needs_review=False)
    if subject is not None:
        awards = awards.filter(dossier__subject=subject)
    if referential is not None:
        awards = awards.exclude(referential=referential).filter(
            referential__published_on__lt=referential.published_on
        )
    return awards.update(needs_review=True, review_reason=reason[:300])


EXPIRY_REMINDER_DAYS = (60, 30, 7)
RESERVATIONS_REMINDER_DAYS = (7,)


def reminders_send(*, today: datetime.date | None = None) -> int:
    """Tell each awarded organisation that its award expires in 60, 30 or 7 days, or that its
    suspensive reservations are due in 7 days; each reminder once (`AwardReminder`). Returns the
    number of reminders sent. Run daily (`convergence referencing_reminders`)."""
    today = _today(today)
    sent = 0
    due: list[tuple[Award, str, int]] = []
    active = Award.objects.filter(status=AwardStatus.ACTIVE).select_related(
        "dossier__subject__organisation", "dossier__programme"
    )
    for days in EXPIRY_REMINDER_DAYS:
        due += [
            (a, NotificationEvent.AWARD_EXPIRING, days)
            for a in active.filter(ends_on=today + datetime.timedelta(days=days))
        ]
    for days in RESERVATIONS_REMINDER_DAYS:
        due += [
            (a, NotificationEvent.RESERVATIONS_DUE, days)
            for a in active.filter(
                reservations_due_on=today + datetime.timedelta(days=days), reservations_lifted_at__isnull=True
            )
        ]
    for award, event, days in due:
        with transaction.atomic():
            _reminder, created = AwardReminder.objects.get_or_create(
                award=award, event=event, days_before=days, defaults={"sent_on": today}
            )
            if not created:
                continue
            date = award.reservations_due_on if event == NotificationEvent.RESERVATIONS_DUE else None
            date = date or award.ends_on
            _notify_award(
                event,
                award,
                None,
                message=_("In %(days)s days, on %(date)s.")
                % {"days": days, "date": formats.date_format(date)},
            )
            sent += 1
    return sent
