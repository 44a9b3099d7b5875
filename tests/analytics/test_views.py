"""Dashboards, benchmark, publication and observatory: every endpoint for anonymous, vendor,
region and agency users."""

import datetime
import json
import zipfile
from io import BytesIO

import pytest
from django.urls import reverse

from convergence.analytics.models import ImmutableSnapshotError, PublishedReport, ReportRun
from convergence.analytics.services import report_publish
from tests import factories as f

from .dataset import answer, build_golden_services, build_referential

pytestmark = pytest.mark.django_db


def login(client, **org):
    membership = f.MembershipFactory(organisation=f.OrganisationFactory(**org))
    client.force_login(membership.user)
    return membership.organisation


@pytest.fixture
def agency(client):
    return login(client, kind="agency", siren="")


def test_anonymous_users_are_sent_to_the_login_page(client):
    build_golden_services()
    for name in ["dashboard", "benchmark", "publish", "export"]:
        response = client.get(reverse(f"analytics:{name}"))
        assert response.status_code == 302 and "/comptes/" in response["Location"], name


def test_the_agency_dashboard_shows_every_section(client, agency, django_assert_max_num_queries):
    build_golden_services()
    response = client.get(reverse("analytics:dashboard"), {"campaign": "golden", "scope": "services"})
    assert response.status_code == 200
    html = response.content.decode()
    for text in [
        "Key figures",
        "Maturity per axis",
        "Distribution of levels",
        "Regions side by side",
        "Trajectories",
        "Blockers",
        "<svg",
        "heat-",
    ]:
        assert text in html, text
    # Region 11: s3 (reached 0 of 1 on A1) -> "0 %"; region 76 has 3 published subjects.
    assert "Occitania" in html and "Île-de-France" in html  # region names in the page's language
    # The second view reuses the cached result, with a bounded number of queries; a small
    # campaign's figures are cached, not stored: no run.
    with django_assert_max_num_queries(30):
        client.get(reverse("analytics:dashboard"), {"campaign": "golden", "scope": "services"})
    assert ReportRun.objects.count() == 0


def test_the_cache_follows_the_data(client, agency):
    campaign = build_golden_services()
    params = {"campaign": "golden", "scope": "services"}
    first = client.get(reverse("analytics:dashboard"), params).context["bundle"]
    assert first["report"]["axes"][2]["answered"] == 1
    # New data: a published T2 service answers A3.
    a = f.AssessmentFactory(
        campaign=campaign,
        status="submitted",
        subject=f.SubjectFactory(code="new", kind="service", type_or_category="T2", region="76"),
    )
    answer(a, campaign.referential.axes.get(code="A3"), 1)
    # Not refreshed yet (no commit in a test): the figures are exact all the same.
    bundle = client.get(reverse("analytics:dashboard"), params).context["bundle"]
    assert bundle["report"]["axes"][2]["answered"] == 2


def test_evolution_between_two_campaigns_counts_level_transitions(client, agency):
    campaign = build_golden_services()
    later = f.CampaignFactory(
        code="later",
        referential=campaign.referential,
        opens_on=datetime.date(2021, 9, 1),
        closes_on=datetime.date(2021, 12, 15),
    )
    # s1 goes 2 -> 3 on A1, s2 stays at 1.
    from convergence.catalog.models import Subject

    s1, s2 = Subject.objects.get(code="s1"), Subject.objects.get(code="s2")
    axis = campaign.referential.axes.get(code="A1")
    answer(f.AssessmentFactory(campaign=later, subject=s1, status="validated"), axis, 3)
    answer(f.AssessmentFactory(campaign=later, subject=s2, status="submitted"), axis, 1)
    response = client.get(
        reverse("analytics:dashboard"), {"campaign": "later", "scope": "services", "compare_with": "golden"}
    )
    assert response.status_code == 200
    transitions = response.context["bundle"]["evolution"]["transitions"]
    a1 = transitions["axes"][0]
    assert a1["axis"] == "A1" and (a1["up"], a1["same"], a1["down"]) == (1, 1, 0)
    assert a1["rows"][2]["counts"] == [0, 0, 0, 1]  # from 2 to 3
    assert a1["rows"][1]["counts"] == [0, 1, 0, 0]  # from 1 to 1
    assert "Evolution from golden to later" in response.content.decode()


