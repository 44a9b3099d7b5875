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
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from .enums import AssessmentStatus
from .selectors import MilestoneView
from .validation import AnswerInput, MilestoneInput, Problem, ReferentialContext

NOT_APPLICABLE = "na"
MILESTONE_FIELD = re.compile(r"^milestone-(\d{1,4})-(level|due_on|remove)$")
MAX_MILESTONE_ROWS = 20
MAX_BLOCKERS = 100


def _text(value: str | None, limit: int) -> str:
    """Typed text as stored: NUL characters removed (PostgreSQL text and JSON refuse them, which
    made a pasted NUL a server error), cut at `limit`."""
    return (value or "").replace("\x00", "")[:limit]


def _int_or_raw(value: str) -> int | str | None:
    value = _text(value, 100).strip()
    if value == "":
        return None
    return int(value) if value.isdigit() and len(value) < 6 else value


def answer_input_from_post(axis_code: str, data: QueryDict, context: ReferentialContext) -> AnswerInput:
    level_raw = _text(data.get("level"), 100).strip()
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
        level, due_on = _text(row.get("level"), 100).strip(), _text(row.get("due_on"), 100).strip()
        if not level and not due_on:
            continue
        milestones.append(MilestoneInput(level=_int_or_raw(level), due_on=due_on or None))
    # Unknown codes are kept: the validator names them.
    blockers = [_text(code, 100) for code in data.getlist("blockers")[:MAX_BLOCKERS] if code]
    return AnswerInput(
        axis=axis_code,
        level=None if not_applicable else _int_or_raw(level_raw),
        not_applicable=not_applicable,
        not_applicable_reason=_text(data.get("not_applicable_reason"), 5000),
        milestones=milestones,
        blockers=blockers,
        comment=_text(data.get("comment"), 10000),
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


# --- Drafts (autosave) -------------------------------------------------------------------------------


def draft_data(answer: AnswerInput) -> dict[str, Any]:
    """What was typed in an axis, as JSON for `AnswerDraft.data` (values kept as typed)."""
    return {
        "level": answer.level,
        "not_applicable": answer.not_applicable,
        "not_applicable_reason": answer.not_applicable_reason,
        "comment": answer.comment,
        "milestones": [
            {"level": m.level, "due_on": None if m.due_on is None else str(m.due_on)}
            for m in answer.milestones
        ],
        "blockers": list(answer.blockers),
    }


def _whole(value: Any) -> int | None:
    value = _int_or_raw(str(value if value is not None else ""))
    return value if isinstance(value, int) else None


def draft_state(data: Mapping[str, Any], context: ReferentialContext) -> dict[str, Any]:
    """The questionnaire item's fields shown from a draft (see `AxisItem`); unknown or malformed
    values are dropped, never trusted."""
    level = data.get("level")
    milestones = [
        MilestoneView(level=_whole(m.get("level")), due_on=m.get("due_on") or None)
        for m in data.get("milestones") or []
        if isinstance(m, Mapping)
    ][:MAX_MILESTONE_ROWS]
    codes = [code for code in data.get("blockers") or [] if isinstance(code, str)]
    return {
        "level": level if isinstance(level, int) and not isinstance(level, bool) else None,
        "not_applicable": bool(data.get("not_applicable")),
        "not_applicable_reason": str(data.get("not_applicable_reason") or ""),
        "comment": str(data.get("comment") or ""),
        "milestones": milestones,
        "blocker_ids": {context.blocker_codes[c] for c in codes if c in context.blocker_codes},
    }


# --- Review (owned by the review): the queue's filters and sort, assignment, threads --------------


class ReviewQueueForm(ReviewFilterForm):
    """The queue's filters (those of `ReviewFilterForm`), the type / category by its label, the
    reviewer assignment, and the sort order (set by the column headers, kept in a hidden field)."""

    assigned = forms.ChoiceField(
        label=_("Reviewer"),
        required=False,
        choices=[
            ("", _("Any reviewer")),
            ("me", _("Assigned to me")),
            ("unassigned", _("Unassigned")),
            ("others", _("Assigned to someone else")),
        ],
    )
    sort = forms.CharField(required=False, widget=forms.HiddenInput, max_length=20)

    def __init__(self, *args, type_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type_or_category"] = forms.ChoiceField(
            label=_("Service type or product category"),
            required=False,
            choices=[("", _("All types and categories")), *type_choices],
        )

    def clean_sort(self) -> str:
        from .selectors import REVIEW_SORTS

        value = (self.cleaned_data.get("sort") or "").strip()
        return value if value.lstrip("-") in REVIEW_SORTS else ""


class ReviewerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class AssignForm(forms.Form):
    reviewer = ReviewerChoiceField(
        label=_("Reviewer"), required=False, queryset=None, empty_label=_("Nobody (unassigned)")
    )

    def __init__(self, *args, reviewers=None, **kwargs):
        super().__init__(*args, **kwargs)
        field: forms.ModelChoiceField = self.fields["reviewer"]  # type: ignore[assignment]
        field.queryset = reviewers


class AxisCommentForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
