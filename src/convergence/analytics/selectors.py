"""Reads around the report engine: labels for renderers, and who may see which report."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, Value
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format

from convergence.assessments.enums import REPORTED_STATUSES
from convergence.assessments.models import Assessment, Campaign
from convergence.organisations.models import Organisation
from convergence.referential.models import (
    Axis,
    BlockerCategory,
    ProductCategory,
    ServiceFamily,
    ServiceType,
    localized,
)

from .disclosure import discloses_everything
from .models import ReportRun

# What the report JSON names by code, per kind: the model holding each name.
NAMED_KINDS = {
    "axes": Axis,
    "families": ServiceFamily,
    "types": ServiceType,
    "categories": ProductCategory,
    "blockers": BlockerCategory,
}

Names = dict[str, dict[str, tuple[str, str]]]


def referential_names(*, referential: Q) -> Names:
    """(French name, English name) per code of one referential edition, per kind ("axes",
    "families", "types", "categories", "blockers"), read in one query.

    `referential` filters the edition, e.g. `Q(referential_id=1)` or `Q(referential__code="x")`.
    The report JSON keeps the French names; pages and human reports show them in the reader's
    language with these (see renderers.document.localized_report)."""
    queries = [
        model._default_manager.filter(referential)
        .annotate(kind=Value(kind))
        .values_list("kind", "code", "name", "name_en")
        .order_by()
        for kind, model in NAMED_KINDS.items()
    ]
    names: Names = {kind: {} for kind in NAMED_KINDS}
    for kind, code, name, name_en in queries[0].union(*queries[1:], all=True).order_by():
        names[kind][code] = (name, name_en)
    return names


def blocker_names(names: Names) -> dict[str, str]:
    """Blocker category code -> name in the active language (the JSON carries codes only)."""
    return {code: localized(french, english) for code, (french, english) in names["blockers"].items()}


def report_labels(*, campaign_code: str) -> dict[str, Any]:
    """What the human report shows beside the figures of the JSON: the campaign's title and the
    referential's names (axes, families, types, categories, blockers) in the active language."""
    campaign = Campaign.objects.select_related("referential").filter(code=campaign_code).first()
    if campaign is None:
        return {}
    names = referential_names(referential=Q(referential_id=campaign.referential_id))
    return {
        "campaign_title": campaign.title,
        "referential_title": campaign.referential.display_title,
        "names": names,
        "blocker_names": blocker_names(names),
        "generated_on": date_format(timezone.localdate()),
    }


def snapshot_labels(*, campaign_title: str, referential_code: str) -> dict[str, Any]:
    """The same for a published snapshot, by code against the snapshot's referential edition
    (a code the edition no longer has keeps the name stored in the snapshot)."""
    names = referential_names(referential=Q(referential__code=referential_code))
    return {"campaign_title": campaign_title, "names": names, "blocker_names": blocker_names(names)}


def campaigns_with_figures() -> set[str]:
    """Codes of the campaigns with at least one submitted or validated assessment (one query,
    a semi-join: it stops at the first such assessment of each campaign)."""
    reported = Assessment.objects.filter(campaign=OuterRef("pk"), status__in=REPORTED_STATUSES)
    return set(Campaign.objects.filter(Exists(reported)).values_list("code", flat=True))


def get_report_run_or_404(organisation: Organisation | None, pk: int, *, region: str | None) -> ReportRun:
    """A dashboard computation the acting organisation started or may read: the agency's are
    the agency's (`region` None: every region), a region reads only the computations of its own
    region started for it; anything else is a 404 (never a hint that it exists)."""
    run = ReportRun.objects.filter(pk=pk).first()
    if run is None:
        raise Http404
    if region is not None and run.params.get("report", {}).get("region") != region:
        raise Http404  # another region's computation
    if not discloses_everything(organisation) and (
        organisation is None or run.params.get("reader") != organisation.pk
    ):
        raise Http404  # another organisation's computation
    return run
