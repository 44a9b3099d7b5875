"""Reads of the referential, with who may see what.

Published and retired editions are public (past campaigns were scored against retired ones);
drafts are work in progress of the agency and only its members see them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext

from convergence.organisations.rules import is_agency_member

from .enums import ReferentialStatus
from .models import Axis, AxisLevel, Expectation, ProductCategory, Referential, ServiceFamily, ServiceType


def can_see_drafts(user: Any) -> bool:
    return bool(user is not None and is_agency_member(user))


def referentials_visible_to(user: Any) -> QuerySet[Referential]:
    queryset = Referential.objects.all()
    if not can_see_drafts(user):
        queryset = queryset.exclude(status=ReferentialStatus.DRAFT)
    return queryset


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
        .prefetch_related(Prefetch("levels", queryset=AxisLevel.objects.order_by("value")))
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


__all__ = [
    "can_see_drafts",
    "get_referential_or_404",
    "referential_choices",
    "referential_list",
    "referential_view",
    "referentials_visible_to",
]
