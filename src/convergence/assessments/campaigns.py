"""Campaign services: prepare, open (one draft assessment per subject in scope) and close.

Opening a campaign carries each subject's last validated assessment over (continuity): the
declarant reviews last semester's answers instead of starting from a blank page. When the new
campaign uses a newer referential edition, answers follow the axis *code*; an answer is flagged
"to re-check" where that axis's level descriptors or the subject's expected level changed.
Everything is done with a fixed number of queries, whatever the number of subjects.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from convergence.catalog.enums import SubjectKind, SubjectStatus
from convergence.catalog.models import Subject
from convergence.organisations.models import User
from convergence.organisations.rules import require_perm
from convergence.referential.enums import ReferentialStatus
from convergence.referential.models import Axis, AxisLevel, BlockerCategory, Expectation, Referential

from .enums import AssessmentStatus, CampaignScope, CampaignStatus
from .models import Answer, AnswerBlocker, Assessment, Campaign, Milestone

EDITABLE_FIELDS = ("code", "title", "referential", "scope", "opens_on", "closes_on", "instructions")


@dataclass(frozen=True)
class CampaignOpenResult:
    created: int  # draft assessments created by this call
    existing: int  # subjects that already had one (a re-run)
    carried_over: int  # of `created`, those prefilled from a validated assessment
    answers: int
    needs_recheck: int


def _check_manager(user: User | None) -> None:
    # Commands and the demo generator run without a user: their callers checked it.
    if user is not None:
        require_perm(user, "assessments.manage_campaign")


def _check(campaign: Campaign) -> None:
    problems: dict[str, list[str]] = {}
    referential = campaign.referential
    if referential is not None and referential.status != ReferentialStatus.PUBLISHED:
        problems.setdefault("referential", []).append(
            _("A campaign uses a published referential; %(code)s is not published.")
            % {"code": referential.code}
        )
    if campaign.opens_on and campaign.closes_on and campaign.closes_on < campaign.opens_on:
        problems.setdefault("closes_on", []).append(_("The closing date comes before the opening date."))
    if Campaign.objects.filter(code=campaign.code).exclude(pk=campaign.pk).exists():
        problems.setdefault("code", []).append(
            _('The code "%(code)s" is already used by another campaign.') % {"code": campaign.code}
        )
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def campaign_create(
    *,
    code: str,
    title: str,
    referential: Referential,
    scope: str = CampaignScope.BOTH,
    opens_on: datetime.date,
    closes_on: datetime.date,
    instructions: str = "",
    user: User | None,
) -> Campaign:
    _check_manager(user)
    campaign = Campaign(
        code=code,
        title=title,
        referential=referential,
        scope=scope,
        opens_on=opens_on,
        closes_on=closes_on,
        instructions=instructions,
        status=CampaignStatus.DRAFT,
    )
    _check(campaign)
    campaign.full_clean()
    campaign.save()
    return campaign


@transaction.atomic
def campaign_update(*, campaign: Campaign, user: User | None, **changes) -> Campaign:
    _check_manager(user)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status == CampaignStatus.CLOSED:
        raise ValidationError(_("A closed campaign can no longer be changed."))
    if campaign.status != CampaignStatus.DRAFT:
        # Assessments already exist against this edition and scope: changing them would
        # silently re-score answers.
        for field in ("referential", "scope", "code"):
            if field in changes and changes[field] != getattr(campaign, field):
                raise ValidationError(
                    {field: _("The referential, scope and code are fixed once the campaign is open.")}
                )
    for field, value in changes.items():
        setattr(campaign, field, value)
    _check(campaign)
    campaign.full_clean()
    campaign.save()
    return campaign


def subjects_in_scope(campaign: Campaign) -> QuerySet[Subject]:
    """Subjects a campaign assesses: active ones (not deploying, technical or retired) of its scope."""
    subjects = Subject.objects.filter(status=SubjectStatus.ACTIVE)
    if campaign.scope == CampaignScope.PRODUCTS:
        subjects = subjects.filter(kind=SubjectKind.PRODUCT)
    elif campaign.scope == CampaignScope.SERVICES:
        subjects = subjects.filter(kind=SubjectKind.SERVICE)
    return subjects


def _expectations(referential_ids: set[int]) -> dict[tuple[int, str, str, str], int | None]:
    """(referential id, subject kind, type/category code, axis code) → expected level."""
    rows = Expectation.objects.filter(referential_id__in=referential_ids).values_list(
        "referential_id", "service_type__code", "product_category__code", "axis__code", "expected_level"
    )
    expectations: dict[tuple[int, str, str, str], int | None] = {}
    for referential_id, type_code, category_code, axis_code, expected in rows:
        if type_code is not None:
            expectations[(referential_id, SubjectKind.SERVICE, type_code, axis_code)] = expected
        else:
            expectations[(referential_id, SubjectKind.PRODUCT, category_code, axis_code)] = expected
    return expectations


def _descriptors(referential_ids: set[int]) -> dict[tuple[int, str], tuple[tuple[int, str], ...]]:
    """(referential id, axis code) → its level descriptors, to tell whether an axis's meaning changed."""
    levels: dict[tuple[int, str], list[tuple[int, str]]] = {}
    rows = AxisLevel.objects.filter(axis__referential_id__in=referential_ids).values_list(
        "axis__referential_id", "axis__code", "value", "descriptor"
    )
    for referential_id, axis_code, value, descriptor in rows:
        levels.setdefault((referential_id, axis_code), []).append((value, descriptor.strip()))
    return {key: tuple(sorted(values)) for key, values in levels.items()}


