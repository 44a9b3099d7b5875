"""Reads of the referential, with who may see what.

Published and retired editions are public (past campaigns were scored against retired ones);
drafts are work in progress of the agency and only its members see them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from convergence.organisations.enums import OrganisationKind
from convergence.organisations.rules import is_agency_member, memberships_by_organisation

from .enums import ReferentialStatus
from .models import (
    Axis,
    AxisAction,
    AxisLevel,
    Consultation,
    ConsultationComment,
    Expectation,
    ProductCategory,
    Referential,
    ServiceFamily,
    ServiceType,
    WorkbookUpload,
)


def can_see_drafts(user: Any) -> bool:
    return bool(user is not None and is_agency_member(user))


def is_consultation_participant(user: Any) -> bool:
    """A logged-in member of a vendor, ARS or GRADeS: who reads drafts under consultation."""
    return bool(
        user is not None
        and user.is_authenticated
        and any(kind != OrganisationKind.AGENCY for _role, kind in memberships_by_organisation(user).values())
    )


def referentials_visible_to(user: Any) -> QuerySet[Referential]:
    """Published and retired editions: everyone; drafts: the agency, and members of vendors and
    regions once the draft's consultation has opened."""
    queryset = Referential.objects.all()
    if can_see_drafts(user):
        return queryset
    if is_consultation_participant(user):
        return queryset.exclude(
            Q(status=ReferentialStatus.DRAFT) & ~Q(consultation__opens_on__lte=timezone.localdate())
        )
    return queryset.exclude(status=ReferentialStatus.DRAFT)


def referential_list(user: Any, *, status: str | None = None) -> QuerySet[Referential]:
    """Editions with their sizes (counted in SQL), newest first."""
    queryset = referentials_visible_to(user)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.annotate(
        axis_count=Count("axes", distinct=True),
        service_type_count=Count("service_types", distinct=True),
        product_category_count=Count("product_categories", distinct=True),
    ).order_by("-published_on", "code")


def get_referential_or_404(user: Any, code: str) -> Referential:
    try:
        return referentials_visible_to(user).get(code=code)
    except Referential.DoesNotExist:
        raise Http404 from None


@dataclass
class AxisGroup:
    name: str
    axes: list[Axis] = field(default_factory=list)


@dataclass
class MatrixRow:
    """One line of the applicability matrix: a service type or a product category."""

    label: str
    code: str
    common_core: bool | None
    # one cell per axis, in axis order: (applies, expected level or None)
    cells: list[tuple[bool, int | None]]


@dataclass
class MatrixSection:
    title: str
    rows: list[MatrixRow]


@dataclass
class ReferentialView:
    referential: Referential
    scale_labels: list[Any]
    axes: list[Axis]
    groups: list[AxisGroup]
    families: list[ServiceFamily]
    categories: list[ProductCategory]
    blocker_categories: list[Any]
    matrix: list[MatrixSection]


