"""Checking one answer against a referential, without touching the database.

The questionnaire (form posts), the REST API and the bulk importers (JSON / CSV / XLSX) all
validate answers with `answer_problems`, so that a rule lives in one place. The function is
pure: everything it needs about the referential is in a `ReferentialContext`, built once per
referential with a fixed number of queries (`ReferentialContext.from_referential`), then reused
for any number of answers (an import of 10,000 rows runs the same 3 queries).

Every problem is returned, not only the first, as a `Problem(field, message)`; `field` is the
location of the problem inside the answer (`level`, `milestones[1].due_on`, `blockers[0]`),
prefixed with `field_prefix` when given (`answers[3].level`, `row 45, column level`...).
An empty list means the answer is valid.

Rules (see docs/assessments.md):

- the axis must exist in the referential and apply to the subject's service type or product
  category (it is a key of that type's / category's `expected` map);
- `level` is an integer of the scale (`scale_min`..`scale_max`), or absent;
- "not applicable" carries no level and needs a reason; it has no milestones;
- milestones: each has a level of the scale and a date; taken in date order, levels are above
  the current level and strictly increase, and no two milestones share a date; a date in the
  past is refused unless `allow_past_milestones` (imports of past campaigns keep them);
- blockers are codes of the referential's blocker categories, each cited once.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from convergence.lib.dates import as_date

if TYPE_CHECKING:
    from convergence.referential.models import Referential

SERVICE = "service"
PRODUCT = "product"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an answer: where (`field`) and what (`message`, translated)."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


@dataclass(frozen=True)
class MilestoneInput:
    """A step of a trajectory as typed or imported. Values are not trusted: a level may be a
    string, a date may be an ISO string or missing; the validator says what is wrong."""

    level: Any
    due_on: Any


@dataclass(frozen=True)
class AnswerInput:
    """One answer as received (form, API, import row). `axis` is the axis code.

    For imports (contract section 3) `level=None` means not applicable: build it with
    `AnswerInput.from_import(...)`, which sets `not_applicable` accordingly.
    """

    axis: str
    level: Any = None
    not_applicable: bool = False
    not_applicable_reason: str = ""
    milestones: Sequence[MilestoneInput] = ()
    blockers: Sequence[str] = ()
    comment: str = ""

    @classmethod
    def from_import(
        cls,
        *,
        axis: str,
        level: Any,
        not_applicable_reason: str = "",
        milestones: Iterable[Mapping[str, Any]] = (),
        blockers: Iterable[str] = (),
        comment: str = "",
    ) -> AnswerInput:
        """The dataset format writes "not applicable" as `level: null` plus a reason."""
        return cls(
            axis=axis,
            level=level,
            not_applicable=level is None,
            not_applicable_reason=not_applicable_reason or "",
            milestones=tuple(
                MilestoneInput(level=m.get("level"), due_on=m.get("due_on")) for m in milestones
            ),
            blockers=tuple(blockers),
            comment=comment or "",
        )


@dataclass(frozen=True)
class AxisInfo:
    id: int
    code: str
    position: int


@dataclass(frozen=True)
class ReferentialContext:
    """What validation needs to know about one referential edition, held in memory.

    `expectations[(kind, code)]` maps the axis codes that apply to a service type
    (`kind="service"`) or product category (`kind="product"`) to their expected level (or None
    when the axis applies with no expected level).
    """

    referential_id: int | None
    code: str
    scale_min: int
    scale_max: int
    axes: Mapping[str, AxisInfo]
    expectations: Mapping[tuple[str, str], Mapping[str, int | None]]
    blocker_codes: Mapping[str, int]
    scale_labels: Mapping[int, str] = field(default_factory=dict)

    @classmethod
    def from_referential(cls, referential: Referential) -> ReferentialContext:
        """Load a referential's axes, expectations and blocker categories: 4 queries, whatever
        its size."""
        from convergence.referential.models import BlockerCategory, Expectation

        axes = {
            code: AxisInfo(id=pk, code=code, position=position)
            for pk, code, position in referential.axes.order_by("position", "pk").values_list(
                "id", "code", "position"
            )
        }
        expectations: dict[tuple[str, str], dict[str, int | None]] = {}
        rows = (
            Expectation.objects.filter(referential=referential)
            .order_by("axis__position", "axis_id")
            .values_list("axis__code", "service_type__code", "product_category__code", "expected_level")
        )
        for axis_code, type_code, category_code, expected in rows:
            key = (SERVICE, type_code) if type_code is not None else (PRODUCT, category_code)
            expectations.setdefault(key, {})[axis_code] = expected
        blocker_codes = dict(
            BlockerCategory.objects.filter(referential=referential)
            .order_by("position")
            .values_list("code", "id")
        )
        # str(level) is the label in the active language (English label on English pages).
        scale_labels = {level.value: str(level) for level in referential.scale_levels.all()}
        return cls(
            referential_id=referential.pk,
            code=referential.code,
            scale_min=referential.scale_min,
            scale_max=referential.scale_max,
            axes=axes,
            expectations=expectations,
            blocker_codes=blocker_codes,
            scale_labels=scale_labels,
        )

    def knows_target(self, subject_kind: str, type_or_category: str) -> bool:
        return (subject_kind, type_or_category) in self.expectations

    def applicable_axes(self, subject_kind: str, type_or_category: str) -> dict[str, int | None]:
        """Axis code → expected level (or None) for the axes that apply, in referential order."""
        applicable = self.expectations.get((subject_kind, type_or_category), {})
        return {code: applicable[code] for code in self.axes if code in applicable}

    def expected_level(self, subject_kind: str, type_or_category: str, axis_code: str) -> int | None:
        return self.expectations.get((subject_kind, type_or_category), {}).get(axis_code)

    def in_scale(self, value: Any) -> bool:
        return _is_int(value) and self.scale_min <= value <= self.scale_max


def _shown_date(value: datetime.date) -> str:
    """A date in a message, in the reader's language (31/12/2026 on French pages)."""
    return date_format(value, "SHORT_DATE_FORMAT")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def answer_problems(
    answer: AnswerInput,
    *,
    context: ReferentialContext,
    subject_kind: str,
    type_or_category: str,
    allow_past_milestones: bool = False,
    today: datetime.date | None = None,
    field_prefix: str = "",
) -> list[Problem]:
    """Everything wrong with `answer` for a subject of this kind and type/category.

    `today` defaults to the current date (pass it to make results reproducible).
    """
    problems: list[Problem] = []

    def add(where: str, message: str) -> None:
        location = f"{field_prefix}.{where}" if field_prefix and where else (field_prefix or where)
        problems.append(Problem(location, message))

    scale = f"{context.scale_min}..{context.scale_max}"

    # The axis: known, and applies to the subject's type or category.
    if answer.axis not in context.axes:
        add(
            "axis",
            _('unknown axis "%(axis)s"; known axes: %(known)s')
            % {"axis": answer.axis, "known": ", ".join(context.axes) or "-"},
        )
    elif not context.knows_target(subject_kind, type_or_category):
        if subject_kind == SERVICE:
            message = _('unknown service type "%(code)s" in referential %(ref)s')
        else:
            message = _('unknown product category "%(code)s" in referential %(ref)s')
        add("axis", message % {"code": type_or_category, "ref": context.code})
    elif answer.axis not in context.applicable_axes(subject_kind, type_or_category):
        add(
            "axis",
            _('axis %(axis)s does not apply to "%(code)s"; applicable axes: %(known)s')
            % {
                "axis": answer.axis,
                "code": type_or_category,
                "known": ", ".join(context.applicable_axes(subject_kind, type_or_category)) or "-",
            },
        )

    # Level or "not applicable".
    level = answer.level
    level_ok = False
    if answer.not_applicable:
        if level is not None:
            add("level", _("a not applicable axis has no level; remove the level or untick not applicable"))
        if not (answer.not_applicable_reason or "").strip():
            add("not_applicable_reason", _("give the reason why the axis does not apply"))
        if answer.milestones:
            add("milestones", _("a not applicable axis has no trajectory; remove its milestones"))
    elif level is not None:
        if not _is_int(level):
            add(
                "level",
                _('level "%(level)s" is not a whole number of the scale %(scale)s')
                % {"level": level, "scale": scale},
            )
        elif not context.in_scale(level):
            add(
                "level",
                _("level %(level)s is outside the scale %(scale)s") % {"level": level, "scale": scale},
            )
        else:
            level_ok = True

    # The trajectory.
    if not answer.not_applicable:
        today = today or datetime.date.today()
        dated: list[tuple[datetime.date, int, int]] = []  # (due_on, level, original index)
        for index, milestone in enumerate(answer.milestones):
            where = f"milestones[{index}]"
            m_level = milestone.level
            m_date = as_date(milestone.due_on)
            m_level_ok = False
            if m_level is None or m_level == "":
                add(f"{where}.level", _("give the level to reach"))
            elif not _is_int(m_level):
                add(
                    f"{where}.level",
                    _('level "%(level)s" is not a whole number of the scale %(scale)s')
                    % {"level": m_level, "scale": scale},
                )
            elif not context.in_scale(m_level):
                add(
                    f"{where}.level",
                    _("level %(level)s is outside the scale %(scale)s") % {"level": m_level, "scale": scale},
                )
            elif level_ok and m_level <= level:
                add(
                    f"{where}.level",
                    _("a milestone must be above the current level (%(level)s)") % {"level": level},
                )
            else:
                m_level_ok = True
            if milestone.due_on is None or milestone.due_on == "":
                add(f"{where}.due_on", _("give the date by which the level will be reached"))
            elif m_date is None:
                add(
                    f"{where}.due_on",
                    _('"%(value)s" is not a date (YYYY-MM-DD)') % {"value": milestone.due_on},
                )
            elif m_date < today and not allow_past_milestones:
                add(f"{where}.due_on", _("the date %(date)s is in the past") % {"date": _shown_date(m_date)})
            if m_level_ok and m_date is not None:
                dated.append((m_date, m_level, index))
        # Order of entry does not matter: the trajectory is read in date order.
        dated.sort(key=lambda item: (item[0], item[2]))
        for (prev_date, prev_level, _prev_index), (cur_date, cur_level, index) in zip(
            dated, dated[1:], strict=False
        ):
            where = f"milestones[{index}]"
            if cur_date == prev_date:
                add(
                    f"{where}.due_on",
                    _("two milestones share the date %(date)s") % {"date": _shown_date(cur_date)},
                )
            elif cur_level <= prev_level:
                add(
                    f"{where}.level",
                    _(
                        "levels must increase over time: level %(level)s on %(date)s is not above "
                        "level %(previous)s on %(previous_date)s"
                    )
                    % {
                        "level": cur_level,
                        "date": _shown_date(cur_date),
                        "previous": prev_level,
                        "previous_date": _shown_date(prev_date),
                    },
                )

    # Blockers.
    seen: set[str] = set()
    for index, code in enumerate(answer.blockers):
        where = f"blockers[{index}]"
        if code not in context.blocker_codes:
            add(
                where,
                _('unknown blocker category "%(code)s"; known categories: %(known)s')
                % {"code": code, "known": ", ".join(context.blocker_codes) or "-"},
            )
        elif code in seen:
            add(where, _('blocker category "%(code)s" is cited twice') % {"code": code})
        seen.add(code)

    return problems
