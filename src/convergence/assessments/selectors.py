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
    FloatField,
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
    # The questionnaire's autosaved draft shown in the form instead of the answer (never counted).
    draft_saved_at: datetime.datetime | None = None

    @property
    def code(self) -> str:
        return self.axis.code

    @property
    def answered(self) -> bool:
        """Whether the *stored* answer counts: what was just typed (an invalid save, a draft)
        and shown in the form does not."""
        answer = self.answer
        return answer is not None and (answer.not_applicable or answer.level is not None)

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


# --- Questionnaire: drafts and labels (helper "questionnaire") --------------------------------------


def answer_drafts_of(assessment: Assessment, user: Any) -> dict[int, Any]:
    """The person's autosaved drafts on this assessment, by axis id (one query). Drafts are
    private to their author and never counted as answers."""
    from .models import AnswerDraft

    if user is None or not getattr(user, "pk", None):
        return {}
    return {
        draft.axis_id: draft for draft in AnswerDraft.objects.filter(assessment=assessment, user_id=user.pk)
    }


def type_or_category_label(assessment: Assessment) -> str:
    """The name of the subject's service type or product category in the campaign's referential
    edition (one query), or its code when the edition does not know it."""
    from convergence.referential.models import ProductCategory, ServiceType

    subject = assessment.subject
    model = ServiceType if subject.kind == SubjectKind.SERVICE else ProductCategory
    found = model.objects.filter(
        referential_id=assessment.campaign.referential_id, code=subject.type_or_category
    ).first()
    return found.display_name if found is not None else subject.type_or_category


# --- Review (owned by the review): queue sorting, labels, changes, threads --------------------------

# Sort keys of the review queue ("-key" reverses): what an analyst orders the queue by.
REVIEW_SORTS = ("subject", "organisation", "submitted", "completion", "due")


