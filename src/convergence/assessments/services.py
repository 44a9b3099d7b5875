"""Writes on assessments: answers, evidence, and the review workflow.

Workflow: draft → submitted (by the organisation) → validated, or returned with a reason (by the
agency) → submitted again. Only draft and returned assessments can be changed by the
organisation (`EDITABLE_STATUSES`), and only while their campaign is open: a closed campaign is
frozen (the agency may still validate a submitted assessment). The state rules are the pure
functions of `checks` (`write_problems`, `missing_axes`), which the bulk importer calls too.

Every service takes the acting user and checks its permission (`assessments.rules`) before
anything else; `user=None` is for imports and commands, whose callers checked it.

Optimistic concurrency: every write names the `version` of the assessment it was based on.
The first statement of each write is ``UPDATE assessment SET version = version + 1 WHERE id = ?
AND version = ?``; if no row changed, someone else wrote meanwhile and the write is refused with
`AssessmentConflict` (nothing is overwritten). The UPDATE also takes the row lock, so two
concurrent writers are serialised and exactly one of them wins.
"""

from __future__ import annotations

import datetime
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from convergence.notifications.services import notify_event
from convergence.organisations.models import Organisation, User
from convergence.organisations.rules import require_perm
from convergence.organisations.selectors import agency_reviewers

from . import checks
from .checks import Write
from .enums import AssessmentStatus, CommentSide
from .models import (
    Answer,
    AnswerBlocker,
    AnswerDraft,
    Assessment,
    AxisComment,
    Campaign,
    Evidence,
    Milestone,
    ReviewAssignment,
)
from .validation import AnswerInput, Problem, ReferentialContext, answer_problems


class AssessmentError(Exception):
    """A write refused for a reason the user can act on; `str(error)` is the message to show."""


class AssessmentConflict(AssessmentError):
    def __init__(self) -> None:
        super().__init__(
            _(
                "This assessment was changed by someone else since you opened it. Your changes were "
                "not saved: reload the page to see the current answers, then enter your changes again."
            )
        )


class AssessmentReadOnly(AssessmentError):
    """The campaign's state or the assessment's status forbids changing its answers
    (`checks.write_problems`): a closed campaign is frozen, a submitted assessment is read-only."""

    def __init__(self, problems: Sequence[checks.Problem]) -> None:
        self.problems = list(problems)
        super().__init__(" ".join(problem.message for problem in self.problems))


class AnswerInvalid(AssessmentError):
    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class SubmissionIncomplete(AssessmentError):
    """Some applicable axes have no answer; `missing` holds their codes, in referential order."""

    def __init__(self, missing: Sequence[str]) -> None:
        self.missing = list(missing)
        super().__init__(
            _("Answer every axis before submitting. Not answered yet: %(axes)s.")
            % {"axes": ", ".join(self.missing)}
        )


class TransitionRefused(AssessmentError):
    """A review decision the state does not allow, or without its reason."""


class EvidenceRefused(AssessmentError):
    pass


def _state_refusal(problems: Sequence[checks.Problem], write: Write) -> AssessmentError:
    if write in (Write.ANSWER, Write.SUBMIT):
        return AssessmentReadOnly(problems)
    return TransitionRefused(" ".join(problem.message for problem in problems))


def _check_state(assessment: Assessment, write: Write) -> None:
    """The state rule on the rows as loaded (the claim below checks them again, locked)."""
    campaign = assessment.campaign
    problems = checks.write_problems(
        campaign_status=campaign.status,
        assessment_status=assessment.status,
        write=write,
        campaign_code=campaign.code,
    )
    if problems:
        raise _state_refusal(problems, write)


