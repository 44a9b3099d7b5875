"""Reads on campaigns, assessments and evidence, always through the acting organisation (another
organisation's assessment is a 404), with a number of queries that does not grow with axes or rows.

The visibility of campaigns is decided here, once (`campaigns_visible_to`): the web pages, the
API, the exchange pages and the dashboards call it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from django.core.paginator import Page
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from convergence.catalog.enums import SubjectKind
from convergence.catalog.selectors import subjects_editable_by, subjects_visible_to
from convergence.organisations.models import Organisation
from convergence.organisations.tenancy import is_agency
from convergence.referential.models import Axis, AxisLevel, BlockerCategory, Expectation

from .enums import AssessmentStatus, CampaignStatus
from .models import Answer, Assessment, Campaign, Evidence, Milestone
from .validation import ReferentialContext

# --- Campaigns --------------------------------------------------------------------------------------

# A campaign is announced when it opens: before that it is the agency's work in progress.
PUBLISHED_CAMPAIGN_STATUSES = (CampaignStatus.OPEN, CampaignStatus.CLOSED)


def campaigns_visible_to(organisation: Organisation | None) -> QuerySet[Campaign]:
    """Campaigns an organisation may see: the agency every one, drafts included; anyone else
    (any other organisation, and the public pages with `None`) the open and closed ones."""
    if is_agency(organisation):
        return Campaign.objects.all()
    return Campaign.objects.filter(status__in=PUBLISHED_CAMPAIGN_STATUSES)


def campaign_progress(campaigns: QuerySet[Campaign]) -> QuerySet[Campaign]:
    """Campaigns annotated with their number of assessments per status (one SQL aggregate)."""
    return campaigns.annotate(
        assessments_total=Count("assessments"),
        **{
            f"assessments_{status}": Count("assessments", filter=Q(assessments__status=status))
            for status in AssessmentStatus.values
        },
    )


def get_campaign_or_404(
    organisation: Organisation | None,
    code: str | None = None,
    *,
    pk: Any = None,
    with_progress: bool = False,
) -> Campaign:
    """The campaign of that code (or `pk`) if the organisation may see it, else 404;
    `with_progress` adds `campaign_progress`'s counts."""
    queryset = campaigns_visible_to(organisation).select_related("referential")
    if with_progress:
        queryset = campaign_progress(queryset)
    lookup = {"code": code} if pk is None else {"pk": pk}
    try:
        return queryset.get(**lookup)
    except (Campaign.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- Assessments ------------------------------------------------------------------------------------


def assessments_visible_to(organisation: Organisation | None) -> QuerySet[Assessment]:
    return Assessment.objects.filter(subject__in=subjects_visible_to(organisation))


def assessments_editable_by(organisation: Organisation | None) -> QuerySet[Assessment]:
    return Assessment.objects.filter(subject__in=subjects_editable_by(organisation))


def get_assessment_or_404(
    organisation: Organisation | None, pk: Any, *, for_edit: bool = False
) -> Assessment:
    """The assessment if the organisation may read it (or change it, `for_edit`), else 404."""
    queryset = assessments_editable_by(organisation) if for_edit else assessments_visible_to(organisation)
    try:
        return queryset.select_related("campaign__referential", "subject__organisation").get(pk=pk)
    except (Assessment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_evidence_or_404(
    organisation: Organisation | None, assessment_pk: Any, evidence_pk: Any, *, for_edit: bool = False
) -> Evidence:
    """An evidence file of an assessment the organisation may read (or change, `for_edit`),
    else 404; with its answer's axis and assessment (campaign, subject) loaded."""
    assessments = assessments_editable_by(organisation) if for_edit else assessments_visible_to(organisation)
    try:
        return Evidence.objects.select_related(
            "answer__axis", "answer__assessment__campaign__referential", "answer__assessment__subject"
        ).get(pk=evidence_pk, answer__assessment_id=assessment_pk, answer__assessment__in=assessments)
    except (Evidence.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _applicable_count() -> Case:
    """Number of axes that apply to the assessment's subject in the campaign's referential."""

    def count_for(**target: Any) -> Coalesce:
        rows = (
            Expectation.objects.filter(referential=OuterRef("campaign__referential"), **target)
            .order_by()
            .values("referential")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))

    return Case(
        When(
            subject__kind=SubjectKind.SERVICE,
            then=count_for(service_type__code=OuterRef("subject__type_or_category")),
        ),
        default=count_for(product_category__code=OuterRef("subject__type_or_category")),
        output_field=IntegerField(),
    )


def late_milestones_exist(today: datetime.date) -> Exists:
    """A milestone whose date has passed while the declared level is still below it."""
    return Exists(
        Milestone.objects.filter(answer__assessment=OuterRef("pk"), due_on__lt=today).filter(
            Q(answer__level__isnull=True) | Q(answer__level__lt=F("level"))
        )
    )


def with_completion(queryset: QuerySet[Assessment], *, today: datetime.date) -> QuerySet[Assessment]:
    """Annotate `answered_count`, `applicable_count` and `has_late` (all in SQL)."""
    return queryset.annotate(
        answered_count=Count(
            "answers", filter=Q(answers__level__isnull=False) | Q(answers__not_applicable=True)
        ),
        applicable_count=_applicable_count(),
        has_late=late_milestones_exist(today),
    )


def completion_page(page: Page, *, today: datetime.date) -> Page:
    """Give the assessments of one page of a list their answer counts (`answered_count`,
    `applicable_count`), in one query over that page's rows only; `has_late` comes with the
    rows (`assessment_list` and `review_queue` annotate it, the "late" filter reads it).

    The lists are paginated on the plain queryset first: counting and ordering every assessment
    with its answers grouped took 10–13 s for the agency's queue at national scale (100,000
    services), where only 25 rows are shown."""
    rows = list(page.object_list)
    counted = with_completion(Assessment.objects.filter(pk__in=[a.pk for a in rows]), today=today)
    counts = {
        row["pk"]: row
        for row in counted.values("pk", "answered_count", "applicable_count")  # type: ignore[misc]
    }
    for assessment in rows:
        assessment.answered_count = counts[assessment.pk]["answered_count"]  # type: ignore[attr-defined]
        assessment.applicable_count = counts[assessment.pk]["applicable_count"]  # type: ignore[attr-defined]
    page.object_list = rows
    return page


def assessment_list(organisation: Organisation | None, *, today: datetime.date) -> QuerySet[Assessment]:
    """The acting organisation's own assessments (what it fills in), to paginate then complete
    with `completion_page`; `has_late` is there for the "late" filter."""
    return (
        assessments_editable_by(organisation)
        .select_related("campaign", "subject")
        .annotate(has_late=late_milestones_exist(today))
        .order_by("-campaign__opens_on", "campaign__code", "subject__name", "pk")
    )


def review_queue(organisation: Organisation | None, *, today: datetime.date) -> QuerySet[Assessment]:
    """Every assessment, for the agency's review queue (nothing when acting for another
    organisation, even for a user who is also an agency analyst); paginate, then
    `completion_page`."""
    queryset = assessments_visible_to(organisation) if is_agency(organisation) else Assessment.objects.none()
    return (
        queryset.select_related("campaign", "subject__organisation")
        .annotate(has_late=late_milestones_exist(today))
        .order_by("-campaign__opens_on", "campaign__code", "submitted_at", "pk")
    )


def filter_by_region(queryset: QuerySet[Assessment], region: str) -> QuerySet[Assessment]:
    """A service's own region; a product's organisation's region."""
    return queryset.filter(
        Q(subject__kind=SubjectKind.SERVICE, subject__region=region)
        | Q(subject__kind=SubjectKind.PRODUCT, subject__organisation__region=region)
    )


def previous_assessment(assessment: Assessment) -> Assessment | None:
    """The answers to compare with: the one carried over from, else the subject's latest
    assessment in an earlier campaign."""
    if assessment.carried_from_id:
        return Assessment.objects.select_related("campaign").filter(pk=assessment.carried_from_id).first()
    return (
        Assessment.objects.select_related("campaign")
        .filter(subject_id=assessment.subject_id, campaign__opens_on__lt=assessment.campaign.opens_on)
        .order_by("-campaign__opens_on")
        .first()
    )


# --- The questionnaire ------------------------------------------------------------------------------


@dataclass
class MilestoneView:
    level: int | None
    due_on: datetime.date | str | None
    status: str = ""  # "late", "reached", "on-track" (fiche) — empty in the form
    level_error: str = ""
    due_on_error: str = ""


@dataclass
class AxisItem:
    """One axis of the questionnaire, with its answer (or what was just typed, after an error)."""

    axis: Axis
    levels: list[AxisLevel]
    expected: int | None
    answer: Answer | None
    level: int | None = None
    not_applicable: bool = False
    not_applicable_reason: str = ""
    comment: str = ""
    milestones: list[MilestoneView] = field(default_factory=list)
    blocker_ids: set[int] = field(default_factory=set)
    evidence: list[Any] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    notice: str = ""
    saved: bool = False
    saved_message: str = ""
    next_level: int | None = None  # the fiche's "next milestone" (first one not reached)
    # (value, scale label, this axis's descriptor of the level)
    choices: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def code(self) -> str:
        return self.axis.code

    @property
    def answered(self) -> bool:
        return self.not_applicable or self.level is not None

    @property
    def next_milestone(self) -> MilestoneView | None:
        return self.milestones[0] if self.milestones else None

    @property
    def gap(self) -> int | None:
        if self.level is None or self.expected is None:
            return None
        return self.level - self.expected

    @property
    def needs_recheck(self) -> bool:
        return bool(self.answer and self.answer.needs_recheck)


@dataclass
class Questionnaire:
    assessment: Assessment
    context: ReferentialContext
    items: list[AxisItem]
    blocker_categories: list[BlockerCategory]
    scale: list[tuple[int, str]]

    @property
    def answered_count(self) -> int:
        return sum(1 for item in self.items if item.answered)

    @property
    def applicable_count(self) -> int:
        return len(self.items)

    @property
    def groups(self) -> list[tuple[str, list[AxisItem]]]:
        return [
            (name, list(items)) for name, items in groupby(self.items, key=lambda i: i.axis.display_group)
        ]

    def item(self, axis_code: str) -> AxisItem | None:
        return next((item for item in self.items if item.code == axis_code), None)


def milestone_status(
    milestone_level: int, due_on: datetime.date, current: int | None, today: datetime.date
) -> str:
    if current is not None and current >= milestone_level:
        return "reached"
    return "late" if due_on < today else "on-track"


def questionnaire_load(
    assessment: Assessment,
    *,
    today: datetime.date,
    context: ReferentialContext | None = None,
    only_axis: str | None = None,
) -> Questionnaire:
    """Everything the questionnaire and the fiche show, in a fixed number of queries
    (referential context 4, axes + descriptors 2, blocker categories 1, answers + milestones +
    blockers + evidence 4), whatever the number of axes. `only_axis` limits it to one axis (the
    htmx fragment)."""
    referential = assessment.campaign.referential
    context = context or ReferentialContext.from_referential(referential)
    subject = assessment.subject
    applicable = context.applicable_axes(subject.kind, subject.type_or_category)
    codes = [only_axis] if only_axis else list(applicable)
    codes = [code for code in codes if code in applicable]
    axes = list(
        Axis.objects.filter(referential=referential, code__in=codes)
        .order_by("position", "pk")
        .prefetch_related(Prefetch("levels", queryset=AxisLevel.objects.order_by("value")))
    )
    blocker_categories = list(
        BlockerCategory.objects.filter(referential=referential).order_by("position", "pk")
    )
    answers = {
        answer.axis_id: answer
        for answer in Answer.objects.filter(
            assessment=assessment, axis__code__in=codes, axis__referential=referential
        ).prefetch_related(
            Prefetch("milestones", queryset=Milestone.objects.order_by("due_on", "level")),
            "answer_blockers",
            "evidence",
        )
    }
    labels = dict(context.scale_labels)
    scale = [
        (value, labels.get(value, str(value))) for value in range(context.scale_min, context.scale_max + 1)
    ]
    items = []
    for axis in axes:
        answer = answers.get(axis.pk)
        item = AxisItem(
            axis=axis, levels=list(axis.levels.all()), expected=applicable[axis.code], answer=answer
        )
        descriptors = {level.value: level.display_descriptor for level in item.levels}
        item.choices = [(value, label, descriptors.get(value, "")) for value, label in scale]
        if answer is not None:
            item.level = answer.level
            item.not_applicable = answer.not_applicable
            item.not_applicable_reason = answer.not_applicable_reason
            item.comment = answer.comment
            item.milestones = [
                MilestoneView(m.level, m.due_on, milestone_status(m.level, m.due_on, answer.level, today))
                for m in answer.milestones.all()
            ]
            item.blocker_ids = {b.category_id for b in answer.answer_blockers.all()}
            item.evidence = list(answer.evidence.all())
        items.append(item)
    return Questionnaire(
        assessment=assessment,
        context=context,
        items=items,
        blocker_categories=blocker_categories,
        scale=scale,
    )


def answers_by_axis_code(assessment: Assessment | None) -> dict[str, Answer]:
    """A (previous) assessment's answers by axis code, with milestones and blockers (3 queries)."""
    if assessment is None:
        return {}
    answers = (
        Answer.objects.filter(assessment=assessment)
        .select_related("axis")
        .prefetch_related(
            Prefetch("milestones", queryset=Milestone.objects.order_by("due_on", "level")),
            Prefetch("blockers", queryset=BlockerCategory.objects.order_by("position")),
        )
    )
    return {answer.axis.code: answer for answer in answers}