def test_a_comparison_with_the_same_campaign_is_refused_with_a_message(client, agency):
    build_golden_services()
    response = client.get(
        reverse("analytics:dashboard"), {"campaign": "golden", "scope": "services", "compare_with": "golden"}
    )
    assert "Choose another campaign" in response.content.decode()
    assert ReportRun.objects.count() == 0


def test_a_region_sees_its_region_beside_the_national_figures(client):
    build_golden_services()
    login(client, kind="grades", region="11", siren="")
    response = client.get(
        reverse("analytics:dashboard"), {"campaign": "golden", "scope": "services", "region": "76"}
    )
    assert response.status_code == 200
    bundle = response.context["bundle"]
    assert bundle["report"]["region"] == "11"  # its own region, whatever was asked
    assert bundle["national"]["region"] is None
    html = response.content.decode()
    assert "The region beside the national figures" in html
    assert "Regions side by side" not in html


def test_a_region_cannot_poll_another_computation(
    client, agency, settings, django_capture_on_commit_callbacks
):
    build_golden_services()
    settings.ANALYTICS_SYNC_MAX_ANSWERS = 0  # computed in the background: a run to poll
    with django_capture_on_commit_callbacks(execute=False):
        client.get(reverse("analytics:dashboard"), {"campaign": "golden", "scope": "services"})
    national = ReportRun.objects.get()
    login(client, kind="ars", region="11", siren="")
    assert client.get(reverse("analytics:run_status", args=[national.pk])).status_code == 404


def test_a_vendor_is_sent_to_its_benchmark_and_cannot_see_dashboards(client):
    build_golden_services()
    login(client, kind="vendor")
    assert client.get(reverse("analytics:dashboard"))["Location"] == reverse("analytics:benchmark")
    assert (
        client.get(reverse("analytics:export"), {"campaign": "golden", "scope": "services"}).status_code
        == 403
    )
    assert client.get(reverse("analytics:publish")).status_code == 403
    run = ReportRun.objects.create(params_key="x", data_version="y", params={"report": {"region": None}})
    assert client.get(reverse("analytics:run_status", args=[run.pk])).status_code == 404


def test_large_campaigns_are_computed_in_the_background_with_visible_progress(
    client, agency, settings, django_capture_on_commit_callbacks
):
    build_golden_services()
    settings.ANALYTICS_SYNC_MAX_ANSWERS = 0  # every campaign is "large"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.get(reverse("analytics:dashboard"), {"campaign": "golden", "scope": "services"})
    # Not computed in the request: the page shows the progress and polls it.
    assert response.status_code == 200 and "Computing the figures" in response.content.decode()
    run = ReportRun.objects.get()
    assert run.status == "pending" and len(callbacks) == 1
    # After commit the task is enqueued; the tests' backend runs it at once.
    callbacks[0]()
    run.refresh_from_db()
    assert run.status == "done" and run.progress == 100
    # A run still in progress is shown as such, and polled.
    ReportRun.objects.filter(pk=run.pk).update(status="running", progress=40, step="axes")
    response = client.get(reverse("analytics:run_status", args=[run.pk]))
    html = response.content.decode()
    assert 'hx-trigger="every 1s"' in html and "40 % done" in html
    ReportRun.objects.filter(pk=run.pk).update(status="done", progress=100)
    response = client.get(reverse("analytics:run_status", args=[run.pk]), headers={"HX-Request": "true"})
    assert response.headers.get("HX-Refresh") == "true"


def test_exports_give_the_report_files(client, agency):
    build_golden_services()
    url = reverse("analytics:export")
    response = client.get(url, {"campaign": "golden", "scope": "services", "format": "json"})
    assert json.loads(response.content)["subjects"]["total"] == 6
    response = client.get(url, {"campaign": "golden", "scope": "services", "format": "csv"})
    assert "axes.csv" in zipfile.ZipFile(BytesIO(response.content)).namelist()
    response = client.get(url, {"campaign": "nope", "scope": "services", "format": "json"}, follow=True)
    assert "unknown campaign &quot;nope&quot;" in response.content.decode()


