"""The analytics in layers (issue 11, item 2): facts refreshed by the write paths' after-commit
hook and never by a read, one definition of a counted answer (the peer benchmark included), a
pure engine, and ReportError naming its field."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from convergence.analytics.benchmark import benchmark_compute
from convergence.analytics.engine import ReportError, ReportParams, report_compute
from convergence.analytics.models import AnswerFact, ReportRun, StaleAssessment
from convergence.assessments.models import Answer, Campaign
from convergence.catalog.models import Subject
from tests import factories as f

from .dataset import answer, build_golden_services

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE", "CREATE", "DROP", "ALTER", "ANALYZE")


def writes(queries) -> list[str]:
    """The write queries, but the session's own (the login layer keeps the session alive)."""
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(WRITES) and "django_session" not in q["sql"]
    ]


def stale_write(campaign: Campaign) -> None:
    """A committed-looking write that no refresh has followed (the hook runs after a commit,
    and a test never commits): a published T2 service answers A3 with level 1."""
    assessment = f.AssessmentFactory(
        campaign=campaign,
        status="submitted",
        subject=f.SubjectFactory(code="new", kind="service", type_or_category="T2", region="76"),
    )
    answer(assessment, campaign.referential.axes.get(code="A3"), 1)


def test_no_get_writes_and_every_read_sees_the_writes_not_yet_refreshed(client):
    campaign = build_golden_services()
    stale_write(campaign)
    assert StaleAssessment.objects.exists()
    agency = f.MembershipFactory(organisation=f.OrganisationFactory(kind="agency", siren=""))
    client.force_login(agency.user)
    params = {"campaign": "golden", "scope": "services"}
    with CaptureQueriesContext(connection) as queries:
        dashboard = client.get(reverse("analytics:dashboard"), params)
        exported = client.get(reverse("analytics:export"), {**params, "format": "json"})
    assert dashboard.status_code == exported.status_code == 200
    assert writes(queries.captured_queries) == []
    # Exact all the same: the new answer counts on A3 (the golden data has one, s3's).
    assert dashboard.context["bundle"]["report"]["axes"][2]["answered"] == 2
    assert exported.json()["axes"][2]["answered"] == 2
    assert StaleAssessment.objects.exists()  # nobody refreshed: the read computed them on the fly


def test_a_report_on_stale_facts_equals_the_report_after_the_refresh():
    from convergence.analytics.facts import facts_refresh

    campaign = build_golden_services()
    stale_write(campaign)
    Answer.objects.filter(assessment__subject__code="s1", axis__code="A1").update(level=3)
    reports = {}
    for public in (False, True):
        reports[public] = report_compute(ReportParams("golden", "services", public=public)).as_dict()
    assert StaleAssessment.objects.exists()
    facts_refresh()
    assert not StaleAssessment.objects.exists()
    for public in (False, True):
        assert report_compute(ReportParams("golden", "services", public=public)).as_dict() == reports[public]


@pytest.mark.django_db(transaction=True)
def test_the_after_commit_hook_refreshes_the_facts_and_warms_the_dashboards():
    """Committed writes (a transactional test: every save commits), no explicit refresh."""
    campaign = build_golden_services()
    assert not StaleAssessment.objects.exists()
    s1_a1 = Answer.objects.get(assessment__subject__code="s1", axis__code="A1")
    with transaction.atomic():
        s1_a1.level = 3
        s1_a1.save()  # what the questionnaire and the services do: a model save
        assert StaleAssessment.objects.exists()  # refreshed after the commit, not in the write
    assert not StaleAssessment.objects.exists()
    assert AnswerFact.objects.get(answer_id=s1_a1.pk).level == 3
    # The worker (run at once by the tests' backend) computed the agency's national dashboards.
    run = ReportRun.objects.get(params_key__contains=f"{campaign.code}|services|")
    assert run.status == "done" and run.result["report"]["axes"][0]["distribution"]["3"] == 1