def _carry_over(
    *, campaign: Campaign, pairs: list[tuple[Assessment, int]], today: datetime.date
) -> tuple[int, int]:
    """Copy answers, future milestones and blockers from validated assessments into new drafts.

    `pairs` are (new assessment, id of the assessment it is carried from). Returns (answers, to re-check).
    """
    if not pairs:
        return 0, 0
    target = campaign.referential
    new_by_source = {source_id: assessment for assessment, source_id in pairs}
    sources = list(
        Answer.objects.filter(assessment_id__in=new_by_source).values(
            "id",
            "assessment_id",
            "assessment__subject__kind",
            "assessment__subject__type_or_category",
            "assessment__campaign__referential_id",
            "axis__code",
            "level",
            "not_applicable",
            "not_applicable_reason",
            "comment",
        )
    )
    if not sources:
        return 0, 0
    source_referentials = {row["assessment__campaign__referential_id"] for row in sources}
    axes = {axis.code: axis for axis in Axis.objects.filter(referential=target)}
    expectations = _expectations(source_referentials | {target.pk})
    changed_editions = source_referentials - {target.pk}
    descriptors = _descriptors(changed_editions | {target.pk}) if changed_editions else {}
    levels = set(target.levels)

    answers: list[Answer] = []
    source_answer_ids: list[int] = []
    for row in sources:
        axis = axes.get(row["axis__code"])
        if axis is None:
            continue  # the axis no longer exists in this edition
        kind, code = row["assessment__subject__kind"], row["assessment__subject__type_or_category"]
        new_key = (target.pk, kind, code, axis.code)
        if new_key not in expectations:
            continue  # the axis no longer applies to this type or category
        level = row["level"]
        needs_recheck = False
        if row["assessment__campaign__referential_id"] != target.pk:
            old_key = (row["assessment__campaign__referential_id"], kind, code, axis.code)
            needs_recheck = (
                old_key not in expectations
                or expectations[old_key] != expectations[new_key]
                or descriptors.get((old_key[0], axis.code)) != descriptors.get((target.pk, axis.code))
            )
        if level is not None and level not in levels:
            level, needs_recheck = None, True  # outside the new scale: the declarant answers again
        answers.append(
            Answer(
                assessment=new_by_source[row["assessment_id"]],
                axis=axis,
                level=level,
                not_applicable=row["not_applicable"],
                not_applicable_reason=row["not_applicable_reason"],
                comment=row["comment"],
                needs_recheck=needs_recheck,
            )
        )
        source_answer_ids.append(row["id"])
    Answer.objects.bulk_create(answers)
    new_answer_by_source = dict(zip(source_answer_ids, answers, strict=True))

    # Milestones still ahead, above the carried level (a milestone is a level yet to reach).
    milestones = [
        Milestone(answer=new_answer_by_source[answer_id], level=level, due_on=due_on)
        for answer_id, level, due_on in Milestone.objects.filter(
            answer_id__in=new_answer_by_source, due_on__gt=today
        ).values_list("answer_id", "level", "due_on")
        if level in levels
        and level > (new_answer_by_source[answer_id].level or -1)  # above the carried level, if any
    ]
    Milestone.objects.bulk_create(milestones)

    # Blockers whose category code exists in the new edition.
    categories = dict(BlockerCategory.objects.filter(referential=target).values_list("code", "id"))
    blockers = [
        AnswerBlocker(answer=new_answer_by_source[answer_id], category_id=categories[code])
        for answer_id, code in AnswerBlocker.objects.filter(answer_id__in=new_answer_by_source).values_list(
            "answer_id", "category__code"
        )
        if code in categories
    ]
    AnswerBlocker.objects.bulk_create(blockers)
    return len(answers), sum(answer.needs_recheck for answer in answers)


