"""The campaign report (contract section 5): parameters checked against the database, rows read
by analytics/queries.py, figures computed by the pure engine (analytics/figures.py).

No HTTP, no file format: `report_compute(...)` returns a `Report` whose `as_dict()` is the
`convergence-report/1` JSON. A fixed number of queries whatever the number of subjects, and no
write: the facts are refreshed by the write paths' after-commit hook (facts/hooks.py), and a
report that meets stale facts computes them on the fly (queries.FactsSource).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from convergence.assessments.models import Campaign
from convergence.catalog.enums import SubjectKind, SubjectStatus
from convergence.lib.regions import REGIONS
from convergence.referential.models import ProductCategory, ServiceType

from .figures import (
    DEFAULT_MIN_CELL,
    DEFAULT_THRESHOLD,
    REPORT_FORMAT,
    AxisFigures,
    AxisTally,
    CampaignInfo,
    Group,
    Progress,
    Report,
    ReportError,
    ReportParams,
    Statuses,
    Typology,
    build_report,
    rounded,
    tally_answers,
)
from .queries import FactsSource, Scope, answer_groups, blocker_groups, load_typology, subject_counts

__all__ = [
    "DEFAULT_MIN_CELL",
    "DEFAULT_THRESHOLD",
    "REPORT_FORMAT",
    "SCOPES",
    "STATUSES",
    "AxisFigures",
    "AxisTally",
    "Group",
    "Progress",
    "Report",
    "ReportError",
    "ReportParams",
    "Scope",
    "Typology",
    "report_as_dict",
    "report_compute",
    "resolve",
    "rounded",
    "tally_answers",
]

SCOPES = {"services": SubjectKind.SERVICE, "products": SubjectKind.PRODUCT}
STATUSES = Statuses(
    published=str(SubjectStatus.ACTIVE), excluded=(str(SubjectStatus.DEPLOYING), str(SubjectStatus.TECHNICAL))
)


def resolve(params: ReportParams) -> tuple[Campaign, Scope]:
    """Check the parameters against the database; ReportError (field, translated message)."""
    if params.scope not in SCOPES:
        raise ReportError(
            "scope", _('"%(scope)s" is not one of services, products') % {"scope": params.scope}
        )
    campaign = Campaign.objects.select_related("referential").filter(code=params.campaign).first()
    if campaign is None:
        known = ", ".join(Campaign.objects.order_by("code").values_list("code", flat=True)[:20])
        raise ReportError(
            "campaign",
            _('unknown campaign "%(code)s"; known campaigns: %(known)s')
            % {"code": params.campaign, "known": known or _("none")},
        )
    if params.region is not None and params.region not in REGIONS:
        raise ReportError(
            "region",
            _('unknown region "%(code)s"; known regions: %(known)s')
            % {"code": params.region, "known": ", ".join(REGIONS)},
        )
    if params.public and params.min_cell < 1:
        raise ReportError("min-cell", _("must be at least 1, not %(value)s") % {"value": params.min_cell})
    if not 0 <= params.threshold <= 1:
        raise ReportError(
            "threshold", _("must be between 0 and 1, not %(value)s") % {"value": params.threshold}
        )
    kind = SCOPES[params.scope]
    if params.category is not None:
        model = ServiceType if kind == SubjectKind.SERVICE else ProductCategory
        if not model.objects.filter(referential=campaign.referential, code=params.category).exists():
            message = (
                _('unknown service type "%(code)s" in referential %(referential)s')
                if kind == SubjectKind.SERVICE
                else _('unknown product category "%(code)s" in referential %(referential)s')
            )
            raise ReportError(
                "category", message % {"code": params.category, "referential": campaign.referential.code}
            )
    return campaign, Scope(campaign_id=campaign.pk, kind=kind, region=params.region, category=params.category)


def report_compute(
    params: ReportParams, *, progress: Progress | None = None, source: FactsSource | None = None
) -> Report:
    """The campaign report of contract section 5. `source`: the facts to read (one per request
    when several reports are computed together)."""

    def step(done: int, label: str) -> None:
        if progress is not None:
            progress(done, 4, label)

    campaign, scope = resolve(params)
    typology = load_typology(campaign.referential, scope.kind)
    step(1, "figures")
    source = source or FactsSource.current()
    subject_rows = subject_counts(scope)
    answer_rows = answer_groups(scope, source)
    blocker_rows = blocker_groups(scope, source)
    step(2, "subjects")
    report = build_report(
        params,
        campaign=CampaignInfo(code=campaign.code, title=campaign.title, closes_on=campaign.closes_on),
        typology=typology,
        statuses=STATUSES,
        subject_rows=subject_rows,
        answer_rows=answer_rows,
        blocker_rows=blocker_rows,
    )
    step(4, "done")
    return report


def report_as_dict(
    *,
    campaign: str,
    scope: str,
    region: str | None = None,
    category: str | None = None,
    public: bool = False,
    min_cell: int = DEFAULT_MIN_CELL,
    threshold: float = DEFAULT_THRESHOLD,
) -> dict[str, Any]:
    """The report JSON (as a dict) for callers outside this app, e.g. the REST API.

    Raises ReportError (a ValueError) with a user-facing message on bad parameters.
    """
    params = ReportParams(
        campaign=campaign,
        scope=scope,
        region=region,
        category=category,
        public=public,
        min_cell=min_cell,
        threshold=threshold,
    )
    return report_compute(params).as_dict()
