"""The answer validator shared by the questionnaire, the API and the importers."""

import datetime

import pytest

from convergence.assessments.validation import (
    AnswerInput,
    MilestoneInput,
    ReferentialContext,
    answer_problems,
)
from tests import factories as f

TODAY = datetime.date(2026, 1, 10)


def context() -> ReferentialContext:
    return ReferentialContext(
        referential_id=None,
        code="ref",
        scale_min=0,
        scale_max=3,
        axes=dict.fromkeys(("INS", "DMP", "MSS", "ROR")),  # type: ignore[misc]
        expectations={("product", "dpi"): {"INS": 3, "DMP": 2, "MSS": None}, ("service", "ror"): {"ROR": 3}},
        blocker_codes={"calendrier-national": 1, "visibilite": 2},
    )


def problems(answer: AnswerInput, **kwargs) -> dict[str, str]:
    kwargs.setdefault("subject_kind", "product")
    kwargs.setdefault("type_or_category", "dpi")
    kwargs.setdefault("today", TODAY)
    return {p.field: p.message for p in answer_problems(answer, context=context(), **kwargs)}


def test_a_complete_answer_has_no_problem():
    answer = AnswerInput(
        axis="INS",
        level=1,
        milestones=[MilestoneInput(2, datetime.date(2026, 6, 30)), MilestoneInput(3, "2027-06-30")],
        blockers=["visibilite"],
    )
    assert problems(answer) == {}


def test_it_rejects_a_level_outside_the_scale():
    assert "outside the scale 0..3" in problems(AnswerInput(axis="INS", level=4))["level"]
    assert "not a whole number" in problems(AnswerInput(axis="INS", level="2"))["level"]
    assert "not a whole number" in problems(AnswerInput(axis="INS", level=True))["level"]


def test_it_rejects_an_axis_that_does_not_apply():
    found = problems(AnswerInput(axis="ROR", level=1))
    assert "does not apply" in found["axis"] and "INS, DMP, MSS" in found["axis"]
    assert "unknown axis" in problems(AnswerInput(axis="NOPE", level=1))["axis"]
    assert (
        "unknown service type"
        in problems(AnswerInput(axis="INS", level=1), subject_kind="service", type_or_category="x")["axis"]
    )


def test_an_axis_applying_with_no_expected_level_is_accepted():
    assert problems(AnswerInput(axis="MSS", level=0)) == {}


def test_not_applicable_needs_a_reason_and_no_level_nor_milestones():
    found = problems(
        AnswerInput(axis="DMP", level=2, not_applicable=True, milestones=[MilestoneInput(3, "2027-01-01")])
    )
    assert set(found) == {"level", "not_applicable_reason", "milestones"}
    assert problems(AnswerInput(axis="DMP", not_applicable=True, not_applicable_reason="no data")) == {}


def test_import_form_reads_a_null_level_as_not_applicable():
    answer = AnswerInput.from_import(axis="DMP", level=None)
    assert set(problems(answer)) == {"not_applicable_reason"}


def test_milestones_must_be_above_the_current_level_and_increase():
    found = problems(
        AnswerInput(
            axis="INS",
            level=2,
            milestones=[MilestoneInput(2, "2026-06-01"), MilestoneInput(3, "2027-01-01")],
        )
    )
    assert "above the current level (2)" in found["milestones[0].level"]
    found = problems(
        AnswerInput(
            axis="INS", level=0, milestones=[MilestoneInput(3, "2026-06-01"), MilestoneInput(2, "2027-01-01")]
        )
    )
    assert "levels must increase over time" in found["milestones[1].level"]
    found = problems(
        AnswerInput(
            axis="INS", level=0, milestones=[MilestoneInput(1, "2026-06-01"), MilestoneInput(2, "2026-06-01")]
        )
    )
    assert "share the date" in found["milestones[1].due_on"]


def test_milestones_entered_out_of_order_are_read_in_date_order():
    answer = AnswerInput(
        axis="INS", level=0, milestones=[MilestoneInput(3, "2027-06-01"), MilestoneInput(1, "2026-06-01")]
    )
    assert problems(answer) == {}


def test_milestone_level_date_and_scale_are_checked():
    found = problems(
        AnswerInput(
            axis="INS",
            level=0,
            milestones=[
                MilestoneInput(5, "2026-06-01"),
                MilestoneInput(None, "soon"),
                MilestoneInput(2, None),
            ],
        )
    )
    assert "outside the scale" in found["milestones[0].level"]
    assert found["milestones[1].level"] == "give the level to reach"
    assert "is not a date" in found["milestones[1].due_on"]
    assert "give the date" in found["milestones[2].due_on"]


def test_past_milestones_are_refused_unless_allowed():
    answer = AnswerInput(axis="INS", level=1, milestones=[MilestoneInput(2, "2021-12-31")])
    assert "in the past" in problems(answer)["milestones[0].due_on"]
    assert problems(answer, allow_past_milestones=True) == {}


def test_unknown_and_repeated_blockers_are_refused():
    found = problems(AnswerInput(axis="INS", level=1, blockers=["visibilite", "nope", "visibilite"]))
    assert "unknown blocker category" in found["blockers[1]"]
    assert "cited twice" in found["blockers[2]"]


def test_field_prefix_locates_problems_in_a_file():
    found = problems(AnswerInput(axis="INS", level=9), field_prefix="answers[3]")
    assert list(found) == ["answers[3].level"]


@pytest.mark.django_db
def test_the_context_is_built_with_a_fixed_number_of_queries(django_assert_num_queries):
    referential = f.ReferentialFactory()
    axes = [f.AxisFactory(referential=referential, code=f"A{i}") for i in range(15)]
    category = f.ProductCategoryFactory(referential=referential, code="dpi")
    family = f.ServiceFamilyFactory(referential=referential)
    service_type = f.ServiceTypeFactory(family=family, code="ror")
    for i, axis in enumerate(axes):
        f.ExpectationFactory(axis=axis, product_category=category, expected_level=i % 4 if i % 5 else None)
    f.ExpectationFactory(axis=axes[0], service_type=service_type, expected_level=3)
    f.BlockerCategoryFactory(referential=referential, code="calendrier-national")
    with django_assert_num_queries(4):
        ctx = ReferentialContext.from_referential(referential)
    assert list(ctx.applicable_axes("product", "dpi")) == [a.code for a in axes]
    assert ctx.applicable_axes("service", "ror") == {"A0": 3}
    assert ctx.expected_level("product", "dpi", "A0") is None
    assert ctx.expected_level("product", "dpi", "A1") == 1
    assert ctx.blocker_codes.keys() == {"calendrier-national"}
