"""The programme file (YAML): its shape, checked by pydantic, and the canonical export.

    code: segur-dpi-2026            # slug; a new version when the content changes
    title: Ségur numérique — DPI, vague 2
    referential: doctrine-2023      # the referential edition (code) the requirements read
    scope: products                 # or services
    eligible: [dpi]                 # product categories (or service types) of that edition
    opens_on: 2026-01-01
    closes_on: 2026-06-30
    validity_months: 36
    charter: "Text the vendor accepts"
    questions:
      - {code: mes, text: "Does it exchange with Mon espace santé?"}
    requirements:
      - code: ins
        title: Identité nationale de santé
        minimum_levels: {INS: 2}    # axis code: minimum level of the current validated assessment
        evidence_on: [INS]          # axes whose answer carries evidence
        charter: false
        applies_if: {question: mes, answer: true}   # optional

Problems are located by path (`requirements[1].minimum_levels.INS`); the rules that need the
database (known edition, axes, categories) are `checks.programme_problems`.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from convergence.referential.schema import ReferentialFileError, yaml_load

SLUG = r"^[a-z0-9][a-z0-9_-]*$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AppliesIf(Strict):
    question: str = Field(pattern=SLUG, max_length=50)
    answer: bool = True


class QuestionDoc(Strict):
    code: str = Field(pattern=SLUG, max_length=50)
    text: str = Field(min_length=1, max_length=500)


class RequirementDoc(Strict):
    code: str = Field(pattern=SLUG, max_length=50)
    title: str = Field(min_length=1, max_length=300)
    minimum_levels: dict[str, int] = Field(default_factory=dict)
    evidence_on: list[str] = Field(default_factory=list)
    charter: bool = False
    applies_if: AppliesIf | None = None


class ProgrammeDoc(Strict):
    code: str = Field(pattern=SLUG, max_length=100)
    title: str = Field(min_length=1, max_length=300)
    description: str = ""
    referential: str = Field(min_length=1, max_length=100)
    scope: str = Field(pattern=r"^(products|services)$")
    eligible: list[str] = Field(min_length=1)
    opens_on: datetime.date
    closes_on: datetime.date
    validity_months: int = Field(ge=1, le=120)
    charter: str = ""
    questions: list[QuestionDoc] = Field(default_factory=list)
    requirements: list[RequirementDoc] = Field(min_length=1)


class ProgrammeFileError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def _location(loc: tuple[Any, ...]) -> str:
    where = ""
    for part in loc:
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    return where or "file"


def programme_document_parse(source: str | bytes) -> ProgrammeDoc:
    """The file as a checked document, or `ProgrammeFileError` with every located problem."""
    try:
        data = yaml_load(source)
    except ReferentialFileError as error:
        raise ProgrammeFileError(error.problems) from None
    if not isinstance(data, dict):
        raise ProgrammeFileError(["file: expected a mapping (code, title, referential, ...)"])
    try:
        return ProgrammeDoc.model_validate(data)
    except ValidationError as error:
        raise ProgrammeFileError(
            [f"{_location(e['loc'])}: {e['msg']}" for e in error.errors(include_url=False)]
        ) from None


def programme_document_dump(doc: ProgrammeDoc) -> str:
    data = doc.model_dump(mode="json", exclude_none=True)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def document_hash(doc: ProgrammeDoc) -> str:
    canonical = json.dumps(doc.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