def _claim_version(assessment: Assessment, *, expected_version: int, write: Write) -> None:
    """Bump the version if it is still `expected_version` and the assessment's status and its
    campaign's state still allow the write; otherwise raise the error that explains why. Must run
    inside a transaction."""
    # The campaign's state is a subquery on `campaign_id`, not a join: with a join Django would
    # move every condition into an `id IN (SELECT ...)` whose snapshot PostgreSQL does not
    # re-check after waiting for the row lock, and two writers on the same version would win.
    open_campaigns = Campaign.objects.filter(status__in=checks.CAMPAIGN_STATES[write]).values("pk")
    updated = Assessment.objects.filter(
        pk=assessment.pk,
        version=expected_version,
        status__in=checks.ASSESSMENT_STATUSES[write],
        campaign_id__in=open_campaigns,
    ).update(version=F("version") + 1, updated_at=timezone.now())
    if updated:
        # A closing that committed while this UPDATE waited for the row lock is invisible to its
        # subquery (taken before); this new statement sees it. `campaign_close` locks the
        # campaign's assessments before changing its state, so a write is either before the
        # closing (and in its report) or refused (and rolled back).
        state = Campaign.objects.filter(pk=assessment.campaign_id).values_list("status", "code").first()
        if state is not None and state[0] not in checks.CAMPAIGN_STATES[write]:
            raise _state_refusal(
                checks.campaign_state_problems(state[0], write=write, campaign_code=state[1]), write
            )
        assessment.version = expected_version + 1
        return
    current = (
        Assessment.objects.filter(pk=assessment.pk)
        .values("version", "status", "campaign__status", "campaign__code")
        .first()
    )
    if current is None or current["version"] != expected_version:
        raise AssessmentConflict
    problems = checks.write_problems(
        campaign_status=current["campaign__status"],
        assessment_status=current["status"],
        write=write,
        campaign_code=current["campaign__code"],
    )
    raise _state_refusal(problems, write) if problems else AssessmentConflict


def _check(user: User | None, perm: str, obj: object) -> None:
    # Imports and commands run without a user: their callers checked the permission.
    if user is not None:
        require_perm(user, perm, obj)


# --- Answers --------------------------------------------------------------------------------------


@transaction.atomic
def answer_save(
    *,
    assessment: Assessment,
    answer: AnswerInput,
    expected_version: int,
    user: User | None,
    context: ReferentialContext | None = None,
    today: datetime.date | None = None,
) -> Answer:
    """Create or replace the answer on one axis (level or not applicable, comment, the whole
    trajectory and the whole set of blockers). Raises AnswerInvalid, AssessmentReadOnly,
    AssessmentConflict."""
    _check(user, "assessments.change_assessment", assessment)
    _check_state(assessment, Write.ANSWER)
    context = context or ReferentialContext.from_referential(assessment.campaign.referential)
    subject = assessment.subject
    problems = answer_problems(
        answer,
        context=context,
        subject_kind=subject.kind,
        type_or_category=subject.type_or_category,
        today=today,
    )
    if problems:
        raise AnswerInvalid(problems)
    _claim_version(assessment, expected_version=expected_version, write=Write.ANSWER)

    axis_id = context.axes[answer.axis].id
    saved, _created = Answer.objects.update_or_create(
        assessment=assessment,
        axis_id=axis_id,
        defaults={
            "level": None if answer.not_applicable else answer.level,
            "not_applicable": answer.not_applicable,
            "not_applicable_reason": answer.not_applicable_reason.strip() if answer.not_applicable else "",
            "comment": answer.comment.strip(),
            # The declarant looked at the axis again: a carried-over answer is re-checked.
            "needs_recheck": False,
        },
    )
    saved.milestones.all().delete()
    Milestone.objects.bulk_create(
        Milestone(answer=saved, level=m.level, due_on=_date(m.due_on)) for m in answer.milestones
    )
    saved.answer_blockers.all().delete()
    AnswerBlocker.objects.bulk_create(
        AnswerBlocker(answer=saved, category_id=context.blocker_codes[code]) for code in answer.blockers
    )
    return saved


def _date(value: object) -> datetime.date:
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value).strip())


# --- Evidence -------------------------------------------------------------------------------------

