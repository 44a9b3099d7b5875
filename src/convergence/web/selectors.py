"""What the home page tells a signed-in user: their open campaigns and what is left to do."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q

from convergence.assessments.enums import AssessmentStatus, CampaignStatus
from convergence.assessments.models import Assessment
from convergence.assessments.selectors import assessments_editable_by, assessments_visible_to
from convergence.organisations.models import Organisation
from convergence.organisations.tenancy import is_agency


@dataclass(frozen=True)
class CampaignToDo:
    code: str
    title: str
    closes_on: datetime.date
    days_left: int
    draft: int
    returned: int
    submitted: int
    validated: int

    @property
    def unfinished(self) -> int:
        return self.draft + self.returned


def open_campaigns_to_do(organisation: Organisation | None, *, today: datetime.date) -> list[CampaignToDo]:
    """Per open campaign, the organisation's own assessments by status (one grouped query);
    for the agency, every assessment of the campaign."""
    assessments = (
        assessments_visible_to(organisation)
        if is_agency(organisation)
        else assessments_editable_by(organisation)
    )
    rows = (
        assessments.filter(campaign__status=CampaignStatus.OPEN)
        .values("campaign__code", "campaign__title", "campaign__closes_on")
        .annotate(
            draft=Count("pk", filter=Q(status=AssessmentStatus.DRAFT)),
            returned=Count("pk", filter=Q(status=AssessmentStatus.RETURNED)),
            submitted=Count("pk", filter=Q(status=AssessmentStatus.SUBMITTED)),
            validated=Count("pk", filter=Q(status=AssessmentStatus.VALIDATED)),
        )
        .order_by("campaign__closes_on", "campaign__code")
    )
    return [
        CampaignToDo(
            code=row["campaign__code"],
            title=row["campaign__title"],
            closes_on=row["campaign__closes_on"],
            days_left=(row["campaign__closes_on"] - today).days,
            draft=row["draft"],
            returned=row["returned"],
            submitted=row["submitted"],
            validated=row["validated"],
        )
        for row in rows
    ]


def awaiting_review_count(organisation: Organisation | None) -> int | None:
    """Submitted assessments waiting for the agency; None for anyone else."""
    if not is_agency(organisation):
        return None
    return Assessment.objects.filter(status=AssessmentStatus.SUBMITTED).count()