def build_products(campaign, axes, *, vendors=6):
    """`vendors` vendors with one C1 product each, levels 0..3 on A1; our vendor has two."""
    ours = f.OrganisationFactory(code="ours", name="Our company")
    for i in range(vendors):
        org = f.OrganisationFactory(code=f"peer-{i}", name=f"Peer vendor {i}")
        a = f.AssessmentFactory(
            campaign=campaign,
            status="submitted",
            subject=f.SubjectFactory(
                code=f"peer-{i}",
                name=f"Peer product {i}",
                kind="product",
                type_or_category="C1",
                organisation=org,
            ),
        )
        answer(a, axes["A1"], i % 4)
    mine = f.AssessmentFactory(
        campaign=campaign,
        status="submitted",
        subject=f.SubjectFactory(
            code="mine", name="Our product", kind="product", type_or_category="C1", organisation=ours
        ),
    )
    answer(mine, axes["A1"], 3)
    lonely = f.AssessmentFactory(
        campaign=campaign,
        status="submitted",
        subject=f.SubjectFactory(
            code="lonely", name="Our lonely product", kind="product", type_or_category="C2", organisation=ours
        ),
    )
    answer(lonely, axes["A1"], 1)
    return ours


def test_a_vendor_benchmark_shows_quartiles_and_suppresses_small_groups(client):
    _ref, campaign, axes, _ = build_referential()
    ours = build_products(campaign, axes)
    membership = f.MembershipFactory(organisation=ours)
    client.force_login(membership.user)
    response = client.get(reverse("analytics:benchmark"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Our product" in html and "Our lonely product" in html
    assert "Peer product" not in html and "Peer vendor" not in html  # never another vendor's subject
    # C1 peers (our own product left out): levels 0,1,2,3,0,1 = 0,0,1,1,2,3 -> Q1 0.25, median 1,
    # Q3 1.75; the group counts the 6 other vendors' products only.
    products = {p["name"]: p for p in response.context["products"]}
    a1 = products["Our product"]["axes"][0]
    assert (a1["peers"], a1["q1"], a1["median"], a1["q3"]) == (6, 0.25, 1.0, 1.75)
    assert products["Our product"]["group_size"] == 6
    # C2 has one product: suppressed with a message.
    lonely = products["Our lonely product"]
    assert lonely["suppressed"] is True and lonely["axes"][0]["median"] is None
    assert "Fewer than 5 published products" in html
    # A campaign where this vendor has nothing answers 404.
    f.CampaignFactory(code="other", referential=campaign.referential)
    assert client.get(reverse("analytics:benchmark"), {"campaign": "other"}).status_code == 404


def test_the_benchmark_is_for_vendors_only(client, agency):
    assert client.get(reverse("analytics:benchmark")).status_code == 403


def test_the_agency_publishes_immutable_snapshots_shown_without_login(client, agency):
    campaign = build_golden_services()
    response = client.post(
        reverse("analytics:publish"), {"campaign": "golden", "scope": "services", "region": "", "min_cell": 2}
    )
    snapshot = PublishedReport.objects.get()
    assert response["Location"] == reverse("analytics:observatory_detail", args=[snapshot.pk, snapshot.slug])
    assert snapshot.data["public"] is True and snapshot.data["min_cell"] == 2
    frozen = json.dumps(snapshot.data, sort_keys=True)
    with pytest.raises(ImmutableSnapshotError):
        snapshot.save()
    # New data arrives; the snapshot stays as it was, a new publication is a new snapshot.
    a = f.AssessmentFactory(
        campaign=campaign,
        status="submitted",
        subject=f.SubjectFactory(code="late", kind="service", type_or_category="T2", region="76"),
    )
    answer(a, campaign.referential.axes.get(code="A1"), 3)
    client.post(
        reverse("analytics:publish"), {"campaign": "golden", "scope": "services", "region": "", "min_cell": 2}
    )
    assert PublishedReport.objects.count() == 2
    snapshot.refresh_from_db()
    assert json.dumps(snapshot.data, sort_keys=True) == frozen

    client.logout()
    listing = client.get(reverse("analytics:observatory"))
    assert listing.status_code == 200 and listing.content.decode().count("donnees.json") == 2
    detail = client.get(reverse("analytics:observatory_detail", args=[snapshot.pk, snapshot.slug]))
    assert detail.status_code == 200 and "<svg" in detail.content.decode()
    assert client.get(reverse("analytics:observatory_detail_short", args=[snapshot.pk])).status_code == 301
    data = client.get(reverse("analytics:observatory_download", args=[snapshot.pk, "json"]))
    assert json.loads(data.content) == snapshot.data
    table = client.get(reverse("analytics:observatory_table", args=[snapshot.pk, "axes"]))
    assert table.content.decode().startswith("axis,name,answered")
    schema = client.get(reverse("analytics:report_schema"))
    assert (
        json.loads(b"".join(schema.streaming_content))["properties"]["format"]["const"]
        == "convergence-report/1"
    )
    assert client.get(reverse("analytics:observatory_detail", args=[999, "x"])).status_code == 404


def test_publication_form_errors_are_shown(client, agency):
    build_golden_services()
    response = client.post(
        reverse("analytics:publish"), {"campaign": "golden", "scope": "services", "min_cell": 1}
    )
    assert response.status_code == 200 and PublishedReport.objects.count() == 0
    assert "min_cell" in response.context["form"].errors


def test_a_region_or_vendor_cannot_publish(client):
    build_golden_services()
    login(client, kind="ars", region="76", siren="")
    response = client.post(
        reverse("analytics:publish"), {"campaign": "golden", "scope": "services", "min_cell": 5}
    )
    assert response.status_code == 403 and PublishedReport.objects.count() == 0


def test_only_public_mode_figures_are_published(client):
    build_golden_services()
    snapshot = report_publish(campaign_code="golden", scope="services", region=None, user=None)
    # K=5 by default: 3 common-core subjects in F1 -> suppressed; every axis answered < 5.
    assert snapshot.data["families"][0]["subjects"] is None
    assert all(a["suppressed"] for a in snapshot.data["axes"])
    assert snapshot.data["blockers"] == []


def test_the_benchmark_queries_do_not_grow_with_products(client, django_assert_max_num_queries):
    _ref, campaign, axes, _ = build_referential()
    ours = build_products(campaign, axes, vendors=3)
    membership = f.MembershipFactory(organisation=ours)
    client.force_login(membership.user)
    with django_assert_max_num_queries(25) as small:
        client.get(reverse("analytics:benchmark"))
    for i in range(15):
        a = f.AssessmentFactory(
            campaign=campaign,
            status="submitted",
            subject=f.SubjectFactory(
                code=f"more-{i}", kind="product", type_or_category="C1", organisation=ours
            ),
        )
        answer(a, axes["A1"], i % 4)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("analytics:benchmark"))


def test_the_observatory_list_paginates_with_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    build_golden_services()
    for _ in range(25):
        report_publish(campaign_code="golden", scope="services", region=None, user=None)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("analytics:observatory"))
    assert len(response.context["page_obj"]) == 20
    assert len(client.get(reverse("analytics:observatory"), {"page": 2}).context["page_obj"]) == 5
    assert len(client.get(reverse("analytics:observatory"), {"scope": "products"}).context["page_obj"]) == 0