# What the content must be, whatever the file is called.
PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
EVIDENCE_EXTENSIONS = {
    PDF: "pdf",
    PNG: "png",
    JPEG: "jpg",
    DOCX: "docx",
    XLSX: "xlsx",
    ODT: "odt",
    ODS: "ods",
}


def evidence_content_type(uploaded: UploadedFile) -> str | None:
    """The type of an uploaded file read from its bytes (magic numbers, and for office documents
    the zip structure), or None when it is not an accepted type. The name is not trusted."""
    uploaded.seek(0)
    head = uploaded.read(16)
    uploaded.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if not head.startswith(b"PK\x03\x04"):
        return None
    try:
        # Only the central directory and the tiny "mimetype" entry are read: a zip bomb is never
        # inflated.
        with zipfile.ZipFile(uploaded) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size > 100:
                    return None
                mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
                return mimetype if mimetype in (ODT, ODS) else None
            if "[Content_Types].xml" in names:
                if "word/document.xml" in names:
                    return DOCX
                if "xl/workbook.xml" in names:
                    return XLSX
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        return None
    finally:
        uploaded.seek(0)
    return None


def evidence_size_message(size: int | None = None) -> str:
    # Numbers in the reader's language (decimal comma in French).
    limit_mb = number_format(settings.EVIDENCE_MAX_BYTES / (1024 * 1024), 0)
    if size is None:
        return _("The file is too large: evidence files are limited to %(limit)s MB.") % {"limit": limit_mb}
    return _("The file is too large (%(size)s MB): evidence files are limited to %(limit)s MB.") % {
        "size": number_format(size / (1024 * 1024), 1),
        "limit": limit_mb,
    }


@transaction.atomic
def evidence_add(
    *,
    assessment: Assessment,
    axis_code: str,
    uploaded: UploadedFile,
    expected_version: int,
    user: User | None,
    context: ReferentialContext | None = None,
) -> Evidence:
    """Attach a file to the answer on one axis (created empty if there is none yet)."""
    _check(user, "assessments.add_evidence", assessment)
    _check_state(assessment, Write.ANSWER)
    context = context or ReferentialContext.from_referential(assessment.campaign.referential)
    subject = assessment.subject
    if axis_code not in context.applicable_axes(subject.kind, subject.type_or_category):
        raise EvidenceRefused(_("Axis %(axis)s does not apply to this subject.") % {"axis": axis_code})
    content_type = evidence_check(uploaded)  # size, content, declared name (raises EvidenceRefused)
    _claim_version(assessment, expected_version=expected_version, write=Write.ANSWER)
    answer, _created = Answer.objects.get_or_create(assessment=assessment, axis_id=context.axes[axis_code].id)
    return _evidence_store(answer=answer, uploaded=uploaded, content_type=content_type, user=user)


@transaction.atomic
def evidence_delete(*, evidence: Evidence, expected_version: int, user: User | None) -> None:
    assessment = evidence.answer.assessment
    _check(user, "assessments.delete_evidence", evidence)
    _check_state(assessment, Write.ANSWER)
    _claim_version(assessment, expected_version=expected_version, write=Write.ANSWER)
    stored = evidence.file.name or ""
    storage = evidence.file.storage
    evidence.delete()
    # The file goes only once the row is gone for good.
    transaction.on_commit(lambda: storage.delete(stored))


# --- Workflow -------------------------------------------------------------------------------------


def assessment_missing_axes(assessment: Assessment, *, context: ReferentialContext) -> list[str]:
    """Codes of the applicable axes with neither a level nor "not applicable" (one query; the
    rule itself is `checks.missing_axes`, which the bulk importer calls on its records)."""
    subject = assessment.subject
    applicable = context.applicable_axes(subject.kind, subject.type_or_category)
    answered = set(
        assessment.answers.filter(Q(level__isnull=False) | Q(not_applicable=True)).values_list(
            "axis__code", flat=True
        )
    )
    return checks.missing_axes(applicable, answered)


