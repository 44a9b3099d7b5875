"""Reads around the report engine: labels for renderers, and who may see which report."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.formats import date_format

from convergence.assessments.models import Campaign
from convergence.referential.models import BlockerCategory


def report_labels(*, campaign_code: str) -> dict[str, Any]:
    """Names the human report shows beside the codes of the JSON (campaign title, blockers)."""
    campaign = Campaign.objects.select_related("referential").filter(code=campaign_code).first()
    if campaign is None:
        return {}
    blockers = dict(
        BlockerCategory.objects.filter(referential=campaign.referential).values_list("code", "name")
    )
    return {
        "campaign_title": campaign.title,
        "referential_title": campaign.referential.title,
        "blocker_names": blockers,
        "generated_on": date_format(timezone.localdate()),
    }