def referential_view(referential: Referential) -> ReferentialView:
    """Everything the detail page shows, in a fixed number of queries."""
    axes = list(
        Axis.objects.filter(referential=referential)
        .prefetch_related(
            Prefetch("levels", queryset=AxisLevel.objects.order_by("value")),
            Prefetch("actions", queryset=AxisAction.objects.order_by("value")),
        )
        .order_by("position", "pk")
    )
    groups: list[AxisGroup] = []
    for axis in axes:
        name = axis.display_group
        if not groups or groups[-1].name != name:
            groups.append(AxisGroup(name=name))
        groups[-1].axes.append(axis)
    families = list(
        ServiceFamily.objects.filter(referential=referential)
        .prefetch_related(Prefetch("types", queryset=ServiceType.objects.order_by("position", "pk")))
        .order_by("position", "pk")
    )
    categories = list(ProductCategory.objects.filter(referential=referential).order_by("position", "pk"))
    by_type: dict[int, dict[int, int | None]] = {}
    by_category: dict[int, dict[int, int | None]] = {}
    for expectation in Expectation.objects.filter(referential=referential).only(
        "axis_id", "service_type_id", "product_category_id", "expected_level"
    ):
        if expectation.service_type_id:
            by_type.setdefault(expectation.service_type_id, {})[expectation.axis_id] = (
                expectation.expected_level
            )
        else:
            by_category.setdefault(expectation.product_category_id, {})[  # type: ignore[arg-type]
                expectation.axis_id
            ] = expectation.expected_level

    def cells(expected: dict[int, int | None]) -> list[tuple[bool, int | None]]:
        return [(axis.pk in expected, expected.get(axis.pk)) for axis in axes]

    matrix = [
        MatrixSection(
            title=family.display_name,
            rows=[
                MatrixRow(t.display_name, t.code, t.common_core, cells(by_type.get(t.pk, {})))
                for t in family.types.all()
            ],
        )
        for family in families
    ]
    if categories:
        matrix.append(
            MatrixSection(
                title=gettext("Product categories"),
                rows=[
                    MatrixRow(c.display_name, c.code, None, cells(by_category.get(c.pk, {})))
                    for c in categories
                ],
            )
        )
    return ReferentialView(
        referential=referential,
        scale_labels=list(referential.scale_levels.order_by("value")),
        axes=axes,
        groups=groups,
        families=families,
        categories=categories,
        blocker_categories=list(referential.blocker_categories.order_by("position", "pk")),
        matrix=matrix,
    )


def referential_choices(user: Any) -> list[Referential]:
    return list(
        referentials_visible_to(user).order_by("-published_on", "code").only("code", "title", "title_en")
    )


@dataclass
class NextStep:
    """On one axis, the way from the current level to the expected one."""

    axis: Axis
    current: int | None  # None: not answered yet (counted from the lowest level)
    expected: int
    gap: int
    actions: list[Any]  # AxisAction of the levels to reach, lowest first


def next_steps(
    referential: Referential,
    *,
    kind: str,
    type_or_category: str,
    levels: dict[str, int | None],
    not_applicable: set[str] | frozenset[str] = frozenset(),
) -> list[NextStep]:
    """The next steps of a product (`kind="product"`) or service (`"service"`) of the given type
    or category: every axis whose expected level is above the subject's level (`levels`: axis
    code → level; an axis missing or None is not answered yet and counts from the lowest
    level; axes in `not_applicable` are left out), with the referential's actions for the
    levels to reach; the largest gap first, then in axis order. Three queries."""
    target = (
        {"service_type__code": type_or_category}
        if kind == "service"
        else {"product_category__code": type_or_category}
    )
    expected: dict[str, int] = {
        code: level
        for code, level in Expectation.objects.filter(
            referential=referential, expected_level__isnull=False, **target
        ).values_list("axis__code", "expected_level")
        if level is not None
    }
    if not expected:
        return []
    axes = (
        Axis.objects.filter(referential=referential, code__in=expected)
        .exclude(code__in=not_applicable)
        .prefetch_related("actions")
        .order_by("position", "pk")
    )
    steps = []
    for axis in axes:
        current = levels.get(axis.code)
        start = referential.scale_min if current is None else current
        goal = expected[axis.code]
        if start >= goal:
            continue
        actions = sorted((a for a in axis.actions.all() if start < a.value <= goal), key=lambda a: a.value)
        steps.append(NextStep(axis=axis, current=current, expected=goal, gap=goal - start, actions=actions))
    steps.sort(key=lambda step: -step.gap)  # stable: axis order within a gap
    return steps


def get_upload_or_404(user: Any, pk: int) -> WorkbookUpload:
    """A workbook waiting for its preview to be confirmed: its author's only."""
    upload = (
        WorkbookUpload.objects.filter(pk=pk, created_by_id=getattr(user, "pk", None))
        .select_related("target", "base")
        .first()
    )
    if upload is None or not can_see_drafts(user):
        raise Http404
    return upload


