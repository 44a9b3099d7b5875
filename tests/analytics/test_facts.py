"""The report facts follow every write to what they derive from (analytics/facts.py).

Each write goes through a different path (ORM save, QuerySet.update, bulk delete, the services,
the dataset importer's COPY/bulk writes): the database triggers must mark the assessment stale
whatever the path, and the refreshed facts must equal a rebuild from the source tables.
"""

import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from convergence.analytics.engine import ReportParams, report_compute
from convergence.analytics.facts import facts_rebuild, facts_refresh, facts_snapshot
from convergence.analytics.models import AnswerFact, StaleAssessment
from convergence.analytics.services import data_version
from convergence.assessments.models import Answer, AnswerBlocker, Assessment, Campaign, Milestone
from convergence.catalog.models import Subject
from convergence.organisations.models import Organisation
from convergence.referential.models import Expectation, Referential, ServiceType
from convergence.referential.services import referential_import
from tests import factories as f
from tests.exchange.conftest import REFERENTIAL_YAML
from tests.exchange.test_dataset_command import DATASET

from .dataset import answer, build_golden_services

pytestmark = pytest.mark.django_db


FIELDS = (
    "region",
    "type_or_category",
    "level",
    "not_applicable",
    "expected_level",
    "first_year",
    "last_year",
)


def fact(subject: str, axis: str) -> dict | None:
    """The fact of one answer after a refresh (None: not counted)."""
    facts_refresh()
    return (
        AnswerFact.objects.filter(
            assessment_id__in=Assessment.objects.filter(subject__code=subject).values("pk"),
            axis_id__in=Answer.objects.filter(axis__code=axis).values("axis_id"),
        )
        .values(*FIELDS)
        .first()
    )


def assert_facts_equal_a_rebuild() -> None:
    facts_refresh()
    current = facts_snapshot()
    assert not StaleAssessment.objects.exists()
    facts_rebuild()
    assert facts_snapshot() == current


def test_the_facts_hold_the_answers_of_published_subjects_reported_assessments():
    build_golden_services()
    facts_refresh()
    counted = set(AnswerFact.objects.values_list("assessment_id", flat=True).distinct()) == set(
        Assessment.objects.filter(subject__code__in=["s1", "s2", "s3", "s7"]).values_list("pk", flat=True)
    )
    assert counted  # not s4 (deploying), s5 (draft), s6 (retired), s8 (no answers)
    assert AnswerFact.objects.count() == 7
    # s2 A1: level 1, expected 2 (T1), milestones 2 by 2021-06-30 and 3 by 2023-12-31.
    assert fact("s2", "A1") == {
        "region": "76",
        "type_or_category": "T1",
        "level": 1,
        "not_applicable": False,
        "expected_level": 2,
        "first_year": 2021,
        "last_year": 2023,
    }
    # s1 A1 has reached its expected level: no first year, but its milestone's year is kept.
    assert fact("s1", "A1")["first_year"] is None
    assert fact("s1", "A1")["last_year"] == 2022
    # s7 A1: its only milestone (level 1) is below the expected level 2.
    assert fact("s7", "A1")["first_year"] is None
    assert fact("s2", "A2")["not_applicable"] is True
    assert_facts_equal_a_rebuild()


def _level(code, axis, level):
    Answer.objects.filter(assessment__subject__code=code, axis__code=axis).update(level=level)


def _save_level(code, axis, level):
    saved = Answer.objects.get(assessment__subject__code=code, axis__code=axis)
    saved.level = level
    saved.save()


def _status(code, status):
    Assessment.objects.filter(subject__code=code).update(status=status)


def _subject(code, **changes):
    subject = Subject.objects.get(code=code)
    for name, value in changes.items():
        setattr(subject, name, value)
    subject.save()


def _add_milestone(code, axis, level, year):
    f.MilestoneFactory(
        answer=Answer.objects.get(assessment__subject__code=code, axis__code=axis),
        level=level,
        due_on=datetime.date(year, 12, 31),
    )


