"""A vendor's products against the products of the same category (peer benchmark).

Peers are the campaign's published products of the category that the vendor does not know
(their counted answers: the report facts, analytics/queries.py),
i.e. of other organisations (analytics/disclosure.py): the vendor's own products count neither
in the quartiles nor in the group's size, so it cannot fill a small group with products of its
own to read a competitor's levels through the median. Only grouped counts (category, axis,
level) leave the database, so no other vendor's individual answer is ever read; quartiles are
computed from that distribution. A group of fewer than K peer products, or an axis answered by
fewer than K of them, is suppressed (disclosure.peer_group_shown).
"""

from __future__ import annotations

import math
from collections import defaultdict
from fractions import Fraction

from convergence.assessments.enums import REPORTED_STATUSES
from convergence.assessments.models import Answer, Assessment, Campaign
from convergence.catalog.enums import SubjectKind, SubjectStatus
from convergence.organisations.models import Organisation
from convergence.referential.models import Axis, Expectation, ProductCategory, localized

from .disclosure import K, known_assessments, peer_group_shown
from .figures import rounded
from .queries import FactsSource, peer_products


def quantile(distribution: dict[int, int], p: Fraction) -> float | None:
    """The p-quantile of the levels counted in `distribution`, with linear interpolation between
    order statistics (Hyndman & Fan type 7, the default of R, NumPy and spreadsheets), exact
    then rounded like every figure (4 decimals, half away from zero)."""
    n = sum(distribution.values())
    if n == 0:
        return None
    position = (n - 1) * p
    low_index = math.floor(position)
    fraction = position - low_index

    def nth(index: int) -> int:
        seen = 0
        for level in sorted(distribution):
            seen += distribution[level]
            if index < seen:
                return level
        raise IndexError(index)

    low, high = nth(low_index), nth(min(low_index + 1, n - 1))
    value = low + (high - low) * fraction
    return rounded(value.numerator, value.denominator)


QUARTILES = (Fraction(1, 4), Fraction(1, 2), Fraction(3, 4))


def own_products(*, campaign: Campaign, organisation: Organisation):
    """The organisation's products with a counted assessment in the campaign, by name."""
    return (
        Assessment.objects.filter(
            campaign=campaign,
            status__in=REPORTED_STATUSES,
            subject__organisation=organisation,
            subject__kind=SubjectKind.PRODUCT,
        )
        .exclude(subject__status=SubjectStatus.RETIRED)
        .select_related("subject")
        .order_by("subject__name", "subject__code")
    )


def benchmark_compute(
    *, campaign: Campaign, organisation: Organisation, assessments=None, min_group: int = K
) -> list[dict]:
    """Per product of `organisation` assessed in `campaign`: per axis its level and its peers'
    quartiles (or a suppression flag). Peers never include the organisation's own products:
    neither in the quartiles nor in the group's size."""
    referential = campaign.referential
    axes = list(Axis.objects.filter(referential=referential).order_by("position", "id"))
    # `assessments`: a page of own_products(); by default all of them.
    own = list(
        assessments if assessments is not None else own_products(campaign=campaign, organisation=organisation)
    )
    if not own:
        return []
    levels: dict[tuple[int, int], tuple[int | None, bool]] = {
        (assessment_id, axis_id): (level, na)
        for assessment_id, axis_id, level, na in Answer.objects.filter(assessment__in=own).values_list(
            "assessment_id", "axis_id", "level", "not_applicable"
        )
    }
    categories = sorted({a.subject.type_or_category for a in own})
    names = {
        code: localized(name, name_en)
        for code, name, name_en in ProductCategory.objects.filter(
            referential=referential, code__in=categories
        ).values_list("code", "name", "name_en")
    }
    expected = {
        (code, axis_id): level
        for code, axis_id, level in Expectation.objects.filter(
            referential=referential, product_category__code__in=categories
        ).values_list("product_category__code", "axis_id", "expected_level")
    }
    # Peers: the counted answers (the report facts: one definition with the campaign report) of
    # the campaign's products of these categories that the reader does not know (its own left
    # out: analytics/disclosure.py), counted per category, and per (category, axis, level).
    sizes, rows = peer_products(
        campaign_id=campaign.pk,
        categories=categories,
        known=known_assessments(organisation, campaign.pk),
        source=FactsSource.current(),
    )
    distribution: dict[tuple[str, int], dict[int, int]] = defaultdict(dict)
    for code, axis_id, level, count in rows:
        distribution[(code, axis_id)][level] = count

    products = []
    for assessment in own:
        subject = assessment.subject
        code = subject.type_or_category
        size = sizes.get(code, 0)
        group_suppressed = not peer_group_shown(size, min_group)
        axes_rows = []
        for axis in axes:
            if (code, axis.pk) not in expected:
                continue  # the axis does not apply to this category
            level, na = levels.get((assessment.pk, axis.pk), (None, False))
            dist = distribution.get((code, axis.pk), {})
            answered = sum(dist.values())
            suppressed = group_suppressed or not peer_group_shown(answered, min_group)
            axes_rows.append(
                {
                    "code": axis.code,
                    "name": axis.display_name,
                    "level": level,
                    "not_applicable": na,
                    "expected": expected[(code, axis.pk)],
                    "peers": None if suppressed else answered,
                    "q1": None if suppressed else quantile(dist, QUARTILES[0]),
                    "median": None if suppressed else quantile(dist, QUARTILES[1]),
                    "q3": None if suppressed else quantile(dist, QUARTILES[2]),
                    "suppressed": suppressed,
                }
            )
        products.append(
            {
                "id": subject.pk,
                "name": str(subject),
                "category": code,
                "category_name": names.get(code, code),
                "group_size": None if group_suppressed else size,
                "suppressed": group_suppressed,
                "axes": axes_rows,
            }
        )
    return products
