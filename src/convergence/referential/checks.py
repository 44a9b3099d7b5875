"""Pure rules of the referential's pages: plain values in, located problems out."""

from __future__ import annotations

import datetime
from collections.abc import Collection

from django.utils.translation import gettext_lazy as _

from convergence.lib.checks import Problem

from .enums import ANSWERED_STATUSES, CommentTarget

COMMENT_MAX_LENGTH = 5_000


def consultation_dates_problems(opens_on: datetime.date, closes_on: datetime.date) -> list[Problem]:
    if closes_on < opens_on:
        return [Problem("closes_on", _("The closing date comes before the opening date."))]
    return []


def comment_problems(
    *,
    target: str,
    axis_code: str,
    level: int | None,
    target_code: str,
    text: str,
    axis_codes: Collection[str],
    target_codes: Collection[str],
    levels: range,
) -> list[Problem]:
    """A comment names what it is about: an axis (`axis_code`); a level descriptor (`axis_code`
    and `level`); an expected level (`axis_code` and the type or category `target_code`); a type
    or category (`target_code`). Codes must be those of the edition under consultation."""
    problems: list[Problem] = []
    if target not in CommentTarget.values:
        return [Problem("target", _("Choose what the comment is about."))]
    needs_axis = target in (CommentTarget.AXIS, CommentTarget.DESCRIPTOR, CommentTarget.EXPECTED)
    needs_target = target in (CommentTarget.EXPECTED, CommentTarget.TYPE)
    if needs_axis and axis_code not in axis_codes:
        problems.append(Problem("axis_code", _("Choose an axis of this edition.")))
    if target == CommentTarget.DESCRIPTOR and (level is None or level not in levels):
        problems.append(
            Problem(
                "level",
                _("Choose a level of the scale, %(low)s to %(high)s."),
                {"low": levels.start, "high": levels.stop - 1},
            )
        )
    if needs_target and target_code not in target_codes:
        problems.append(
            Problem("target_code", _("Choose a service type or product category of this edition."))
        )
    if not text.strip():
        problems.append(Problem("text", _("Write the comment.")))
    elif len(text) > COMMENT_MAX_LENGTH:
        problems.append(
            Problem(
                "text",
                _("At most %(limit)s characters (%(length)s)."),
                {"limit": COMMENT_MAX_LENGTH, "length": len(text)},
            )
        )
    return problems


def answer_problems(*, status: str, answer: str) -> list[Problem]:
    problems: list[Problem] = []
    if status not in ANSWERED_STATUSES:
        problems.append(Problem("status", _("Mark the comment accepted, rejected or deferred.")))
    if not answer.strip():
        problems.append(Problem("answer", _("Write the answer.")))
    return problems