def test_a_region_export_is_always_its_own_region(client):
    build_golden_services()
    login(client, kind="grades", region="11", siren="")
    response = client.get(
        reverse("analytics:export"),
        {"campaign": "golden", "scope": "services", "region": "76", "format": "json"},
    )
    assert json.loads(response.content)["region"] == "11"


def test_published_reports_follow_the_published_json_schema(client):
    import jsonschema

    build_golden_services()
    schema = json.loads(b"".join(client.get(reverse("analytics:report_schema")).streaming_content))
    from convergence.analytics.engine import ReportParams, report_compute

    for params in [{}, {"public": True, "min_cell": 2}, {"region": "11"}, {"category": "T1"}]:
        report = report_compute(ReportParams(campaign="golden", scope="services", **params)).as_dict()
        jsonschema.validate(report, schema)
    snapshot = report_publish(campaign_code="golden", scope="services", region=None, user=None)
    jsonschema.validate(snapshot.data, schema)


def test_the_benchmark_paginates_the_vendor_products(client):
    _ref, campaign, axes, _ = build_referential()
    ours = build_products(campaign, axes, vendors=5)
    for i in range(12):
        a = f.AssessmentFactory(
            campaign=campaign,
            status="submitted",
            subject=f.SubjectFactory(
                code=f"page-{i}",
                name=f"Z product {i:02d}",
                kind="product",
                type_or_category="C1",
                organisation=ours,
            ),
        )
        answer(a, axes["A1"], 2)
    client.force_login(f.MembershipFactory(organisation=ours).user)
    first = client.get(reverse("analytics:benchmark"))
    second = client.get(reverse("analytics:benchmark"), {"campaign": campaign.code, "page": 2})
    assert len(first.context["products"]) == 10 and len(second.context["products"]) == 4  # 14 products
    names = {p["name"] for p in first.context["products"]} | {p["name"] for p in second.context["products"]}
    assert len(names) == 14