def _answered_subquery() -> Coalesce:
    rows = (
        Answer.objects.filter(assessment=OuterRef("pk"))
        .filter(Q(level__isnull=False) | Q(not_applicable=True))
        .order_by()
        .values("assessment")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def sort_review_queue(queryset: QuerySet[Assessment], sort: str) -> QuerySet[Assessment]:
    """Order the queue by one of `REVIEW_SORTS` ("-" for descending); unknown keys keep the
    default order (campaign, then submission date). Every order ends on `pk`, so "next in
    queue" is well defined. Completion is a ratio of two correlated subqueries (no GROUP BY
    over the whole queue); "due" puts late milestones first, then the campaign's closing date."""
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in REVIEW_SORTS:
        return queryset

    def direction(expression: Any, *, nulls_last: bool = True) -> Any:
        expression = F(expression) if isinstance(expression, str) else expression
        return expression.desc(nulls_last=nulls_last) if descending else expression.asc(nulls_last=nulls_last)

    if key == "subject":
        order = [direction("subject__name"), "pk"]
    elif key == "organisation":
        order = [direction("subject__organisation__name"), "subject__name", "pk"]
    elif key == "submitted":
        order = [direction("submitted_at"), "pk"]
    elif key == "completion":
        queryset = queryset.annotate(
            sort_answered=_answered_subquery(), sort_applicable=_applicable_count()
        ).annotate(
            sort_completion=Case(
                When(sort_applicable=0, then=Value(0.0)),
                default=F("sort_answered") * 1.0 / F("sort_applicable"),
                output_field=FloatField(),
            )
        )
        order = [direction("sort_completion"), "subject__name", "pk"]
    else:  # due
        late_first = F("has_late").asc() if descending else F("has_late").desc()
        order = [late_first, direction("campaign__closes_on"), "submitted_at", "pk"]
    return queryset.order_by(*order)


def filter_by_assignment(
    queryset: QuerySet[Assessment], assignment: str, *, user: Any
) -> QuerySet[Assessment]:
    """Keep the assessments assigned to the user ("me"), to nobody ("unassigned") or to
    someone else ("others")."""
    if assignment == "me":
        return queryset.filter(review_assignment__reviewer=user)
    if assignment == "unassigned":
        return queryset.filter(review_assignment__isnull=True)
    if assignment == "others":
        return queryset.exclude(review_assignment__isnull=True).exclude(review_assignment__reviewer=user)
    return queryset


def type_or_category_labels(assessments: list[Assessment]) -> None:
    """Give each assessment a `type_label` (the name of its service type or product category in
    its campaign's referential, or the raw code when there is none) and a `region_label`: two
    queries for a page of rows, whatever its length."""
    from convergence.lib.regions import region_name
    from convergence.referential.models import ProductCategory, ServiceType

    wanted: dict[str, set[tuple[int, str]]] = {SubjectKind.SERVICE: set(), SubjectKind.PRODUCT: set()}
    for assessment in assessments:
        kind = assessment.subject.kind
        wanted.setdefault(kind, set()).add(
            (assessment.campaign.referential_id, assessment.subject.type_or_category)
        )
    names: dict[tuple[str, int, str], str] = {}
    for kind, model in ((SubjectKind.SERVICE, ServiceType), (SubjectKind.PRODUCT, ProductCategory)):
        pairs = wanted.get(kind) or set()
        if not pairs:
            continue
        condition = Q()
        for referential_id, code in pairs:
            condition |= Q(referential_id=referential_id, code=code)
        for row in model.objects.filter(condition):  # type: ignore[attr-defined]
            names[(kind, row.referential_id, row.code)] = row.display_name
    for assessment in assessments:
        subject = assessment.subject
        key = (subject.kind, assessment.campaign.referential_id, subject.type_or_category)
        assessment.type_label = names.get(key, subject.type_or_category)  # type: ignore[attr-defined]
        if subject.kind == SubjectKind.SERVICE:
            region = subject.region
        else:
            region = getattr(subject.organisation, "region", "")
        assessment.region_label = region_name(region) if region else ""  # type: ignore[attr-defined]


@dataclass
class LevelChange:
    """How an axis's answer moved since the previous campaign, in words (never colour alone).

    `kind`: "down", "up", "same", "changed" (to or from not applicable), "new" (no previous
    answer) or "" (nothing to compare)."""

    kind: str
    text: str


def level_change(
    *,
    previous_level: int | None,
    previous_not_applicable: bool,
    level: int | None,
    not_applicable: bool,
    has_previous: bool,
) -> LevelChange:
    from django.utils.translation import gettext as _

    if not has_previous:
        return LevelChange("", "")
    if level is None and not not_applicable:
        return LevelChange("", "")
    if previous_level is None and not previous_not_applicable:
        return LevelChange("new", _("new answer"))
    if not_applicable != previous_not_applicable:
        if not_applicable:
            return LevelChange(
                "changed", _("now not applicable (was %(before)s)") % {"before": previous_level}
            )
        return LevelChange("changed", _("now %(now)s (was not applicable)") % {"now": level})
    if not_applicable or level == previous_level:
        return LevelChange("same", _("unchanged"))
    assert level is not None and previous_level is not None
    if level < previous_level:
        return LevelChange(
            "down", _("down from %(before)s to %(now)s") % {"before": previous_level, "now": level}
        )
    return LevelChange("up", _("up from %(before)s to %(now)s") % {"before": previous_level, "now": level})


def axis_comments(assessment: Assessment) -> dict[str, list[Any]]:
    """The messages of every axis's thread, by axis code, oldest first (one query)."""
    from .models import AxisComment

    threads: dict[str, list[Any]] = {}
    for comment in (
        AxisComment.objects.filter(assessment=assessment)
        .select_related("axis", "author", "author_organisation")
        .order_by("created_at", "pk")
    ):
        threads.setdefault(comment.axis.code, []).append(comment)
    return threads


def type_or_category_choices(campaigns: QuerySet[Campaign]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The service types and product categories of the campaigns' referentials, by label, for
    the queue's filter (grouped; one code once, with the name of its newest edition)."""
    from django.utils.translation import gettext as _

    from convergence.referential.models import ProductCategory, ServiceType

    referentials = campaigns.values("referential_id")
    groups = []
    for label, model in ((_("Service types"), ServiceType), (_("Product categories"), ProductCategory)):
        names: dict[str, str] = {}
        for row in model.objects.filter(referential_id__in=referentials).order_by("referential_id"):  # type: ignore[attr-defined]
            names[row.code] = row.display_name
        if names:
            groups.append(
                (str(label), sorted(((code, name) for code, name in names.items()), key=lambda c: c[1]))
            )
    return groups


def axis_states(assessment: Assessment, user: Any) -> dict[str, tuple[bool, bool]]:
    """Axis code → (answered, has the person's draft newer than the answer), in two queries: the
    questionnaire's summary after saving one axis."""
    from .models import AnswerDraft

    answers = {
        code: (level is not None or not_applicable, updated_at)
        for code, level, not_applicable, updated_at in Answer.objects.filter(
            assessment=assessment
        ).values_list("axis__code", "level", "not_applicable", "updated_at")
    }
    drafts: dict[str, Any] = {}
    if user is not None and getattr(user, "pk", None):
        drafts = dict(
            AnswerDraft.objects.filter(assessment=assessment, user_id=user.pk).values_list(
                "axis__code", "saved_at"
            )
        )
    states = {}
    for code in set(answers) | set(drafts):
        answered, updated_at = answers.get(code, (False, None))
        saved_at = drafts.get(code)
        states[code] = (answered, saved_at is not None and (updated_at is None or saved_at > updated_at))
    return states


def axis_names(referential: Any, codes: list[str]) -> dict[str, str]:
    """Axis code → name in the reader's language (one query)."""
    axes = Axis.objects.filter(referential=referential, code__in=codes)
    return {axis.code: axis.display_name for axis in axes}
