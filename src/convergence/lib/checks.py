"""The shape of a rule's answer: located problems, translated when shown.

Domain rules are pure functions (`organisations.checks`, `catalog.checks`,
`assessments.validation`, ...): plain values in, a list of `Problem` out, an empty list meaning
"valid". Every write path calls the same function — a service raises `ValidationError` from the
problems, a form shows each beside its field, the bulk importer prefixes the location with the
row or the JSON path (`problem.located("subjects[3]")`) — so a rule is written once.

A problem keeps its message as a lazily translated template and its parameters, so the same
problem reads in English on the command line and in the reader's language on a page.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils.functional import Promise

type Text = str | Promise


@dataclass(frozen=True)
class Problem:
    """One thing wrong: where (`field`, e.g. `siren`, `subjects[3].type`) and what."""

    field: str
    template: Text
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def message(self) -> str:
        """The message in the active language."""
        text = str(self.template)
        if not self.params:
            return text
        return text % {
            name: str(value) if isinstance(value, Promise) else value for name, value in self.params.items()
        }

    def located(self, prefix: str, *, separator: str = ".") -> Problem:
        """The same problem inside a larger record (`subjects[3]` + `type` → `subjects[3].type`)."""
        where = f"{prefix}{separator}{self.field}" if self.field and prefix else (prefix or self.field)
        return Problem(where, self.template, self.params)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def max_length(model: type[Model], field_name: str) -> int:
    """The maximum length of a model's text field: rules read lengths from the models, never
    from a second copy of the number."""
    length = model._meta.get_field(field_name).max_length  # type: ignore[union-attr]
    assert length is not None, f"{model.__name__}.{field_name} has no max_length"
    return length


def raise_if_any(problems: Iterable[Problem]) -> None:
    """Raise a `ValidationError` keyed by field (`__all__` for problems with no field)."""
    errors: dict[str, list[str]] = {}
    for problem in problems:
        errors.setdefault(problem.field or "__all__", []).append(problem.message)
    if errors:
        raise ValidationError(errors)