def _expect(type_code, axis, level):
    Expectation.objects.filter(service_type__code=type_code, axis__code=axis).update(expected_level=level)


WRITES = {
    # write, (subject, axis) read back, what the fact must become (None: no longer counted)
    "an answer's level (QuerySet.update)": (
        lambda: _level("s3", "A1", 3),
        ("s3", "A1"),
        {"level": 3, "first_year": None},
    ),
    "an answer saved by the ORM": (lambda: _save_level("s1", "A2", 3), ("s1", "A2"), {"level": 3}),
    "milestones deleted": (
        lambda: Milestone.objects.filter(answer__assessment__subject__code="s2").delete(),
        ("s2", "A1"),
        {"first_year": None, "last_year": None},
    ),
    "a milestone added": (
        lambda: _add_milestone("s7", "A1", 2, 2024),
        ("s7", "A1"),
        {"first_year": 2024, "last_year": 2024},
    ),
    "an assessment returned": (lambda: _status("s1", "returned"), ("s1", "A1"), None),
    "a draft submitted": (lambda: _status("s5", "submitted"), ("s5", "A1"), {"level": 3}),
    "an assessment deleted": (
        lambda: Assessment.objects.filter(subject__code="s1").delete(),
        ("s1", "A1"),
        None,
    ),
    "a subject no longer active": (lambda: _subject("s1", status="deploying"), ("s1", "A1"), None),
    "a subject active again": (lambda: _subject("s4", status="active"), ("s4", "A1"), {"level": 3}),
    "a subject's type": (
        lambda: _subject("s3", type_or_category="T1"),
        ("s3", "A1"),
        {"type_or_category": "T1", "expected_level": 2, "first_year": None},
    ),
    "a service's region": (
        lambda: Subject.objects.filter(code="s1").update(region="11"),
        ("s1", "A1"),
        {"region": "11"},
    ),
    "an expected level": (
        lambda: _expect("T1", "A1", 3),
        ("s1", "A1"),
        {"expected_level": 3, "first_year": 2022},
    ),
    "the referential's scale": (
        lambda: Referential.objects.filter(code="golden-ref").update(scale_max=2),
        ("s3", "A1"),
        {"expected_level": 3, "first_year": None},  # an expected level above the scale is never reached
    ),
    "a type's code": (
        lambda: ServiceType.objects.filter(code="T2").update(code="T2-renamed"),
        ("s3", "A1"),
        {"expected_level": None, "first_year": None},
    ),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_every_write_to_a_source_changes_the_facts(write):
    build_golden_services()
    change, (subject, axis), expected = WRITES[write]
    before = fact(subject, axis)
    change()
    after = fact(subject, axis)
    if expected is None:
        assert before is not None and after is None
    else:
        assert after is not None
        assert {k: after[k] for k in expected} == expected
    assert_facts_equal_a_rebuild()


def test_a_product_follows_its_organisations_region():
    ref = build_golden_services().referential
    campaign = Campaign.objects.get(code="golden")
    vendor = f.OrganisationFactory(kind="editeur", region="76", code="vendor")
    product = f.SubjectFactory(
        code="p1", kind="product", type_or_category="C1", status="active", region="", organisation=vendor
    )
    answer(
        f.AssessmentFactory(campaign=campaign, subject=product, status="submitted"),
        ref.axes.get(code="A1"),
        1,
    )
    assert fact("p1", "A1")["region"] == "76"
    Organisation.objects.filter(pk=vendor.pk).update(region="84")
    assert fact("p1", "A1")["region"] == "84"
    assert_facts_equal_a_rebuild()


def test_the_report_reflects_a_write_at_once_without_an_explicit_refresh():
    build_golden_services()
    params = ReportParams(campaign="golden", scope="services")
    before = report_compute(params).as_dict()["axes"][0]
    _level("s3", "A1", 3)
    after = report_compute(params).as_dict()["axes"][0]
    assert (before["reached"], after["reached"]) == (1, 2)
    assert before["distribution"]["2"] - 1 == after["distribution"]["2"]


def test_a_dataset_import_and_reimport_keep_the_facts_exact(tmp_path):
    referential_import(source=REFERENTIAL_YAML)
    path = tmp_path / "data.json"
    path.write_text(json.dumps(DATASET))
    call_command("import_dataset", str(path), stdout=io.StringIO())
    # The import refreshed the facts itself: the next report has nothing left to do.
    assert not StaleAssessment.objects.exists()
    assert AnswerFact.objects.exists()
    assert_facts_equal_a_rebuild()
    changed = json.loads(json.dumps(DATASET))
    for item in changed["assessments"]:
        for ans in item["answers"]:
            if ans.get("level") is not None:
                ans["level"] = 0
    path.write_text(json.dumps(changed))
    call_command("import_dataset", str(path), stdout=io.StringIO())
    assert not StaleAssessment.objects.exists()
    reported = AnswerFact.objects.exclude(not_applicable=True)
    assert reported.exists() and set(reported.values_list("level", flat=True)) <= {0, None}
    assert_facts_equal_a_rebuild()


def test_the_report_facts_command_checks_and_rebuilds():
    build_golden_services()
    out = io.StringIO()
    call_command("report_facts", "--check", stdout=out)
    assert "10 rows, equal to the source tables" in out.getvalue()  # 7 answers, 3 blockers
    AnswerFact.objects.filter(level=2).update(level=0)  # damage the facts behind the triggers' back
    with pytest.raises(CommandError, match="rows differ from the source tables"):
        call_command("report_facts", "--check", stdout=io.StringIO())
    call_command("report_facts", "--rebuild", stdout=io.StringIO())
    call_command("report_facts", "--check", stdout=io.StringIO())


def _rename_campaign(code, title):
    campaign = Campaign.objects.get(code=code)
    campaign.title = title
    campaign.save()


def test_the_dashboard_cache_key_changes_with_every_write_a_report_reads_and_only_then():
    build_golden_services()
    other = f.CampaignFactory(code="other", referential=Referential.objects.get(code="golden-ref"))
    elsewhere = f.AssessmentFactory(
        campaign=other, subject=Subject.objects.get(code="s7"), status="submitted"
    )
    answer(elsewhere, Referential.objects.get(code="golden-ref").axes.get(code="A1"), 1)
    version = data_version(campaign_codes=["golden"])
    other_version = data_version(campaign_codes=["other"])
    # Not read by any report: a subject's name, a draft's answer.
    _subject("s1", name="Renamed")
    _level("s5", "A1", 0)
    assert data_version(campaign_codes=["golden"]) == version
    for i, write in enumerate(
        (
            lambda: _level("s3", "A1", 3),
            lambda: _subject("s4", status="technical"),  # excluded either way, but counted by status
            lambda: AnswerBlocker.objects.filter(answer__assessment__subject__code="s1").delete(),
            lambda: _rename_campaign("golden", "Renamed campaign"),  # as its form does: save()
        )
    ):
        write()
        changed = data_version(campaign_codes=["golden"])
        assert changed != version, f"write {i}"
        version = changed
    assert data_version(campaign_codes=["other"]) == other_version


def test_the_dashboard_cache_key_costs_the_same_few_queries_whatever_the_size():
    build_golden_services()
    data_version(campaign_codes=["golden"])
    with CaptureQueriesContext(connection) as small:
        data_version(campaign_codes=["golden"])
    campaign = Campaign.objects.get(code="golden")
    for i in range(20):
        assessment = f.AssessmentFactory(
            campaign=campaign,
            status="validated",
            subject=f.SubjectFactory(code=f"more-{i}", kind="service", type_or_category="T1", region="76"),
        )
        answer(assessment, campaign.referential.axes.get(code="A1"), i % 4)
    data_version(campaign_codes=["golden"])  # refreshes the new facts
    with CaptureQueriesContext(connection) as large:
        _hash, answers = data_version(campaign_codes=["golden"])
    assert len(small) == len(large) <= 5
    assert answers == (7 + 20) * 3  # reported assessments x axes: an estimate (s6 is retired...)