def _save_transition(assessment: Assessment, **changes: object) -> Assessment:
    for name, value in changes.items():
        setattr(assessment, name, value)
    # save() (not a queryset update) so the audit history records the transition.
    assessment.save()
    return assessment


@transaction.atomic
def assessment_submit(
    *,
    assessment: Assessment,
    expected_version: int,
    user: User | None,
    context: ReferentialContext | None = None,
) -> Assessment:
    """Submit a draft, or resubmit a returned assessment. Every applicable axis must be answered."""
    _check(user, "assessments.submit_assessment", assessment)
    _check_state(assessment, Write.SUBMIT)
    context = context or ReferentialContext.from_referential(assessment.campaign.referential)
    missing = assessment_missing_axes(assessment, context=context)
    if missing:
        raise SubmissionIncomplete(missing)
    _claim_version(assessment, expected_version=expected_version, write=Write.SUBMIT)
    notify_event(
        event="assessment_submitted",
        about=assessment,
        actor=user,
        link=("assessments:questionnaire", assessment.pk),
        agency_reviewers=True,
    )
    return _save_transition(assessment, status=AssessmentStatus.SUBMITTED, submitted_at=timezone.now())


@transaction.atomic
def assessment_return(
    *,
    assessment: Assessment,
    reason: str,
    expected_version: int,
    user: User | None,
    organisation: Organisation | None = None,
) -> Assessment:
    """The agency sends a submitted assessment back for correction; the reason is required.
    `organisation`: the one the user acts for (reviewing needs the agency, `assessments.rules`)."""
    _check(user, "assessments.review_assessment", organisation)
    _check_state(assessment, Write.RETURN)
    reason = (reason or "").strip()
    if not reason:
        raise TransitionRefused(
            _("Give the reason for returning the assessment: the organisation will read it.")
        )
    _claim_version(assessment, expected_version=expected_version, write=Write.RETURN)
    notify_event(
        event="assessment_returned",
        about=assessment,
        actor=user,
        message=reason,
        link=("assessments:questionnaire", assessment.pk),
    )
    return _save_transition(
        assessment,
        status=AssessmentStatus.RETURNED,
        returned_reason=reason,
        reviewed_at=timezone.now(),
        reviewed_by=user,
    )


@transaction.atomic
def assessment_validate(
    *,
    assessment: Assessment,
    expected_version: int,
    user: User | None,
    organisation: Organisation | None = None,
) -> Assessment:
    """The agency accepts a submitted assessment. `organisation`: the one the user acts for."""
    _check(user, "assessments.review_assessment", organisation)
    _check_state(assessment, Write.VALIDATE)
    _claim_version(assessment, expected_version=expected_version, write=Write.VALIDATE)
    notify_event(
        event="assessment_validated", about=assessment, actor=user, link=("assessments:fiche", assessment.pk)
    )
    return _save_transition(
        assessment, status=AssessmentStatus.VALIDATED, reviewed_at=timezone.now(), reviewed_by=user
    )


# --- Review: assignment, bulk validation, per-axis threads (owned by the review) ------------------


def _require_review(user: User | None, perm: str, organisation: Organisation | None) -> None:
    # The object is the acting organisation: reviewing happens only while acting for the agency.
    if user is not None:
        require_perm(user, perm, organisation)


@transaction.atomic
def review_assign(
    *,
    assessment: Assessment,
    reviewer: User | None,
    user: User | None,
    organisation: Organisation | None,
) -> ReviewAssignment | None:
    """Give the review of an assessment to an analyst or administrator of the agency (oneself
    or a colleague), or take it back (`reviewer=None`). Audited (`ReviewAssignment` history).
    Does not change the assessment's version: an assignment never conflicts with a review."""
    _require_review(user, "assessments.assign_reviewer", organisation)
    if reviewer is None:
        ReviewAssignment.objects.filter(assessment=assessment).delete()
        return None
    colleagues = agency_reviewers(organisation)
    if not colleagues.filter(pk=reviewer.pk).exists():
        raise ValidationError(
            {"reviewer": _("Only an analyst or administrator of the agency can review an assessment.")}
        )
    assignment, _created = ReviewAssignment.objects.update_or_create(
        assessment=assessment, defaults={"reviewer": reviewer, "assigned_by": user}
    )
    return assignment


