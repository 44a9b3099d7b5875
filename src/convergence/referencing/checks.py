"""Pure rules of referencing: plain values in, located problems (or findings) out.

- `programme_problems`: a programme document against what its referential edition defines.
- `applicable`: which requirements apply given the eligibility answers.
- `requirement_gaps`: why a requirement is not met by a product's current validated
  assessment (an empty list: met).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from convergence.lib.checks import Problem


def programme_problems(
    doc,
    *,
    referential_exists: bool,
    axis_codes: set[str],
    eligible_codes: set[str],
    scale: tuple[int, int] = (0, 3),
) -> list[Problem]:
    """`doc` is a `schema.ProgrammeDoc`; `axis_codes` and `eligible_codes` are the edition's
    (product categories or service types, per the programme's scope)."""
    problems: list[Problem] = []
    if not referential_exists:
        return [
            Problem(
                "referential", _("No referential edition has the code “%(code)s”."), {"code": doc.referential}
            )
        ]
    if doc.closes_on < doc.opens_on:
        problems.append(Problem("closes_on", _("The closing date comes before the opening date.")))
    for i, code in enumerate(doc.eligible):
        if code not in eligible_codes:
            problems.append(
                Problem(
                    f"eligible[{i}]",
                    _("“%(code)s” is not a category or service type of this edition."),
                    {"code": code},
                )
            )
    questions = {q.code for q in doc.questions}
    if len(questions) != len(doc.questions):
        problems.append(Problem("questions", _("Two questions have the same code.")))
    if len({r.code for r in doc.requirements}) != len(doc.requirements):
        problems.append(Problem("requirements", _("Two requirements have the same code.")))
    low, high = scale
    for i, req in enumerate(doc.requirements):
        where = f"requirements[{i}]"
        for axis, level in req.minimum_levels.items():
            if axis not in axis_codes:
                problems.append(
                    Problem(
                        f"{where}.minimum_levels.{axis}",
                        _("No axis “%(code)s” in this edition."),
                        {"code": axis},
                    )
                )
            elif not low <= level <= high:
                problems.append(
                    Problem(
                        f"{where}.minimum_levels.{axis}",
                        _("The level must be between %(low)s and %(high)s."),
                        {"low": low, "high": high},
                    )
                )
        for j, axis in enumerate(req.evidence_on):
            if axis not in axis_codes:
                problems.append(
                    Problem(
                        f"{where}.evidence_on[{j}]", _("No axis “%(code)s” in this edition."), {"code": axis}
                    )
                )
        if req.applies_if is not None and req.applies_if.question not in questions:
            problems.append(
                Problem(
                    f"{where}.applies_if.question",
                    _("No eligibility question “%(code)s”."),
                    {"code": req.applies_if.question},
                )
            )
        if req.charter and not doc.charter.strip():
            problems.append(
                Problem(
                    f"{where}.charter", _("The requirement asks for the charter, but the programme has none.")
                )
            )
    return problems


@dataclass(frozen=True)
class RequirementSpec:
    code: str
    minimum_levels: Mapping[str, int]
    evidence_on: Iterable[str]
    charter: bool
    applies_if_question: str = ""
    applies_if_answer: bool = True


def applicable(requirement: RequirementSpec, answers: Mapping[str, bool]) -> bool:
    """A requirement with a condition applies when its question was answered as it says (an
    unanswered question: it applies, so that nothing is skipped by silence)."""
    if not requirement.applies_if_question:
        return True
    answer = answers.get(requirement.applies_if_question)
    return answer is None or answer == requirement.applies_if_answer


def requirement_gaps(
    requirement: RequirementSpec,
    *,
    has_validated_assessment: bool,
    levels: Mapping[str, int | None],
    axes_with_evidence: set[str],
    charter_accepted: bool,
) -> list[Problem]:
    """Why the requirement is not met (empty: met). `levels`: axis code -> level of the current
    validated assessment (None: not applicable or unanswered)."""
    gaps: list[Problem] = []
    if (requirement.minimum_levels or list(requirement.evidence_on)) and not has_validated_assessment:
        return [
            Problem("assessment", _("The product has no validated assessment of the programme's edition."))
        ]
    for axis, minimum in requirement.minimum_levels.items():
        level = levels.get(axis)
        if level is None or level < minimum:
            gaps.append(
                Problem(
                    axis,
                    _("%(axis)s: level %(level)s, at least %(minimum)s required."),
                    {"axis": axis, "level": "—" if level is None else level, "minimum": minimum},
                )
            )
    for axis in requirement.evidence_on:
        if axis not in axes_with_evidence:
            gaps.append(Problem(axis, _("%(axis)s: no evidence attached."), {"axis": axis}))
    if requirement.charter and not charter_accepted:
        gaps.append(Problem("charter", _("The charter has not been accepted.")))
    return gaps
