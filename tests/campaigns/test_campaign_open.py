"""Opening a campaign: one draft per active subject in scope, prefilled from the last validated one."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from convergence.assessments import campaigns, selectors
from convergence.assessments.models import Answer, AnswerBlocker, Assessment
from convergence.referential.models import AxisLevel
from tests import factories as f

TODAY = datetime.date(2025, 9, 1)


def edition(code: str, published_on: datetime.date, axes: dict[str, list[str]], blockers: list[str]):
    referential = f.ReferentialFactory(code=code, published_on=published_on)
    by_code = {}
    for position, (axis_code, descriptors) in enumerate(axes.items()):
        axis = f.AxisFactory(referential=referential, code=axis_code, position=position)
        AxisLevel.objects.bulk_create(
            AxisLevel(axis=axis, value=value, descriptor=text) for value, text in enumerate(descriptors)
        )
        by_code[axis_code] = axis
    categories = {}
    for code_ in ("dpi", "lgc"):
        categories[code_] = f.ProductCategoryFactory(referential=referential, code=code_)
    service_type = f.ServiceTypeFactory(referential=referential, family__referential=referential, code="ror")
    for code_ in blockers:
        f.BlockerCategoryFactory(referential=referential, code=code_)
    return referential, by_code, categories, service_type


def expect(referential, axes, target, expected: dict[str, int | None], *, service: bool = False):
    for axis_code, level in expected.items():
        f.ExpectationFactory(
            referential=referential,
            axis=axes[axis_code],
            expected_level=level,
            **({"service_type": target} if service else {"product_category": target}),
        )


SAME = ["rien", "prévu", "conforme", "en usage"]


@pytest.fixture
def world(db):
    old, old_axes, old_cats, old_type = edition(
        "ed-2019",
        datetime.date(2020, 1, 15),
        {"INS": SAME, "DMP": ["a", "b", "c", "d"], "GONE": SAME},
        ["calendrier-national", "obsolete"],
    )
    new, new_axes, new_cats, new_type = edition(
        "ed-2023",
        datetime.date(2023, 6, 1),
        {"INS": SAME, "DMP": ["a", "b", "c changé", "d"], "MSS": SAME},
        ["calendrier-national"],
    )
    expect(old, old_axes, old_cats["dpi"], {"INS": 2, "DMP": 2, "GONE": 1})
    expect(new, new_axes, new_cats["dpi"], {"INS": 2, "DMP": 2, "MSS": 3})
    expect(old, old_axes, old_cats["lgc"], {"INS": 2})
    expect(new, new_axes, new_cats["lgc"], {"INS": 3})
    expect(old, old_axes, old_type, {"INS": 2}, service=True)
    expect(new, new_axes, new_type, {"INS": 2}, service=True)

    vendor = f.OrganisationFactory(code="acme")
    grades = f.OrganisationFactory(grades=True, code="grades-occ")
    subjects = {
        "dpi": f.SubjectFactory(code="dpi", organisation=vendor, type_or_category="dpi"),
        "lgc": f.SubjectFactory(code="lgc", organisation=vendor, type_or_category="lgc"),
        "retired": f.SubjectFactory(code="retired", organisation=vendor, status="retired"),
        "deploying": f.SubjectFactory(code="deploying", organisation=vendor, status="deploying"),
        "ror": f.SubjectFactory(
            code="ror", kind="service", organisation=grades, region="76", type_or_category="ror"
        ),
    }
    past = f.CampaignFactory(
        code="2024-s2",
        referential=old,
        status="closed",
        opens_on=datetime.date(2024, 9, 1),
        closes_on=datetime.date(2024, 12, 15),
    )
    older = f.CampaignFactory(
        code="2023-s2",
        referential=old,
        status="closed",
        opens_on=datetime.date(2023, 9, 1),
        closes_on=datetime.date(2023, 12, 15),
    )
    # The dpi product: an older validated assessment (must not win) and the last one.
    stale = f.AssessmentFactory(campaign=older, subject=subjects["dpi"], status="validated")
    f.AnswerFactory(assessment=stale, axis=old_axes["INS"], level=0)
    validated = f.AssessmentFactory(campaign=past, subject=subjects["dpi"], status="validated")
    ins = f.AnswerFactory(assessment=validated, axis=old_axes["INS"], level=2, comment="INSi en place")
    f.MilestoneFactory(answer=ins, level=3, due_on=datetime.date(2026, 6, 30))
    dmp = f.AnswerFactory(assessment=validated, axis=old_axes["DMP"], level=1)
    f.MilestoneFactory(answer=dmp, level=2, due_on=datetime.date(2024, 12, 31))  # already past
    f.MilestoneFactory(answer=dmp, level=3, due_on=datetime.date(2027, 12, 31))
    AnswerBlocker.objects.create(answer=dmp, category=old.blocker_categories.get(code="calendrier-national"))
    AnswerBlocker.objects.create(answer=dmp, category=old.blocker_categories.get(code="obsolete"))
    f.AnswerFactory(assessment=validated, axis=old_axes["GONE"], level=3)
    # The lgc product: validated, but its expected level on INS rises in the new edition.
    lgc = f.AssessmentFactory(campaign=past, subject=subjects["lgc"], status="validated")
    f.AnswerFactory(assessment=lgc, axis=old_axes["INS"], level=2)
    # The service: its last assessment was returned, not validated: nothing to carry.
    returned = f.AssessmentFactory(campaign=past, subject=subjects["ror"], status="returned")
    f.AnswerFactory(assessment=returned, axis=old_axes["INS"], level=1)
    return {"old": old, "new": new, "subjects": subjects, "past": past, "validated": validated}


def new_campaign(referential, scope="both", code="2025-s2"):
    return campaigns.campaign_create(
        code=code,
        title=code,
        referential=referential,
        scope=scope,
        opens_on=datetime.date(2025, 9, 1),
        closes_on=datetime.date(2025, 12, 15),
        user=None,
    )


def test_opening_creates_a_draft_per_active_subject_in_scope(world):
    campaign = new_campaign(world["new"])
    result = campaigns.campaign_open(campaign=campaign, user=None, today=TODAY)
    assert result.created == 3
    codes = set(Assessment.objects.filter(campaign=campaign).values_list("subject__code", flat=True))
    assert codes == {"dpi", "lgc", "ror"}  # not the retired one, not the one in deployment
    assert set(Assessment.objects.filter(campaign=campaign).values_list("status", flat=True)) == {"draft"}
    campaign.refresh_from_db()
    assert campaign.status == "open"


def test_the_scope_limits_the_subjects(world):
    campaign = new_campaign(world["new"], scope="services")
    assert campaigns.campaign_open(campaign=campaign, user=None, today=TODAY).created == 1


def test_reopening_is_idempotent_and_adds_only_new_subjects(world):
    campaign = new_campaign(world["new"])
    campaigns.campaign_open(campaign=campaign, user=None, today=TODAY)
    answers = Answer.objects.count()
    again = campaigns.campaign_open(campaign=campaign, user=None, today=TODAY)
    assert (again.created, again.existing) == (0, 3)
    assert Answer.objects.count() == answers
    world["subjects"]["deploying"].status = "active"
    world["subjects"]["deploying"].save()
    assert campaigns.campaign_open(campaign=campaign, user=None, today=TODAY).created == 1
    assert Assessment.objects.filter(campaign=campaign).count() == 4


def test_the_same_edition_prefills_every_answer_without_recheck(world):
    campaign = new_campaign(world["old"])
    campaigns.campaign_open(campaign=campaign, user=None, today=TODAY)
    draft = Assessment.objects.get(campaign=campaign, subject__code="dpi")
    assert draft.carried_from_id == world["validated"].pk
    answers = {a.axis.code: a for a in draft.answers.select_related("axis")}
    assert {code: a.level for code, a in answers.items()} == {"INS": 2, "DMP": 1, "GONE": 3}
    assert not any(a.needs_recheck for a in answers.values())
    assert answers["INS"].comment == "INSi en place"
    assert answers["INS"].axis.referential_id == world["old"].pk
    # Only milestones still ahead are carried; both blocker categories still exist.
    assert list(answers["DMP"].milestones.values_list("level", flat=True)) == [3]
    assert set(answers["DMP"].blockers.values_list("code", flat=True)) == {"calendrier-national", "obsolete"}


def test_a_newer_edition_carries_answers_by_axis_code_and_flags_what_changed(world):
    campaign = new_campaign(world["new"])
    result = campaigns.campaign_open(campaign=campaign, user=None, today=TODAY)
    draft = Assessment.objects.get(campaign=campaign, subject__code="dpi")
    answers = {a.axis.code: a for a in draft.answers.select_related("axis")}
    # GONE no longer exists; MSS is new (no answer to carry).
    assert set(answers) == {"INS", "DMP"}
    assert all(a.axis.referential_id == world["new"].pk for a in answers.values())
    assert answers["INS"].needs_recheck is False  # same descriptors, same expected level
    assert answers["DMP"].needs_recheck is True  # a descriptor changed
    assert set(answers["DMP"].blockers.values_list("code", flat=True)) == {"calendrier-national"}
    assert [(m.level, m.due_on) for m in answers["DMP"].milestones.all()] == [
        (3, datetime.date(2027, 12, 31))
    ]
    assert [m.level for m in answers["INS"].milestones.all()] == [3]
    lgc = Answer.objects.get(assessment__campaign=campaign, assessment__subject__code="lgc")
    assert (lgc.level, lgc.needs_recheck) == (2, True)  # expected level rose from 2 to 3
    ror = Assessment.objects.get(campaign=campaign, subject__code="ror")
    assert ror.carried_from_id is None and not ror.answers.exists()
    assert (result.carried_over, result.answers, result.needs_recheck) == (2, 3, 2)


def test_opening_runs_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    vendor = world["subjects"]["dpi"].organisation
    for n in range(40):
        subject = f.SubjectFactory(code=f"extra-{n}", organisation=vendor, type_or_category="dpi")
        validated = f.AssessmentFactory(campaign=world["past"], subject=subject, status="validated")
        f.AnswerFactory(assessment=validated, axis=world["old"].axes.get(code="INS"), level=2)
    campaign = new_campaign(world["new"])
    with django_assert_max_num_queries(20):
        result = campaigns.campaign_open(campaign=campaign, user=None, today=TODAY)
    assert result.created == 43


def test_a_campaign_needs_a_published_referential_and_ordered_dates(world):
    draft = f.ReferentialFactory(code="draft-ed", status="draft", published_on=None)
    with pytest.raises(ValidationError) as caught:
        campaigns.campaign_create(
            code="bad",
            title="Bad",
            referential=draft,
            opens_on=datetime.date(2025, 9, 1),
            closes_on=datetime.date(2025, 1, 1),
            user=None,
        )
    assert set(caught.value.error_dict) == {"referential", "closes_on"}


def test_a_closed_campaign_cannot_be_reopened(world):
    with pytest.raises(ValidationError):
        campaigns.campaign_open(campaign=world["past"], user=None, today=TODAY)


def test_progress_counts_assessments_by_status_in_sql(world, django_assert_num_queries):
    from convergence.assessments.models import Campaign

    with django_assert_num_queries(1):
        past = selectors.campaign_progress(Campaign.objects.filter(code="2024-s2")).get()
    assert (past.assessments_total, past.assessments_validated, past.assessments_returned) == (3, 2, 1)