@dataclass
class BulkRow:
    """One line of a bulk validation's result."""

    assessment: Assessment
    validated: bool
    message: str = ""


@dataclass
class BulkValidation:
    rows: list[BulkRow]

    @property
    def applied(self) -> bool:
        return bool(self.rows) and all(row.validated for row in self.rows)

    @property
    def refused(self) -> list[BulkRow]:
        return [row for row in self.rows if row.message and not row.validated]


class _BulkRollback(Exception):
    pass


def assessments_validate_many(
    *,
    targets: Sequence[tuple[Assessment, int]],
    user: User | None,
    organisation: Organisation | None,
) -> BulkValidation:
    """Validate several submitted assessments, each through `assessment_validate` with the
    version the confirmation page showed. All or nothing: if one is refused (changed meanwhile,
    no longer submitted...), none is validated and every row says why (the refused one its own
    reason, the others that the batch was cancelled), so what was confirmed is never applied in
    part."""
    _require_review(user, "assessments.review_assessment", organisation)
    rows: list[BulkRow] = []
    try:
        with transaction.atomic():
            for assessment, version in targets:
                try:
                    with transaction.atomic():
                        assessment_validate(
                            assessment=assessment,
                            expected_version=version,
                            user=user,
                            organisation=organisation,
                        )
                    rows.append(BulkRow(assessment, validated=True))
                except (AssessmentError, PermissionDenied) as error:
                    rows.append(BulkRow(assessment, validated=False, message=str(error)))
            if not all(row.validated for row in rows):
                raise _BulkRollback
    except _BulkRollback:
        cancelled = _("Not validated: the batch was cancelled because another assessment could not be.")
        for row in rows:
            if row.validated:
                row.validated = False
                row.message = cancelled
            row.assessment.refresh_from_db()  # what the database holds after the rollback
    return BulkValidation(rows)


AXIS_COMMENT_MAX_LENGTH = 5000


@transaction.atomic
def axis_comment_add(
    *,
    assessment: Assessment,
    axis_code: str,
    body: str,
    user: User,
    organisation: Organisation | None,
) -> AxisComment:
    """Add a message to the thread of one axis: the agency's reviewer (acting for the agency) or
    a member of the subject's own organisation (acting for it). Audited (`AxisComment`
    history). Allowed whatever the assessment's status: a thread is not part of the answers."""
    from convergence.organisations.rules import ActingOn

    require_perm(
        user,
        "assessments.comment_axis",
        ActingOn(organisation, assessment),
        message=_("You may write only in the threads of your own organisation's assessments."),
    )
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write a message.")})
    if len(body) > AXIS_COMMENT_MAX_LENGTH:
        raise ValidationError(
            {
                "body": _("The message is too long (%(length)d characters; at most %(limit)d).")
                % {"length": len(body), "limit": AXIS_COMMENT_MAX_LENGTH}
            }
        )
    subject = assessment.subject
    context = ReferentialContext.from_referential(assessment.campaign.referential)
    if axis_code not in context.applicable_axes(subject.kind, subject.type_or_category):
        raise ValidationError(
            {"axis": _("Axis %(axis)s does not apply to this subject.") % {"axis": axis_code}}
        )
    by_agency = organisation is not None and organisation.is_agency
    side = CommentSide.REVIEWER if by_agency else CommentSide.DECLARANT
    return AxisComment.objects.create(
        assessment=assessment,
        axis_id=context.axes[axis_code].id,
        author=user,
        author_organisation=organisation,
        side=side,
        body=body,
    )


# --- Questionnaire: evidence checks, one save per axis, drafts (helper "questionnaire") ------------

