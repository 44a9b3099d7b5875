"""Campaign services: prepare, open (one draft assessment per subject in scope) and close.

Opening a campaign carries each subject's last validated assessment over (continuity): the
declarant reviews last semester's answers instead of starting from a blank page. When the new
campaign uses a newer referential edition, answers follow the axis *code*; an answer is flagged
"to re-check" where that axis's level descriptors or the subject's expected level changed.
Everything is done with a fixed number of queries, whatever the number of subjects.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from convergence.catalog.enums import SubjectKind, SubjectStatus
from convergence.catalog.models import Subject
from convergence.notifications.services import notify_event
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


@dataclass(frozen=True)
class PlannedAnswer:
    """What opening does with one answer of the last validated assessment."""

    source_id: int  # the source answer
    source_assessment_id: int
    axis_code: str
    outcome: str  # "carried", "recheck" (carried, flagged to re-check) or "gone"
    level: int | None
    # Whether the level reaches the expected one before and after (None: no expected level);
    # equal levels, so a difference comes only from the expectation moving.
    reached_before: bool | None = None
    reached_after: bool | None = None


def _source_answers(source_ids: Iterable[int]) -> list[dict]:
    return [
        dict(row)
        for row in Answer.objects.filter(assessment_id__in=source_ids).values(
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
    ]


def _reached(level: int | None, expected: int | None) -> bool | None:
    if expected is None:
        return None
    return level is not None and level >= expected


def _plan(target: Referential, sources: list[dict]) -> list[PlannedAnswer]:
    """The one rule of the carry-over, for opening and for its preview: answers follow the axis
    code; an axis gone from the edition, or no longer applying to the subject's type or
    category, is not carried; a carried answer is flagged to re-check where the axis's level
    descriptors or the subject's expected level changed, or its level left the scale."""
    if not sources:
        return []
    source_referentials = {row["assessment__campaign__referential_id"] for row in sources}
    axis_codes = set(Axis.objects.filter(referential=target).values_list("code", flat=True))
    expectations = _expectations(source_referentials | {target.pk})
    changed_editions = source_referentials - {target.pk}
    descriptors = _descriptors(changed_editions | {target.pk}) if changed_editions else {}
    levels = set(target.levels)
    plan = []
    for row in sources:
        code = row["axis__code"]
        kind, type_code = row["assessment__subject__kind"], row["assessment__subject__type_or_category"]
        new_key = (target.pk, kind, type_code, code)
        base = {"source_id": row["id"], "source_assessment_id": row["assessment_id"], "axis_code": code}
        if code not in axis_codes or new_key not in expectations:
            plan.append(PlannedAnswer(**base, outcome="gone", level=row["level"]))
            continue
        level = row["level"]
        needs_recheck = False
        reached_before = reached_after = None
        if row["assessment__campaign__referential_id"] != target.pk:
            old_key = (row["assessment__campaign__referential_id"], kind, type_code, code)
            needs_recheck = (
                old_key not in expectations
                or expectations[old_key] != expectations[new_key]
                or descriptors.get((old_key[0], code)) != descriptors.get((target.pk, code))
            )
            if old_key in expectations and not row["not_applicable"]:
                reached_before = _reached(level, expectations[old_key])
                reached_after = _reached(level, expectations[new_key])
        if level is not None and level not in levels:
            level, needs_recheck = None, True  # outside the new scale: the declarant answers again
            reached_before = reached_after = None
        plan.append(
            PlannedAnswer(
                **base,
                outcome="recheck" if needs_recheck else "carried",
                level=level,
                reached_before=reached_before,
                reached_after=reached_after,
            )
        )
    return plan


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
    sources = _source_answers(new_by_source)
    if not sources:
        return 0, 0
    rows = {row["id"]: row for row in sources}
    axes = {axis.code: axis for axis in Axis.objects.filter(referential=target)}
    levels = set(target.levels)

    answers: list[Answer] = []
    source_answer_ids: list[int] = []
    for planned in _plan(target, sources):
        if planned.outcome == "gone":
            continue
        row = rows[planned.source_id]
        answers.append(
            Answer(
                assessment=new_by_source[planned.source_assessment_id],
                axis=axes[planned.axis_code],
                level=planned.level,
                not_applicable=row["not_applicable"],
                not_applicable_reason=row["not_applicable_reason"],
                comment=row["comment"],
                needs_recheck=planned.outcome == "recheck",
            )
        )
        source_answer_ids.append(planned.source_id)
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


def _subjects_to_open(campaign: Campaign) -> QuerySet[Subject]:
    """Subjects in scope with no assessment in the campaign yet (re-running the opening is
    harmless), each with the id of its last validated assessment of another campaign."""
    last_validated = (
        Assessment.objects.filter(subject=OuterRef("pk"), status=AssessmentStatus.VALIDATED)
        .exclude(campaign=campaign)
        .order_by("-campaign__closes_on", "-campaign__opens_on", "-pk")
        .values("pk")[:1]
    )
    return (
        subjects_in_scope(campaign)
        .annotate(last_validated_id=Subquery(last_validated))
        .filter(~Q(pk__in=Assessment.objects.filter(campaign=campaign).values("subject_id")))
        .order_by("pk")
    )