def test_the_peer_benchmark_counts_the_answers_the_report_counts():
    """One definition of a counted answer: a peer product that is retired, or whose assessment is
    a draft, counts neither in the report nor in the benchmark; a new one counts in both at once."""
    ref = build_golden_services().referential
    campaign = Campaign.objects.get(code="golden")
    vendor = f.OrganisationFactory(kind="vendor")
    own = f.AssessmentFactory(
        campaign=campaign,
        status="submitted",
        subject=f.SubjectFactory(kind="product", type_or_category="C1", organisation=vendor),
    )
    answer(own, ref.axes.get(code="A1"), 1)
    for i, (status, subject_status) in enumerate(
        [("submitted", "active")] * 5 + [("draft", "active"), ("submitted", "retired")]
    ):
        peer = f.AssessmentFactory(
            campaign=campaign,
            status=status,
            subject=f.SubjectFactory(
                code=f"peer-{i}", kind="product", type_or_category="C1", status=subject_status
            ),
        )
        answer(peer, ref.axes.get(code="A1"), 2)
    products = benchmark_compute(campaign=campaign, organisation=vendor)
    a1 = products[0]["axes"][0]
    assert products[0]["group_size"] == 5 and a1["peers"] == 5 and a1["median"] == 2.0
    report = report_compute(ReportParams("golden", "products")).as_dict()
    assert report["axes"][0]["answered"] == 6  # the 5 peers and the vendor's own product


def test_the_pure_engine_imports_no_django():
    src = Path(__file__).resolve().parents[2] / "src"
    code = (
        "import sys; import convergence.analytics.figures; "
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')); "
        "print(loaded); sys.exit(1 if loaded else 0)"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(src)
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("params", "field"),
    [
        (ReportParams("nope", "services"), "campaign"),
        (ReportParams("golden", "things"), "scope"),
        (ReportParams("golden", "services", region="99"), "region"),
        (ReportParams("golden", "services", category="ZZ"), "category"),
        (ReportParams("golden", "services", threshold=2), "threshold"),
    ],
)
def test_a_report_error_names_its_field_and_carries_a_message(params, field):
    build_golden_services()
    with pytest.raises(ReportError) as raised:
        report_compute(params)
    assert raised.value.field == field
    assert str(raised.value) == f"{field}: {raised.value.message}"


def test_the_dashboards_read_a_fixed_number_of_queries_whatever_the_size(
    client, django_assert_max_num_queries
):
    campaign = build_golden_services()
    agency = f.MembershipFactory(organisation=f.OrganisationFactory(kind="agency", siren=""))
    client.force_login(agency.user)
    url = reverse("analytics:dashboard")
    for scope in ("services", "products"):
        client.get(url, {"campaign": "golden", "scope": scope})  # computes and caches
        with django_assert_max_num_queries(22):
            assert client.get(url, {"campaign": "golden", "scope": scope}).status_code == 200
    for i in range(30):
        assessment = f.AssessmentFactory(
            campaign=campaign,
            status="validated",
            subject=f.SubjectFactory(code=f"more-{i}", kind="service", type_or_category="T1", region="76"),
        )
        answer(assessment, campaign.referential.axes.get(code="A1"), i % 4)
    from convergence.analytics.facts import facts_refresh

    facts_refresh()
    client.get(url, {"campaign": "golden", "scope": "services"})
    with django_assert_max_num_queries(22):
        assert client.get(url, {"campaign": "golden", "scope": "services"}).status_code == 200
    assert Subject.objects.filter(code__startswith="more-").count() == 30


def test_a_large_campaign_pdf_is_drawn_in_the_worker_with_visible_progress_then_cached(
    client, settings, django_capture_on_commit_callbacks
):
    build_golden_services()
    settings.ANALYTICS_SYNC_MAX_ANSWERS = 0  # every campaign is "large"
    agency = f.MembershipFactory(organisation=f.OrganisationFactory(kind="agency", siren=""))
    client.force_login(agency.user)
    query = {"campaign": "golden", "scope": "services", "format": "pdf"}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        waiting = client.get(reverse("analytics:export"), query)
    assert waiting.status_code == 200 and "Computing the figures" in waiting.content.decode()
    run = ReportRun.objects.get(params_key__startswith="file|")
    assert run.status == "pending" and len(callbacks) == 1
    status = client.get(reverse("analytics:run_status", args=[run.pk]))
    assert 'hx-trigger="every 1s"' in status.content.decode()
    callbacks[0]()  # the worker (the tests' backend runs the task at once)
    run.refresh_from_db()
    assert run.status == "done" and run.progress == 100
    pdf = client.get(reverse("analytics:export"), query)
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    # Cached per data version: a second download draws nothing and reads no run.
    with CaptureQueriesContext(connection) as queries:
        again = client.get(reverse("analytics:export"), query)
    assert again.content == pdf.content
    assert not any("analytics_reportrun" in q["sql"] for q in queries.captured_queries)
