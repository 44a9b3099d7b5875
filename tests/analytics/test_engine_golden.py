"""Golden tests: the report of a small dataset, written by hand from contract section 5."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from convergence.analytics.engine import ReportError, ReportParams, report_compute, rounded
from convergence.analytics.facts import facts_refresh
from tests import factories as f

from .dataset import answer, build_golden_services, build_referential

pytestmark = pytest.mark.django_db


def test_rounding_is_half_away_from_zero_on_four_decimals():
    assert rounded(1, 32) == 0.0313  # 0.03125: a banker's rounding would give 0.0312
    assert rounded(3, 32) == 0.0938  # 0.09375
    assert rounded(2, 3) == 0.6667
    assert rounded(1, 0) is None


# Counted: s1, s2, s3, s7 (active), s4 (deploying), s8 (technical); s5 is a draft, s6 retired.
# Published (active): s1, s2, s3, s7.
GOLDEN_SERVICES = {
    "format": "convergence-report/1",
    "campaign": "golden",
    "referential": "golden-ref",
    "scope": "services",
    "region": None,
    "public": False,
    "min_cell": None,
    "threshold": 0.8,
    "subjects": {
        "total": 6,  # s1 s2 s3 s7 s4 s8
        "by_status": {"active": 4, "deploying": 1, "technical": 1},
        "excluded": 2,  # deploying 1 + technical 1
        "published": 4,
        "common_core": 3,  # s1, s2 (T1) and s3 (T2); s7 is T3, not common core
        "common_core_types": 2,  # T1, T2
    },
    # F2 only has T3 (not common core): no entry. F1: T1 2 subjects, T2 1.
    "families": [
        {
            "code": "F1",
            "name": "Famille 1",
            "subjects": 3,
            "suppressed": False,
            "types": [
                {"code": "T1", "name": "Type 1", "subjects": 2, "suppressed": False},
                {"code": "T2", "name": "Type 2", "subjects": 1, "suppressed": False},
            ],
        },
    ],
    "axes": [
        # A1: levels s1=2, s2=1, s3=2, s7=0 -> answered 4, mean 5/4 = 1.25.
        # All four have an expected level (T1:2, T1:2, T2:3, T3:2); reached only s1 (2>=2): 1/4.
        # Latest milestone year among them: 2023 (s2). Projection by 31 December:
        #   2020: s1 -> 1/4 = 0.25
        #   2021: + s2 (level 2 due 2021-06-30 >= 2) -> 2/4 = 0.5
        #   2022: + s3 (level 3 due 2022-12-31 >= 3) -> 3/4 = 0.75
        #   2023: s7's only milestone (1, in 2019) stays below 2 -> 0.75
        {
            "code": "A1",
            "name": "Axe A1",
            "answered": 4,
            "not_applicable": 0,
            "mean_level": 1.25,
            "distribution": {"0": 1, "1": 1, "2": 2, "3": 0},
            "with_expectation": 4,
            "reached": 1,
            "reached_rate": 0.25,
            "projection": [
                {"date": "2020-12-31", "reached_rate": 0.25},
                {"date": "2021-12-31", "reached_rate": 0.5},
                {"date": "2022-12-31", "reached_rate": 0.75},
                {"date": "2023-12-31", "reached_rate": 0.75},
            ],
            "suppressed": False,
        },
        # A2: s1=1, s2 not applicable. T1 applies A2 with no expected level -> with_expectation 0.
        {
            "code": "A2",
            "name": "Axe A2",
            "answered": 1,
            "not_applicable": 1,
            "mean_level": 1.0,
            "distribution": {"0": 0, "1": 1, "2": 0, "3": 0},
            "with_expectation": 0,
            "reached": 0,
            "reached_rate": None,
            "projection": [],
            "suppressed": False,
        },
        # A3: s3=0, expected 1 (T2), no milestone -> 0/1, empty projection.
        {
            "code": "A3",
            "name": "Axe A3",
            "answered": 1,
            "not_applicable": 0,
            "mean_level": 0.0,
            "distribution": {"0": 1, "1": 0, "2": 0, "3": 0},
            "with_expectation": 1,
            "reached": 0,
            "reached_rate": 0.0,
            "projection": [],
            "suppressed": False,
        },
    ],
    "axes_reaching_threshold": 0,  # 0.25 and 0.0 are below 0.8
    "axes_measured": 2,  # A1, A3 (A2's rate is null)
    # A1/b1: s1, s7. A2/b2: s2 (on a not-applicable answer). s4's b2 is not published.
    "blockers": [
        {"axis": "A1", "category": "b1", "subjects": 2},
        {"axis": "A2", "category": "b2", "subjects": 1},
    ],
}


def test_the_services_report_matches_the_hand_computed_figures():
    build_golden_services()
    report = report_compute(ReportParams(campaign="golden", scope="services")).as_dict()
    assert report == GOLDEN_SERVICES
    assert list(report) == list(GOLDEN_SERVICES)  # key order of the contract
    assert list(report["axes"][0]) == list(GOLDEN_SERVICES["axes"][0])


def test_public_mode_suppresses_small_cells():
    build_golden_services()
    report = report_compute(
        ReportParams(campaign="golden", scope="services", public=True, min_cell=2)
    ).as_dict()
    assert report["public"] is True and report["min_cell"] == 2
    # F1 (3) shown; T1 (2) shown; T2 (1 < 2) nulled and last.
    assert report["families"] == [
        {
            "code": "F1",
            "name": "Famille 1",
            "subjects": 3,
            "suppressed": False,
            "types": [
                {"code": "T1", "name": "Type 1", "subjects": 2, "suppressed": False},
                {"code": "T2", "name": "Type 2", "subjects": None, "suppressed": True},
            ],
        },
    ]
    a1, a2, a3 = report["axes"]
    assert a1 == GOLDEN_SERVICES["axes"][0]  # answered 4 >= 2
    # A2, A3: answered 1 < 2 -> suppressed; answered, not_applicable, with_expectation stay.
    assert a2 == {
        "code": "A2",
        "name": "Axe A2",
        "answered": 1,
        "not_applicable": 1,
        "mean_level": None,
        "distribution": None,
        "with_expectation": 0,
        "reached": None,
        "reached_rate": None,
        "projection": None,
        "suppressed": True,
    }
    assert a3["suppressed"] is True and a3["reached_rate"] is None
    assert report["axes_measured"] == 1  # only A1 after suppression
    # A2/b2 cited by 1 subject < 2: left out.
    assert report["blockers"] == [{"axis": "A1", "category": "b1", "subjects": 2}]


def test_the_threshold_is_compared_with_the_reported_rate():
    build_golden_services()
    report = report_compute(ReportParams(campaign="golden", scope="services", threshold=0.25)).as_dict()
    assert report["axes_reaching_threshold"] == 1  # A1 at 0.25


def test_a_region_keeps_only_its_services():
    build_golden_services()
    report = report_compute(ReportParams(campaign="golden", scope="services", region="11")).as_dict()
    # s3 (active, T2) and s8 (technical) are in region 11.
    assert report["subjects"] == {
        "total": 2,
        "by_status": {"active": 1, "technical": 1},
        "excluded": 1,
        "published": 1,
        "common_core": 1,
        "common_core_types": 1,
    }
    assert report["region"] == "11"
    assert [(a["code"], a["answered"], a["reached"]) for a in report["axes"]] == [
        ("A1", 1, 0),
        ("A2", 0, 0),
        ("A3", 1, 0),
    ]
    # A1: s3 reaches 3 on 2022-12-31 -> 0.0 in 2020 and 2021, 1.0 in 2022.
    assert report["axes"][0]["projection"] == [
        {"date": "2020-12-31", "reached_rate": 0.0},
        {"date": "2021-12-31", "reached_rate": 0.0},
        {"date": "2022-12-31", "reached_rate": 1.0},
    ]
    assert report["axes"][1]["mean_level"] is None


def test_a_type_filter_keeps_only_that_type_and_says_so():
    build_golden_services()
    report = report_compute(ReportParams(campaign="golden", scope="services", category="T1")).as_dict()
    assert report["category"] == "T1"
    assert list(report)[5] == "category"
    assert report["subjects"]["total"] == 3  # s1, s2, s8
    assert report["subjects"]["published"] == 2


def test_the_products_report_lists_categories_and_uses_the_organisation_region():
    ref, campaign, ax, bl = build_referential()
    vendor_76 = f.OrganisationFactory(code="v76", region="76")
    vendor_none = f.OrganisationFactory(code="vnone", region="")
    p1 = f.AssessmentFactory(
        campaign=campaign,
        status="submitted",
        subject=f.SubjectFactory(code="p1", kind="product", type_or_category="C1", organisation=vendor_76),
    )
    p2 = f.AssessmentFactory(
        campaign=campaign,
        status="validated",
        subject=f.SubjectFactory(code="p2", kind="product", type_or_category="C2", organisation=vendor_none),
    )
    p3 = f.AssessmentFactory(
        campaign=campaign,
        status="submitted",
        subject=f.SubjectFactory(code="p3", kind="product", type_or_category="C1", organisation=vendor_76),
    )
    # p1 C1: A1=3 (expected 2: reached), A2=2 (expected 3, milestone 3 in 2021)
    answer(p1, ax["A1"], 3)
    answer(p1, ax["A2"], 2, milestones=[(3, datetime.date(2021, 3, 1))])
    # p2 C2: A1=0 (expected 1), no milestone
    answer(p2, ax["A1"], 0)
    # p3 C1: A1=2 (reached)
    answer(p3, ax["A1"], 2)
    report = report_compute(ReportParams(campaign="golden", scope="products")).as_dict()
    assert report["subjects"] == {"total": 3, "by_status": {"active": 3}, "excluded": 0, "published": 3}
    assert "families" not in report
    assert report["categories"] == [
        {"code": "C1", "name": "Catégorie 1", "subjects": 2, "suppressed": False},
        {"code": "C2", "name": "Catégorie 2", "subjects": 1, "suppressed": False},
    ]
    a1, a2, _a3 = report["axes"]
    # A1: 3, 0, 2 -> mean 5/3 = 1.6667; reached p1, p3 = 2/3 = 0.6667; no milestone -> []
    assert (a1["mean_level"], a1["reached"], a1["reached_rate"], a1["projection"]) == (1.6667, 2, 0.6667, [])
    # A2: p1 only, 0/1 now, 1/1 by 2021-12-31.
    assert a2["projection"] == [
        {"date": "2020-12-31", "reached_rate": 0.0},
        {"date": "2021-12-31", "reached_rate": 1.0},
    ]
    regional = report_compute(ReportParams(campaign="golden", scope="products", region="76")).as_dict()
    assert regional["subjects"]["total"] == 2  # p1, p3: their organisation is in 76; p2's has none


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"campaign": "nope", "scope": "services"}, 'campaign: unknown campaign "nope"'),
        ({"campaign": "golden", "scope": "people"}, "scope:"),
        ({"campaign": "golden", "scope": "services", "region": "99"}, 'region: unknown region "99"'),
        ({"campaign": "golden", "scope": "services", "category": "C1"}, 'unknown service type "C1"'),
        ({"campaign": "golden", "scope": "services", "threshold": 1.5}, "threshold:"),
        ({"campaign": "golden", "scope": "services", "public": True, "min_cell": 0}, "min-cell:"),
    ],
)
def test_bad_parameters_are_refused_with_a_clear_message(params, message):
    build_referential()
    with pytest.raises(ReportError, match=message):
        report_compute(ReportParams(**params))


def test_the_number_of_queries_does_not_depend_on_the_number_of_subjects():
    campaign = build_golden_services()

    def queries() -> tuple[int, int]:
        """(queries refreshing the facts of the new data, queries of the report itself)"""
        with CaptureQueriesContext(connection) as refresh:
            facts_refresh()
        with CaptureQueriesContext(connection) as report:
            report_compute(ReportParams(campaign="golden", scope="services"))
        return len(refresh), len(report)

    small = queries()
    ref = campaign.referential
    axis = ref.axes.get(code="A1")
    for i in range(30):
        a = f.AssessmentFactory(
            campaign=campaign,
            status="submitted",
            subject=f.SubjectFactory(code=f"extra-{i}", kind="service", type_or_category="T1", region="76"),
        )
        answer(a, axis, i % 4, milestones=[(3, datetime.date(2021 + i % 3, 1, 1))] if i % 4 < 3 else [])
    assert queries() == small
    # The report: the facts check, the campaign, the typology (axes, types), three aggregates.
    assert small[1] <= 8
