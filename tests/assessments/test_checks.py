"""The assessments' state rules are pure functions over plain values (no database): the services
and the bulk importer call the same ones."""

import pytest

from convergence.assessments.checks import (
    Write,
    assessment_status_problems,
    campaign_state_problems,
    missing_axes,
    submission_problems,
    write_problems,
)


@pytest.mark.parametrize("write", list(Write))
def test_an_open_campaign_accepts_every_write(write):
    assert campaign_state_problems("open", write=write) == []


@pytest.mark.parametrize("write", [Write.ANSWER, Write.SUBMIT, Write.RETURN])
def test_a_closed_campaign_refuses_the_changes_that_would_move_its_report(write):
    [problem] = campaign_state_problems("closed", write=write, campaign_code="2025-S2")
    assert problem.field == "campaign"
    assert "2025-S2" in problem.message and "closed" in problem.message


def test_the_agency_may_still_validate_in_a_closed_campaign():
    assert campaign_state_problems("closed", write=Write.VALIDATE) == []


@pytest.mark.parametrize("write", list(Write))
def test_a_campaign_in_preparation_accepts_nothing(write):
    [problem] = campaign_state_problems("draft", write=write, campaign_code="2031-S1")
    assert problem.field == "campaign" and "not open yet" in problem.message


def test_an_unknown_campaign_state_is_refused_with_its_value():
    [problem] = campaign_state_problems("archived", write=Write.ANSWER, campaign_code="x")
    assert "archived" in problem.message


@pytest.mark.parametrize(
    ("status", "write", "refused"),
    [
        ("draft", Write.ANSWER, False),
        ("returned", Write.SUBMIT, False),
        ("submitted", Write.ANSWER, True),
        ("validated", Write.SUBMIT, True),
        ("submitted", Write.VALIDATE, False),
        ("draft", Write.VALIDATE, True),
        ("returned", Write.RETURN, True),
    ],
)
def test_the_assessment_status_decides_which_write_applies(status, write, refused):
    problems = assessment_status_problems(status, write=write)
    assert bool(problems) is refused
    assert all(problem.field == "status" for problem in problems)


def test_a_read_only_status_is_named_in_the_message():
    [problem] = assessment_status_problems("submitted", write=Write.ANSWER)
    assert problem.message == "This assessment is submitted: it can no longer be changed."


def test_the_campaign_state_is_reported_before_the_assessment_status():
    problems = write_problems(
        campaign_status="closed", assessment_status="submitted", write=Write.ANSWER, campaign_code="c"
    )
    assert [problem.field for problem in problems] == ["campaign"]
    assert write_problems(campaign_status="open", assessment_status="draft", write=Write.ANSWER) == []


def test_a_problem_is_located_inside_an_imported_record():
    [problem] = campaign_state_problems("closed", write=Write.SUBMIT, campaign_code="c")
    assert problem.located("assessments[3]").field == "assessments[3].campaign"


def test_missing_axes_keep_the_referential_order():
    assert missing_axes(["INS", "DMP", "MSS", "PSC"], {"DMP", "PSC"}) == ["INS", "MSS"]
    assert missing_axes(["INS"], {"INS", "OTHER"}) == []


def test_submission_needs_every_applicable_axis_answered():
    [problem] = submission_problems(["INS", "DMP", "MSS"], {"DMP"})
    assert problem.field == "answers"
    assert problem.message == "Answer every axis before submitting. Not answered yet: INS, MSS."
    assert submission_problems(["INS"], {"INS"}) == []