# Markup a browser would run or render if it ever sniffed the file: looked for in the first KiB
# of every evidence file, whatever its magic bytes say (a "%PDF" header followed by HTML is a
# polyglot, not a PDF). Tag names followed by a delimiter, so "<<" PDF dictionaries and binary
# noise do not match.
EVIDENCE_SCANNED_BYTES = 1024
ACTIVE_CONTENT = re.compile(
    rb"<\s*(?:!doctype\s+html|html|head|body|script|iframe|frame|object|embed|svg|meta|form|style|link|base)"
    rb"[\s/>]|javascript:",
    re.IGNORECASE,
)
# The extensions a declared name may carry for each detected type.
DECLARED_EXTENSIONS = {
    PDF: {"pdf"},
    PNG: {"png"},
    JPEG: {"jpg", "jpeg"},
    DOCX: {"docx"},
    XLSX: {"xlsx"},
    ODT: {"odt"},
    ODS: {"ods"},
}
ACCEPTED_EXTENSIONS = frozenset().union(*DECLARED_EXTENSIONS.values())


def _not_accepted_message(name: str) -> str:
    return _(
        "“%(name)s” is not an accepted file: evidence must be a PDF, a PNG or JPEG image, or an "
        "office document (docx, xlsx, odt, ods). The type is read from the content, not the name."
    ) % {"name": name}


def evidence_check(uploaded: UploadedFile) -> str:
    """The content type of an evidence file that may be stored, or `EvidenceRefused` saying why
    not: its size (at most EVIDENCE_MAX_BYTES, not empty), its content (magic bytes of an accepted
    type, no HTML or script in its first KiB) and its declared name (an extension, if any, of the
    type found in the content). Reads at most the first KiB and, for office files, the zip
    directory: the file is never read whole (it stays where the upload handler streamed it)."""
    name = (uploaded.name or "").rsplit("/", 1)[-1]
    if uploaded.size is None or uploaded.size > settings.EVIDENCE_MAX_BYTES:
        raise EvidenceRefused(evidence_size_message(uploaded.size))
    if uploaded.size == 0:
        raise EvidenceRefused(_("The file is empty."))
    content_type = evidence_content_type(uploaded)
    if content_type is None:
        raise EvidenceRefused(_not_accepted_message(name))
    uploaded.seek(0)
    head = uploaded.read(EVIDENCE_SCANNED_BYTES)
    uploaded.seek(0)
    if ACTIVE_CONTENT.search(head):
        raise EvidenceRefused(
            _(
                "“%(name)s” was refused: it starts like a %(type)s but holds web page markup (HTML or "
                "script). Export the document again as a genuine file and attach that one."
            )
            % {"name": name, "type": EVIDENCE_EXTENSIONS[content_type].upper()}
        )
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension and extension not in DECLARED_EXTENSIONS[content_type]:
        raise EvidenceRefused(
            _(
                "“%(name)s” was refused: its name says .%(extension)s but its content is a %(type)s. "
                "Rename it, or attach the file you meant."
            )
            % {"name": name, "extension": extension, "type": EVIDENCE_EXTENSIONS[content_type].upper()}
        )
    return content_type


