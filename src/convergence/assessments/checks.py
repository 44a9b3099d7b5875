"""The assessments' state rules, as pure functions: plain values in, located problems out.

Which write a campaign's state and an assessment's status allow, and when an assessment is
complete enough to be submitted. No database access and no model instances: the services call
these with the values of the rows they locked, and the bulk importer calls them on its records
(`problem.located("assessments[3]")`), so the rule is written once (see docs/assessments.md,
"Closed campaigns are frozen").
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from enum import StrEnum

from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from convergence.lib.checks import Problem

from .enums import EDITABLE_STATUSES, AssessmentStatus, CampaignStatus


class Write(StrEnum):
    """The writes on an assessment, each with its own state rule."""

    ANSWER = "answer"  # an answer, its trajectory, blockers or evidence (the organisation)
    SUBMIT = "submit"  # submit or resubmit (the organisation)
    RETURN = "return"  # send back for correction (the agency)
    VALIDATE = "validate"  # accept (the agency)


# In which campaign states each write is allowed. A closed campaign is frozen: its reported
# figures (submitted and validated assessments) can no longer change. Validating a submitted
# assessment keeps it in the report with the same answers, so the agency may still finish its
# review after the closing date; returning it would take it out of the report (and reopen it
# for edits), so it is refused.
CAMPAIGN_STATES: dict[Write, frozenset[str]] = {
    Write.ANSWER: frozenset({CampaignStatus.OPEN}),
    Write.SUBMIT: frozenset({CampaignStatus.OPEN}),
    Write.RETURN: frozenset({CampaignStatus.OPEN}),
    Write.VALIDATE: frozenset({CampaignStatus.OPEN, CampaignStatus.CLOSED}),
}

# From which assessment statuses each write is allowed.
ASSESSMENT_STATUSES: dict[Write, frozenset[str]] = {
    Write.ANSWER: frozenset(EDITABLE_STATUSES),
    Write.SUBMIT: frozenset(EDITABLE_STATUSES),
    Write.RETURN: frozenset({AssessmentStatus.SUBMITTED}),
    Write.VALIDATE: frozenset({AssessmentStatus.SUBMITTED}),
}


def _lower(text: object) -> str:
    return str(text).lower()


_lazy_lower = lazy(_lower, str)


def _status_label(status: str) -> object:
    try:
        return _lazy_lower(AssessmentStatus(status).label)
    except ValueError:
        return status


def campaign_state_problems(campaign_status: str, *, write: Write, campaign_code: str = "") -> list[Problem]:
    """Whether a campaign in `campaign_status` accepts the write (located at `campaign`)."""
    if campaign_status in CAMPAIGN_STATES[write]:
        return []
    params = {"campaign": campaign_code}
    if campaign_status == CampaignStatus.CLOSED:
        if write == Write.RETURN:
            template = _(
                "The campaign %(campaign)s is closed: its assessments are frozen. A submitted "
                "assessment can still be validated, no longer returned."
            )
        else:
            template = _(
                "The campaign %(campaign)s is closed: its assessments are frozen and can no longer "
                "be changed nor submitted."
            )
    elif campaign_status == CampaignStatus.DRAFT:
        template = _("The campaign %(campaign)s is not open yet: its assessments cannot be changed.")
    else:
        template = _("The campaign %(campaign)s is in an unknown state (%(status)s).")
        params["status"] = campaign_status
    return [Problem("campaign", template, params)]


def assessment_status_problems(status: str, *, write: Write) -> list[Problem]:
    """Whether an assessment in `status` accepts the write (located at `status`)."""
    if status in ASSESSMENT_STATUSES[write]:
        return []
    if write == Write.RETURN:
        return [Problem("status", _("Only a submitted assessment can be returned."))]
    if write == Write.VALIDATE:
        return [Problem("status", _("Only a submitted assessment can be validated."))]
    return [
        Problem(
            "status",
            _("This assessment is %(status)s: it can no longer be changed."),
            {"status": _status_label(status)},
        )
    ]


def write_problems(
    *, campaign_status: str, assessment_status: str, write: Write, campaign_code: str = ""
) -> list[Problem]:
    """Both state rules of a write: the campaign's first (a frozen campaign explains more than
    the assessment's status would)."""
    return campaign_state_problems(
        campaign_status, write=write, campaign_code=campaign_code
    ) or assessment_status_problems(assessment_status, write=write)


def is_answered(*, level: int | None, not_applicable: bool) -> bool:
    """An axis counts as answered with a level or "not applicable"; an answer in progress (only
    a comment, a trajectory or evidence) does not."""
    return level is not None or bool(not_applicable)


def missing_axes(applicable: Iterable[str], answered: Collection[str]) -> list[str]:
    """The applicable axis codes (in the given, referential order) that are not answered."""
    return [code for code in applicable if code not in answered]


def submission_problems(applicable: Iterable[str], answered: Collection[str]) -> list[Problem]:
    """Submitting needs every applicable axis answered (located at `answers`)."""
    missing = missing_axes(applicable, answered)
    if not missing:
        return []
    return [
        Problem(
            "answers",
            _("Answer every axis before submitting. Not answered yet: %(axes)s."),
            {"axes": ", ".join(missing)},
        )
    ]