@transaction.atomic
def campaign_open(
    *, campaign: Campaign, user: User | None, today: datetime.date | None = None
) -> CampaignOpenResult:
    """Open a campaign: a draft assessment for every active subject in scope, prefilled from its
    last validated assessment. Idempotent: a re-run only adds subjects that have none yet."""
    _check_manager(user)
    campaign = Campaign.objects.select_for_update().select_related("referential").get(pk=campaign.pk)
    if campaign.status == CampaignStatus.CLOSED:
        raise ValidationError(_("A closed campaign cannot be reopened."))
    if campaign.referential.status != ReferentialStatus.PUBLISHED:
        raise ValidationError(_("The campaign's referential is not published."))
    today = today or timezone.localdate()
    last_validated = (
        Assessment.objects.filter(subject=OuterRef("pk"), status=AssessmentStatus.VALIDATED)
        .exclude(campaign=campaign)
        .order_by("-campaign__closes_on", "-campaign__opens_on", "-pk")
        .values("pk")[:1]
    )
    subjects = (
        subjects_in_scope(campaign)
        .annotate(last_validated_id=Subquery(last_validated))
        # Subjects that already have one keep it: re-running the opening is harmless.
        .filter(~Q(pk__in=Assessment.objects.filter(campaign=campaign).values("subject_id")))
        .order_by("pk")
        .values_list("pk", "last_validated_id")
    )
    rows = list(subjects)
    already = Assessment.objects.filter(campaign=campaign).count()
    new_assessments = [
        Assessment(
            campaign=campaign, subject_id=subject_id, status=AssessmentStatus.DRAFT, carried_from_id=source_id
        )
        for subject_id, source_id in rows
    ]
    Assessment.objects.bulk_create(new_assessments, batch_size=500)
    pairs = [(a, a.carried_from_id) for a in new_assessments if a.carried_from_id is not None]
    answers, needs_recheck = _carry_over(campaign=campaign, pairs=pairs, today=today)  # type: ignore[arg-type]
    if campaign.status != CampaignStatus.OPEN:
        campaign.status = CampaignStatus.OPEN
        campaign.save(update_fields=["status", "updated_at"])
    return CampaignOpenResult(
        created=len(new_assessments),
        existing=already,
        carried_over=len(pairs),
        answers=answers,
        needs_recheck=needs_recheck,
    )


@transaction.atomic
def campaign_close(*, campaign: Campaign, user: User | None) -> Campaign:
    """Close a campaign: its assessments are frozen as they are (drafts stay drafts, unreported;
    see `checks.CAMPAIGN_STATES` for what the agency may still do)."""
    _check_manager(user)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != CampaignStatus.OPEN:
        raise ValidationError(_("Only an open campaign can be closed."))
    # Wait for the writes in flight on its assessments (each holds its row's lock): they land
    # before the closing; the ones after it are refused by the services (`_claim_version`).
    list(Assessment.objects.select_for_update().filter(campaign=campaign).values_list("pk", flat=True))
    campaign.status = CampaignStatus.CLOSED
    campaign.save(update_fields=["status", "updated_at"])
    return campaign
