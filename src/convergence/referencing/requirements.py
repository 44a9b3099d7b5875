"""The dossier beside its requirements: what the product's current validated assessment says
for each requirement of the programme (read once, then the pure rules of `checks`)."""

from __future__ import annotations

from dataclasses import dataclass

from convergence.assessments.enums import AssessmentStatus
from convergence.assessments.models import Answer, Assessment, Evidence
from convergence.catalog.models import Subject
from convergence.lib.checks import Problem

from . import checks
from .models import Dossier, Finding, Programme, Requirement


@dataclass(frozen=True)
class RequirementRow:
    requirement: Requirement
    applies: bool
    gaps: list[Problem]
    explanation: str
    finding: Finding | None

    @property
    def met(self) -> bool:
        return self.applies and not self.gaps

    @property
    def explained(self) -> bool:
        return bool(self.explanation.strip())


def current_assessment(subject: Subject, programme: Programme) -> Assessment | None:
    """The subject's latest validated assessment of the programme's referential edition."""
    return (
        Assessment.objects.filter(
            subject=subject, status=AssessmentStatus.VALIDATED, campaign__referential=programme.referential_id
        )
        .select_related("campaign")
        .order_by("-campaign__closes_on", "-reviewed_at", "-pk")
        .first()
    )


def spec(requirement: Requirement) -> checks.RequirementSpec:
    return checks.RequirementSpec(
        code=requirement.code,
        minimum_levels=requirement.minimum_levels,
        evidence_on=requirement.evidence_on,
        charter=requirement.charter,
        applies_if_question=requirement.applies_if_question,
        applies_if_answer=requirement.applies_if_answer,
    )


def requirement_rows(dossier: Dossier, *, assessment: Assessment | None = None) -> list[RequirementRow]:
    """Each requirement of the dossier's programme, applicable or not, with its gaps (three
    queries whatever the number of requirements)."""
    programme = dossier.programme
    if assessment is None:
        assessment = dossier.assessment or current_assessment(dossier.subject, programme)
    levels: dict[str, int | None] = {}
    with_evidence: set[str] = set()
    if assessment is not None:
        levels = {
            code: (None if not_applicable else level)
            for code, level, not_applicable in Answer.objects.filter(assessment=assessment).values_list(
                "axis__code", "level", "not_applicable"
            )
        }
        with_evidence = set(
            Evidence.objects.filter(answer__assessment=assessment).values_list(
                "answer__axis__code", flat=True
            )
        )
    findings = {f.requirement_id: f for f in dossier.findings.all()} if dossier.pk else {}
    rows = []
    for requirement in programme.requirements.order_by("position"):
        requirement_spec = spec(requirement)
        applies = checks.applicable(requirement_spec, dossier.eligibility_answers)
        gaps = (
            checks.requirement_gaps(
                requirement_spec,
                has_validated_assessment=assessment is not None,
                levels=levels,
                axes_with_evidence=with_evidence,
                charter_accepted=dossier.charter_accepted_at is not None,
            )
            if applies
            else []
        )
        rows.append(
            RequirementRow(
                requirement=requirement,
                applies=applies,
                gaps=gaps,
                explanation=dossier.explanations.get(requirement.code, ""),
                finding=findings.get(requirement.pk),
            )
        )
    return rows
