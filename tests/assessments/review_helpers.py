"""Shared set-up of the review tests: a previous campaign to compare with, and submitted
assessments filled through the services."""

from __future__ import annotations

import datetime

from convergence.assessments import services
from convergence.assessments.models import Answer, Assessment
from convergence.assessments.validation import AnswerInput
from tests import factories as f


def fill_and_submit(world, assessment: Assessment, levels: dict[str, int], user) -> Assessment:
    """Answer every axis of `levels` through the service, then submit (returns it refreshed)."""
    for code, level in levels.items():
        assessment.refresh_from_db()
        services.answer_save(
            assessment=assessment,
            answer=AnswerInput(axis=code, level=level),
            expected_version=assessment.version,
            user=user,
        )
    assessment.refresh_from_db()
    services.assessment_submit(assessment=assessment, expected_version=assessment.version, user=user)
    assessment.refresh_from_db()
    return assessment


def previous_campaign(world, levels: dict[str, int]) -> Assessment:
    """A closed 2025-S2 campaign where the product was assessed (validated) with `levels`."""
    campaign = f.CampaignFactory(
        referential=world.referential,
        code="2025-s2",
        title="Campagne 2025-S2",
        status="closed",
        opens_on=datetime.date(2025, 7, 1),
        closes_on=datetime.date(2025, 12, 31),
    )
    previous = Assessment.objects.create(
        campaign=campaign, subject=world.product_assessment.subject, status="validated"
    )
    axes = {axis.code: axis for axis in world.axes}
    for code, level in levels.items():
        Answer.objects.create(assessment=previous, axis=axes[code], level=level)
    return previous


def submitted_products(world, count: int, prefix: str = "Produit") -> list[Assessment]:
    """`count` more submitted products of the vendor (answered in SQL: only the status matters)."""
    rows = []
    for i in range(count):
        subject = f.SubjectFactory(
            organisation=world.vendor,
            name=f"{prefix} {i:02d}",
            code=f"{prefix.lower()}-{i}",
            type_or_category="dpi",
        )
        rows.append(f.AssessmentFactory(campaign=world.campaign, subject=subject, status="submitted"))
    return rows
