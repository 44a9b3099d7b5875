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
import zipfile
from collections.abc import Sequence

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from convergence.organisations.models import User
from convergence.organisations.rules import require_perm

from . import checks
from .checks import Write
from .enums import AssessmentStatus
from .models import Answer, AnswerBlocker, Assessment, Campaign, Evidence, Milestone
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
    limit_mb = settings.EVIDENCE_MAX_BYTES / (1024 * 1024)
    if size is None:
        return _("The file is too large: evidence files are limited to %(limit).0f MB.") % {"limit": limit_mb}
    return _("The file is too large (%(size).1f MB): evidence files are limited to %(limit).0f MB.") % {
        "size": size / (1024 * 1024),
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
    if uploaded.size is None or uploaded.size > settings.EVIDENCE_MAX_BYTES:
        raise EvidenceRefused(evidence_size_message(uploaded.size))
    if uploaded.size == 0:
        raise EvidenceRefused(_("The file is empty."))
    content_type = evidence_content_type(uploaded)
    if content_type is None:
        raise EvidenceRefused(
            _(
                "“%(name)s” is not an accepted file: evidence must be a PDF, a PNG or JPEG image, or an "
                "office document (docx, xlsx, odt, ods). The type is read from the content, not the name."
            )
            % {"name": uploaded.name}
        )
    _claim_version(assessment, expected_version=expected_version, write=Write.ANSWER)
    answer, _created = Answer.objects.get_or_create(assessment=assessment, axis_id=context.axes[axis_code].id)
    original_name = (uploaded.name or "evidence").rsplit("/", 1)[-1][:255]
    stem = original_name.rsplit(".", 1)[0][:80] or "evidence"
    evidence = Evidence(
        answer=answer,
        original_name=original_name,
        content_type=content_type,
        size=uploaded.size,
        uploaded_by=user,
    )
    # The stored name's extension follows the detected content, never the declared name.
    evidence.file.save(f"{stem}.{EVIDENCE_EXTENSIONS[content_type]}", uploaded, save=False)
    evidence.save()
    return evidence


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
    return _save_transition(assessment, status=AssessmentStatus.SUBMITTED, submitted_at=timezone.now())


@transaction.atomic
def assessment_return(
    *, assessment: Assessment, reason: str, expected_version: int, user: User | None
) -> Assessment:
    """The agency sends a submitted assessment back for correction; the reason is required."""
    _check(user, "assessments.review_assessment", assessment)
    _check_state(assessment, Write.RETURN)
    reason = (reason or "").strip()
    if not reason:
        raise TransitionRefused(
            _("Give the reason for returning the assessment: the organisation will read it.")
        )
    _claim_version(assessment, expected_version=expected_version, write=Write.RETURN)
    return _save_transition(
        assessment,
        status=AssessmentStatus.RETURNED,
        returned_reason=reason,
        reviewed_at=timezone.now(),
        reviewed_by=user,
    )


@transaction.atomic
def assessment_validate(*, assessment: Assessment, expected_version: int, user: User | None) -> Assessment:
    """The agency accepts a submitted assessment."""
    _check(user, "assessments.review_assessment", assessment)
    _check_state(assessment, Write.VALIDATE)
    _claim_version(assessment, expected_version=expected_version, write=Write.VALIDATE)
    return _save_transition(
        assessment, status=AssessmentStatus.VALIDATED, reviewed_at=timezone.now(), reviewed_by=user
    )