@dataclass
class SubjectMigration:
    """For one product or service, what opening the campaign will do with its last validated
    assessment (the same plan as `campaign_open`)."""

    subject_id: int
    code: str
    name: str
    kind: str
    type_or_category: str
    source_campaign: str | None
    carried: list[str] = field(default_factory=list)  # axis codes carried over unchanged
    recheck: list[str] = field(default_factory=list)  # carried, flagged to re-check
    gone: list[str] = field(default_factory=list)  # answered before, gone or no longer applying
    new: list[str] = field(default_factory=list)  # apply now, no answer to carry
    # axes whose "reached" status changes with the same level: only the expectation moved
    reached_changed: list[str] = field(default_factory=list)


@dataclass
class MigrationPreview:
    referential: Referential
    subjects: list[SubjectMigration]
    source_referentials: list[str]  # codes of the editions the answers come from

    @property
    def with_source(self) -> int:
        return sum(1 for s in self.subjects if s.source_campaign is not None)

    @property
    def starting_blank(self) -> int:
        return len(self.subjects) - self.with_source

    @property
    def answers_carried(self) -> int:
        return sum(len(s.carried) for s in self.subjects)

    @property
    def answers_recheck(self) -> int:
        return sum(len(s.recheck) for s in self.subjects)

    @property
    def answers_gone(self) -> int:
        return sum(len(s.gone) for s in self.subjects)

    @property
    def subjects_with_new_axes(self) -> int:
        return sum(1 for s in self.subjects if s.new)

    @property
    def subjects_reached_changed(self) -> int:
        """Subjects whose "reached" status changes on an axis only because the expectation moved."""
        return sum(1 for s in self.subjects if s.reached_changed)

    @property
    def changes_edition(self) -> bool:
        return any(code != self.referential.code for code in self.source_referentials)


def campaign_migration_preview(*, campaign: Campaign, user: User | None) -> MigrationPreview:
    """What `campaign_open` would do, subject by subject, without writing anything: which
    answers carry over unchanged, which are flagged to re-check, which axes are new or gone, and
    which subjects see their "reached" status change only because the expected level moved.
    A fixed number of queries."""
    _check_manager(user)
    campaign = Campaign.objects.select_related("referential").get(pk=campaign.pk)
    target = campaign.referential
    subjects = list(
        _subjects_to_open(campaign).values(  # type: ignore[misc]  # annotated in _subjects_to_open
            "pk", "code", "name", "kind", "type_or_category", "last_validated_id"
        )
    )
    source_campaigns = dict(
        Assessment.objects.filter(
            pk__in={row["last_validated_id"] for row in subjects if row["last_validated_id"]}
        ).values_list("pk", "campaign__code")
    )
    by_source = {row["last_validated_id"]: row for row in subjects if row["last_validated_id"]}
    sources = _source_answers(by_source)
    migrations = {
        row["pk"]: SubjectMigration(
            subject_id=row["pk"],
            code=row["code"],
            name=row["name"],
            kind=row["kind"],
            type_or_category=row["type_or_category"],
            source_campaign=source_campaigns.get(row["last_validated_id"]),
        )
        for row in subjects
    }
    answered: dict[int, set[str]] = {}
    for planned in _plan(target, sources):
        migration = migrations[by_source[planned.source_assessment_id]["pk"]]
        answered.setdefault(migration.subject_id, set()).add(planned.axis_code)
        if planned.outcome == "gone":
            migration.gone.append(planned.axis_code)
            continue
        (migration.recheck if planned.outcome == "recheck" else migration.carried).append(planned.axis_code)
        if None not in (planned.reached_before, planned.reached_after) and (
            planned.reached_before != planned.reached_after
        ):
            migration.reached_changed.append(planned.axis_code)
    # Axes that apply now, in axis order, and that the last assessment did not answer.
    applying: dict[tuple[str, str], list[str]] = {}
    for type_code, category_code, axis_code in (
        Expectation.objects.filter(referential=target)
        .order_by("axis__position", "axis_id")
        .values_list("service_type__code", "product_category__code", "axis__code")
    ):
        key = (
            (SubjectKind.SERVICE, type_code)
            if type_code is not None
            else (SubjectKind.PRODUCT, category_code)
        )
        applying.setdefault(key, []).append(axis_code)
    for migration in migrations.values():
        if migration.source_campaign is None:
            continue  # starts blank: every axis is to answer, none is "new"
        done = answered.get(migration.subject_id, set())
        migration.new = [
            code
            for code in applying.get((migration.kind, migration.type_or_category), [])
            if code not in done
        ]
    source_referentials = sorted(
        set(
            Referential.objects.filter(
                pk__in={row["assessment__campaign__referential_id"] for row in sources}
            ).values_list("code", flat=True)
        )
    )
    return MigrationPreview(
        referential=target, subjects=list(migrations.values()), source_referentials=source_referentials
    )


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
    rows = list(_subjects_to_open(campaign).values_list("pk", "last_validated_id"))  # type: ignore[misc]
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
    notify_event(
        event="campaign_closing",
        about=campaign,
        actor=user,
        link=("assessments:list",),
        organisations=Subject.objects.filter(assessments__campaign=campaign).values_list(
            "organisation", flat=True
        ),
    )
    return campaign
