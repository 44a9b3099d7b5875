"""Reading the questionnaire's per-axis form and the review forms.

The per-axis form is plain HTML (radio buttons, repeated milestone rows, checkboxes) so that it
works without JavaScript; `answer_input_from_post` turns what the browser sent into an
`AnswerInput` and leaves every judgement to `validation.answer_problems`, the rules shared with
the importers. Milestone rows are named `milestone-<n>-level` / `milestone-<n>-due_on` (the
script that adds rows picks a fresh n); a row left blank, or ticked "remove", is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from .enums import AssessmentStatus
from .selectors import MilestoneView
from .validation import AnswerInput, MilestoneInput, Problem, ReferentialContext

NOT_APPLICABLE = "na"
MILESTONE_FIELD = re.compile(r"^milestone-(\d{1,4})-(level|due_on|remove)$")
MAX_MILESTONE_ROWS = 20


def _int_or_raw(value: str) -> int | str | None:
    value = (value or "").strip()
    if value == "":
        return None
    return int(value) if value.isdigit() and len(value) < 6 else value


def answer_input_from_post(axis_code: str, data: QueryDict, context: ReferentialContext) -> AnswerInput:
    level_raw = (data.get("level") or "").strip()
    not_applicable = level_raw == NOT_APPLICABLE
    rows: dict[int, dict[str, str]] = {}
    for key in data:
        match = MILESTONE_FIELD.match(key)
        if match:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = data.get(key, "")
    milestones = []
    for index in sorted(rows)[:MAX_MILESTONE_ROWS]:
        row = rows[index]
        if row.get("remove"):
            continue
        level, due_on = (row.get("level") or "").strip(), (row.get("due_on") or "").strip()
        if not level and not due_on:
            continue
        milestones.append(MilestoneInput(level=_int_or_raw(level), due_on=due_on or None))
    # Unknown codes are kept: the validator names them.
    blockers = [code for code in data.getlist("blockers") if code]
    return AnswerInput(
        axis=axis_code,
        level=None if not_applicable else _int_or_raw(level_raw),
        not_applicable=not_applicable,
        not_applicable_reason=(data.get("not_applicable_reason") or "")[:5000],
        milestones=milestones,
        blockers=blockers,
        comment=(data.get("comment") or "")[:10000],
    )


def milestone_views(answer: AnswerInput, errors: Mapping[str, str]) -> list[MilestoneView]:
    """The rows as typed, each with its messages (the validator's index is the row's)."""
    return [
        MilestoneView(
            level=m.level,
            due_on=m.due_on,
            level_error=errors.get(f"milestones-{i}-level", ""),
            due_on_error=errors.get(f"milestones-{i}-due_on", ""),
        )
        for i, m in enumerate(answer.milestones)
    ]


def problems_by_field(problems: list[Problem]) -> dict[str, str]:
    """`{"level": "...", "milestones[0].due_on": "..."}` → keys used by the template to place
    each message next to its field (several problems on one field are joined)."""
    found: dict[str, str] = {}
    for problem in problems:
        key = problem.field.replace("[", "-").replace("].", "-").replace("]", "")
        found[key] = f"{found[key]} {problem.message}" if key in found else problem.message
    return found


def version_from(data: Mapping[str, str]) -> int | None:
    try:
        return int(data.get("version", ""))
    except (TypeError, ValueError):
        return None


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for returning it"),
        help_text=_("The organisation reads it and corrects its answers."),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class AssessmentFilterForm(forms.Form):
    """Filters shared by the list of my assessments and the review queue."""

    campaign = forms.ChoiceField(label=_("Campaign"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *AssessmentStatus.choices]
    )
    q = forms.CharField(label=_("Product or service name"), required=False, max_length=200)

    def __init__(self, *args, campaigns=(), **kwargs):
        super().__init__(*args, **kwargs)
        campaign_field: forms.ChoiceField = self.fields["campaign"]  # type: ignore[assignment]
        campaign_field.choices = [("", _("All campaigns")), *[(c.code, c.title) for c in campaigns]]


class ReviewFilterForm(AssessmentFilterForm):
    region = forms.ChoiceField(label=_("Region"), required=False)
    type_or_category = forms.CharField(label=_("Service type or product category (code)"), required=False)
    late = forms.BooleanField(label=_("Only with late milestones"), required=False)

    def __init__(self, *args, **kwargs):
        from convergence.lib.regions import REGION_CHOICES

        super().__init__(*args, **kwargs)
        region_field: forms.ChoiceField = self.fields["region"]  # type: ignore[assignment]
        region_field.choices = [("", _("All regions")), *REGION_CHOICES]