def evidence_safe_name(original_name: str, content_type: str) -> str:
    """The name a file is stored and downloaded under: the original stem reduced to letters,
    digits, "-" and "_" (no dots, so no double extension), and the extension of the type found in
    the content; never the declared extension."""
    stem = (original_name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    stem = re.sub(r"[^\w-]+", "_", stem).strip("_-")[:80] or "evidence"
    return f"{stem}.{EVIDENCE_EXTENSIONS.get(content_type, 'bin')}"


def _evidence_store(
    *, answer: Answer, uploaded: UploadedFile, content_type: str, user: User | None
) -> Evidence:
    """Store a checked file (moved from the upload's temporary file, not copied through memory)."""
    evidence = Evidence(
        answer=answer,
        original_name=(uploaded.name or "evidence").rsplit("/", 1)[-1][:255],
        content_type=content_type,
        size=uploaded.size or 0,
        uploaded_by=user,
    )
    evidence.file.save(evidence_safe_name(evidence.original_name, content_type), uploaded, save=False)
    evidence.save()
    return evidence


@transaction.atomic
def axis_save(
    *,
    assessment: Assessment,
    answer: AnswerInput,
    uploads: Sequence[UploadedFile] = (),
    upload_problems: Sequence[Problem] = (),
    expected_version: int,
    user: User | None,
    context: ReferentialContext | None = None,
    today: datetime.date | None = None,
) -> tuple[Answer, list[Evidence]]:
    """The questionnaire's "Save axis": the answer (`answer_save`) and the files chosen in the
    axis, in one transaction and one version step; then the person's draft of the axis is gone.

    Everything is checked before anything is written, and every problem is reported at once
    (`AnswerInvalid`, the files' problems under the field `file`): an invalid answer or a refused
    file writes nothing. `upload_problems` are what the view found while reading the request
    (a body cut at the size limit)."""
    _check(user, "assessments.change_assessment", assessment)
    if uploads:
        _check(user, "assessments.add_evidence", assessment)
    _check_state(assessment, Write.ANSWER)
    context = context or ReferentialContext.from_referential(assessment.campaign.referential)
    file_problems = list(upload_problems)
    checked: list[tuple[UploadedFile, str]] = []
    for uploaded in uploads:
        try:
            checked.append((uploaded, evidence_check(uploaded)))
        except EvidenceRefused as refused:
            file_problems.append(Problem("file", str(refused)))
    if file_problems:
        subject = assessment.subject
        problems = answer_problems(
            answer,
            context=context,
            subject_kind=subject.kind,
            type_or_category=subject.type_or_category,
            today=today,
        )
        raise AnswerInvalid([*problems, *file_problems])
    saved = answer_save(
        assessment=assessment,
        answer=answer,
        expected_version=expected_version,
        user=user,
        context=context,
        today=today,
    )
    stored = [
        _evidence_store(answer=saved, uploaded=uploaded, content_type=content_type, user=user)
        for uploaded, content_type in checked
    ]
    if user is not None:
        AnswerDraft.objects.filter(assessment=assessment, axis_id=saved.axis_id, user=user).delete()
    return saved, stored


def _draft_axis_id(assessment: Assessment, axis_code: str, context: ReferentialContext) -> int:
    subject = assessment.subject
    if axis_code not in context.applicable_axes(subject.kind, subject.type_or_category):
        raise EvidenceRefused(_("Axis %(axis)s does not apply to this subject.") % {"axis": axis_code})
    return context.axes[axis_code].id


@transaction.atomic
def answer_draft_save(
    *,
    assessment: Assessment,
    axis_code: str,
    data: dict,
    user: User,
    context: ReferentialContext | None = None,
) -> AnswerDraft:
    """Keep what the person typed in an axis (autosave). Not an answer: no validation, no version
    step (a draft never conflicts with a colleague's save), not counted anywhere. Refused like an
    answer when the person may not change the assessment or its state forbids it."""
    _check(user, "assessments.change_assessment", assessment)
    _check_state(assessment, Write.ANSWER)
    context = context or ReferentialContext.from_referential(assessment.campaign.referential)
    axis_id = _draft_axis_id(assessment, axis_code, context)
    draft, _created = AnswerDraft.objects.update_or_create(
        assessment=assessment, axis_id=axis_id, user=user, defaults={"data": data, "saved_at": timezone.now()}
    )
    return draft


@transaction.atomic
def answer_draft_discard(
    *, assessment: Assessment, axis_code: str, user: User, context: ReferentialContext | None = None
) -> int:
    """Forget the person's draft of an axis (the stored answer shows again); the number removed."""
    _check(user, "assessments.change_assessment", assessment)
    context = context or ReferentialContext.from_referential(assessment.campaign.referential)
    axis_id = _draft_axis_id(assessment, axis_code, context)
    deleted, _detail = AnswerDraft.objects.filter(assessment=assessment, axis_id=axis_id, user=user).delete()
    return deleted