def upload_comparison(upload: WorkbookUpload) -> Any:
    """The differences between what the upload will write and the edition it derives from
    (the draft it replaces, or the chosen base; none: everything is new)."""
    from .comparison import Edition, documents_compare
    from .services import referential_document, upload_document

    document = upload_document(upload)
    after = Edition(code=document["code"], display_title=document["title"])
    if upload.base is not None:
        return documents_compare(referential_document(upload.base), document, before=upload.base, after=after)
    empty = {
        "scale": document["scale"],
        "axes": [],
        "blocker_categories": [],
        "service_families": [],
        "product_categories": [],
    }
    return documents_compare(empty, document, before=Edition(code="∅"), after=after)


def get_consultation_or_404(user: Any, code: str) -> Consultation:
    """The consultation of an edition the user may see (participants: once it has opened)."""
    referential = get_referential_or_404(user, code)
    consultation = (
        Consultation.objects.filter(referential=referential)
        .select_related("referential", "compared_with")
        .first()
    )
    if consultation is None or not (can_see_drafts(user) or is_consultation_participant(user)):
        raise Http404
    return consultation


def comments_visible_to(
    user: Any, organisation: Any, consultation: Consultation
) -> QuerySet[ConsultationComment]:
    """The agency reads every comment; a vendor or region those of the organisation it acts for."""
    comments = consultation.comments.select_related("organisation", "author", "answered_by")
    if can_see_drafts(user):
        return comments
    if organisation is None:
        return comments.none()
    return comments.filter(organisation=organisation)


def get_comment_or_404(
    user: Any, organisation: Any, consultation: Consultation, pk: int
) -> ConsultationComment:
    comment = comments_visible_to(user, organisation, consultation).filter(pk=pk).first()
    if comment is None:
        raise Http404
    return comment


@dataclass
class ConsultationSummary:
    total: int
    by_status: dict[str, int]
    # (axis code or "" for comments on a type or category, {status: count})
    by_axis: list[tuple[str, dict[str, int]]]
    by_organisation_kind: list[tuple[str, dict[str, int]]]


def consultation_summary(consultation: Consultation) -> ConsultationSummary:
    """Counts per status, per axis and per kind of organisation: three GROUP BY queries."""
    from .enums import CommentStatus

    statuses = list(CommentStatus.values)

    def grouped(field: str) -> dict[str, dict[str, int]]:
        rows = consultation.comments.values(field, "status").annotate(count=Count("pk")).order_by()
        result: dict[str, dict[str, int]] = {}
        for row in rows:
            result.setdefault(row[field], dict.fromkeys(statuses, 0))[row["status"]] = row["count"]
        return result

    by_status = dict.fromkeys(statuses, 0)
    for row in consultation.comments.values("status").annotate(count=Count("pk")).order_by():
        by_status[row["status"]] = row["count"]
    by_axis = grouped("axis_code")
    axis_order = list(
        Axis.objects.filter(referential=consultation.referential)
        .order_by("position")
        .values_list("code", flat=True)
    )
    by_kind = grouped("organisation__kind")
    return ConsultationSummary(
        total=sum(by_status.values()),
        by_status=by_status,
        by_axis=[(code, by_axis[code]) for code in [*axis_order, ""] if code in by_axis],
        by_organisation_kind=[(kind, by_kind[kind]) for kind in OrganisationKind.values if kind in by_kind],
    )


__all__ = [
    "ConsultationSummary",
    "comments_visible_to",
    "consultation_summary",
    "get_comment_or_404",
    "get_consultation_or_404",
    "is_consultation_participant",
    "NextStep",
    "next_steps",
    "get_upload_or_404",
    "upload_comparison",
    "can_see_drafts",
    "get_referential_or_404",
    "referential_choices",
    "referential_list",
    "referential_view",
    "referentials_visible_to",
]
