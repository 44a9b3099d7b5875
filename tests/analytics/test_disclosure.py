"""Disclosure control (analytics/disclosure.py): the attacks of issue 10 and other differencing of
the views a logged-in organisation can reach, played through the pages and the API.

Each attacker reads every view it can reach; a view whose figures on an axis are shown tells it
the sum of the answers of the subjects it covers (its distribution). The attacker removes what
it knows (its own subjects; a region's services for a region member) and, in the worst case,
knows which subjects each view covers: a subject's answer is recovered exactly when its
indicator is a linear combination of those views' (`recoverable`, by Gaussian elimination).
"""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass, field
from fractions import Fraction

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from convergence.analytics.disclosure import ALL, Peers, suppression
from convergence.analytics.engine import DEFAULT_MIN_CELL, ReportParams, report_compute
from convergence.api.services import token_create
from convergence.assessments.models import Campaign
from convergence.lib.regions import REGIONS
from tests import factories as f

from .dataset import answer, build_referential

pytestmark = pytest.mark.django_db

K = DEFAULT_MIN_CELL


# --- the attacker's algebra --------------------------------------------------------------------


def rank(rows: list[list[Fraction]]) -> int:
    matrix = [row[:] for row in rows]
    rank_, columns = 0, len(matrix[0]) if matrix else 0
    for column in range(columns):
        pivot = next((i for i in range(rank_, len(matrix)) if matrix[i][column] != 0), None)
        if pivot is None:
            continue
        matrix[rank_], matrix[pivot] = matrix[pivot], matrix[rank_]
        for i in range(len(matrix)):
            if i != rank_ and matrix[i][column] != 0:
                factor = matrix[i][column] / matrix[rank_][column]
                matrix[i] = [a - factor * b for a, b in zip(matrix[i], matrix[rank_], strict=True)]
        rank_ += 1
    return rank_


def recoverable(views: list[frozenset[str]], target: str | frozenset[str]) -> bool:
    """Whether the target's answer (or the sum of the targets' answers) is a linear
    combination of the shown views' sums."""
    targets = frozenset([target]) if isinstance(target, str) else target
    views = [v for v in views if v]
    if not views:
        return False
    subjects = sorted(set().union(*views) | targets)
    rows = [[Fraction(int(s in view)) for s in subjects] for view in views]
    unit = [Fraction(int(s in targets)) for s in subjects]
    return rank([*rows, unit]) == rank(rows)


# --- the suppression pattern, on any table --------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 4).flatmap(
        lambda regions: st.integers(1, 4).flatmap(
            lambda categories: st.lists(
                st.integers(0, 2 * K), min_size=regions * categories, max_size=regions * categories
            ).map(lambda counts: (regions, categories, counts))
        )
    )
)
def test_no_suppressed_entry_of_any_table_is_a_combination_of_the_shown_ones(table):
    """Interior cells (region, type) are the unknowns; every entry of the table, margins
    included, is the sum of the cells it covers. Whatever the counts, what is suppressed is not
    a linear combination of what is shown, nor is the sum of fewer than K subjects, and nothing
    small is shown."""
    regions, categories, counts = table
    atoms = {
        (f"r{i}", f"c{j}"): counts[i * categories + j] for i in range(regions) for j in range(categories)
    }
    cells: dict = {}
    covers: dict = {}
    for (region, category), n in atoms.items():
        if not n:
            continue
        for entry in {(region, category), (region, ALL), (ALL, category), (ALL, ALL)}:
            cells[entry] = cells.get(entry, Peers()) + Peers(n, n, n)
            covers.setdefault(entry, set()).add(f"{region}/{category}")
    suppressed = suppression(cells, k=K)
    shown = [frozenset(covers[e]) for e in cells if e not in suppressed]
    for entry in cells:
        if entry in suppressed:
            assert not recoverable(shown, frozenset(covers[entry])), (entry, atoms, suppressed)
        else:
            assert not 0 < cells[entry].answered < K, (entry, atoms)
    # Nor the sum of a few cells together (fewer than K subjects), through several relations.
    small_cells = [(f"{r}/{c}", n) for (r, c), n in atoms.items() if 0 < n < K]
    for size in range(1, len(small_cells) + 1):
        for group in itertools.combinations(small_cells, size):
            if sum(n for _name, n in group) < K:
                names = frozenset(name for name, _n in group)
                assert not recoverable(shown, names), (names, sorted(atoms.items()), sorted(suppressed))


# --- a small world -----------------------------------------------------------------------------


@dataclass
class World:
    campaign: Campaign
    axes: dict
    # subject code -> (region, type or category, {axis code: level}), per campaign code
    answers: dict[str, dict[str, tuple[str, str, dict[str, int]]]] = field(default_factory=dict)

    def add(self, *, code, kind, category, organisation, region="", levels, campaign=None):
        campaign = campaign or self.campaign
        subject = f.SubjectFactory._meta.model.objects.filter(code=code).first() or f.SubjectFactory(
            code=code,
            kind=kind,
            type_or_category=category,
            organisation=organisation,
            region=region if kind == "service" else "",
        )
        assessment = f.AssessmentFactory(campaign=campaign, subject=subject, status="submitted")
        for axis_code, level in levels.items():
            answer(assessment, self.axes[axis_code], level)
        self.answers.setdefault(campaign.code, {})[code] = (
            region or organisation.region,
            category,
            dict(levels),
        )

    def covered(self, axis: str, *, region=None, category=None, campaign=None, known=frozenset()):
        """The peer subjects a view adds up on an axis."""
        rows = self.answers[(campaign or self.campaign).code]
        return frozenset(
            code
            for code, (r, c, levels) in rows.items()
            if axis in levels
            and (region is None or r == region)
            and (category is None or c == category)
            and code not in known
        )


def world(scope="both") -> World:
    _ref, campaign, axes, _ = build_referential()
    Campaign.objects.filter(pk=campaign.pk).update(scope=scope)  # `?scope=` filters campaigns (api)
    campaign.refresh_from_db()
    return World(campaign=campaign, axes=axes)


def member(client, organisation):
    membership = f.MembershipFactory(organisation=organisation)
    client.force_login(membership.user)
    return membership


def api_client(membership) -> APIClient:
    _token, raw = token_create(user=membership.user, organisation=membership.organisation, name="t")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


View = tuple[str, frozenset[str]]  # (axis code, the peer subjects whose answers it adds up)


def api_views(client, w: World, *, scope: str, known=frozenset(), campaign=None) -> list[View]:
    """Every report the API gives this token (national and every region): the views shown."""
    campaign = campaign or w.campaign
    shown = []
    for region in [None, *REGIONS]:
        query = {"scope": scope} | ({"region": region} if region else {})
        response = client.get(reverse("api:campaign-report", args=[campaign.code]), query)
        assert response.status_code == 200, response.content
        for axis in response.json()["axes"]:
            if axis["distribution"] is not None:
                shown.append(
                    (axis["code"], w.covered(axis["code"], region=region, known=known, campaign=campaign))
                )
    return shown


def per_axis(views: list[View], axis: str) -> list[frozenset[str]]:
    return [covered for code, covered in views if code == axis]


# --- attack 1: the peer benchmark counted the viewer's own products ---------------------------


def test_four_own_products_beside_one_competitor_reveal_nothing_of_it(client):
    w = world(scope="products")
    attacker = f.OrganisationFactory(code="attacker", name="Attacker")
    competitor = f.OrganisationFactory(code="competitor", name="Competitor")
    secret = {"A1": 2, "A2": 1, "A3": 3}
    w.add(code="target", kind="product", category="C1", organisation=competitor, levels=secret)
    for i, level in enumerate([0, 0, 3, 3]):
        w.add(
            code=f"fake-{i}",
            kind="product",
            category="C1",
            organisation=attacker,
            levels={"A1": level, "A2": level, "A3": level},
        )
    membership = member(client, attacker)
    # Before the fix: a group of 5 products, whose median with levels 0, 0, x, 3, 3 is x.
    response = client.get(reverse("analytics:benchmark"))
    assert response.status_code == 200
    for product in response.context["products"]:
        assert product["suppressed"] is True and product["group_size"] is None
        for axis in product["axes"]:
            assert axis["suppressed"] is True
            assert (axis["peers"], axis["q1"], axis["median"], axis["q3"]) == (None, None, None, None)
    # The API's report (public mode counts 5 answers; minus the 4 own ones it gave the target's).
    known = frozenset(f"fake-{i}" for i in range(4))
    views = api_views(api_client(membership), w, scope="products", known=known)
    for axis in secret:
        assert not recoverable(per_axis(views, axis), "target"), axis


def test_the_benchmark_counts_only_other_vendors_products(client):
    w = world(scope="products")
    ours = f.OrganisationFactory(code="ours")
    for i in range(K):
        w.add(
            code=f"peer-{i}",
            kind="product",
            category="C1",
            organisation=f.OrganisationFactory(code=f"peer-{i}"),
            levels={"A1": i % 4},
        )
    for i in range(3):
        w.add(code=f"mine-{i}", kind="product", category="C1", organisation=ours, levels={"A1": 3})
    member(client, ours)
    products = client.get(reverse("analytics:benchmark")).context["products"]
    assert {p["group_size"] for p in products} == {K}
    # Peers 0, 1, 2, 3, 0: median 1 (with our three 3s it would have been 2).
    assert {p["axes"][0]["median"] for p in products} == {1.0}


# --- attack 2: national minus its own region, with a category filter --------------------------


def regional_world():
    """Region 11 (the attacker's, an ARS): 3 T1 and 2 T2 services it knows; region 76: 5 T1
    services and one T2 service, the target."""
    w = world(scope="services")
    ars = f.OrganisationFactory(kind="ars", region="11", siren="", code="ars-11")
    grades_11 = f.OrganisationFactory(kind="grades", region="11", siren="", code="grades-11")
    grades_76 = f.OrganisationFactory(kind="grades", region="76", siren="", code="grades-76")
    for i, type_code in enumerate(["T1", "T1", "T1", "T2", "T2"]):
        owner = ars if i % 2 else grades_11
        w.add(
            code=f"own-{i}",
            kind="service",
            category=type_code,
            organisation=owner,
            region="11",
            levels={"A1": i % 4, "A3": 1},
        )
    for i in range(5):
        w.add(
            code=f"other-{i}",
            kind="service",
            category="T1",
            organisation=grades_76,
            region="76",
            levels={"A1": i % 4, "A3": 2},
        )
    return w, ars, grades_76


def dashboard_views(client, w: World, *, scope: str, known, categories, compare_with=None) -> list[View]:
    """The sets a region member's dashboard shows: its region (known) and the national figures
    beside, for every type/category filter; with a comparison, the transitions' subjects."""
    shown = []
    for category in [None, *categories]:
        query = {"campaign": w.campaign.code, "scope": scope} | ({"category": category} if category else {})
        if compare_with:
            query["compare_with"] = compare_with
        response = client.get(reverse("analytics:dashboard"), query)
        assert response.status_code == 200
        bundle = response.context["bundle"]
        region = bundle["report"]["region"]
        for axis in bundle["report"]["axes"]:
            if axis["distribution"] is not None:
                shown.append(
                    (axis["code"], w.covered(axis["code"], region=region, category=category, known=known))
                )
        for axis in bundle["national"]["axes"]:
            if axis["mean_level"] is not None or axis["reached_rate"] is not None:
                shown.append((axis["code"], w.covered(axis["code"], category=category, known=known)))
        # The national figures are shown beside the region's on the page.
        side = response.context["side_by_side"]
        assert [nation["mean_level"] for _mine, nation in side] == [
            a["mean_level"] for a in bundle["national"]["axes"]
        ]
    return shown


def test_national_minus_own_region_with_a_category_filter_reveals_no_other_service(client):
    w, ars, grades_76 = regional_world()
    w.add(
        code="target",
        kind="service",
        category="T2",
        organisation=grades_76,
        region="76",
        levels={"A1": 3, "A3": 0},
    )
    membership = member(client, ars)
    known = w.covered("A1", region="11") | w.covered("A3", region="11")
    views = dashboard_views(client, w, scope="services", known=known, categories=["T1", "T2", "T3"])
    views += api_views(api_client(membership), w, scope="services", known=known)
    for axis in ("A1", "A3"):
        assert not recoverable(per_axis(views, axis), "target"), axis
    # The region keeps its own figures in full; the national T2 figures beside it are suppressed.
    response = client.get(
        reverse("analytics:dashboard"), {"campaign": w.campaign.code, "scope": "services", "category": "T2"}
    )
    bundle = response.context["bundle"]
    assert bundle["report"]["public"] is False and bundle["report"]["axes"][0]["distribution"] == {
        "0": 1,
        "1": 0,
        "2": 0,
        "3": 1,
    }
    assert (
        bundle["national"]["axes"][0]["suppressed"] is True
        and bundle["national"]["axes"][0]["mean_level"] is None
    )
    assert "suppressed" in response.content.decode()


def test_unfiltered_national_figures_minus_a_type_filter_reveal_no_other_service(client):
    """Each view alone has K peers or more; their differences do not."""
    w, ars, grades_76 = regional_world()
    w.add(
        code="target",
        kind="service",
        category="T2",
        organisation=grades_76,
        region="76",
        levels={"A1": 3, "A3": 0},
    )
    grades_44 = f.OrganisationFactory(kind="grades", region="44", siren="", code="grades-44")
    for i in range(5):
        w.add(
            code=f"east-{i}",
            kind="service",
            category="T2",
            organisation=grades_44,
            region="44",
            levels={"A1": 1, "A3": 1},
        )
    membership = member(client, ars)
    known = w.covered("A1", region="11") | w.covered("A3", region="11")
    # national T1 (5 peers), national T2 (6), national (11), region 76 (6), region 44 (5): each
    # alone passes the threshold; region 76 minus national T1 is the target.
    views = dashboard_views(client, w, scope="services", known=known, categories=["T1", "T2", "T3"])
    views += api_views(api_client(membership), w, scope="services", known=known)
    for axis in ("A1", "A3"):
        assert not recoverable(per_axis(views, axis), "target"), axis
    # What stays shown is still the rule's: the national figures over 11 peers.
    assert w.covered("A1", known=known) in per_axis(views, "A1")


def test_a_region_keeps_its_own_services_in_full_and_its_exports_follow_the_rule(client):
    """Its region's services are its own to read; the products of its region's vendors are
    other organisations' (four of them: suppressed, in the page and in every export)."""
    w, ars, grades_76 = regional_world()
    for i in range(K - 1):
        org = f.OrganisationFactory(code=f"vendor-{i}", region="11")
        w.add(code=f"product-{i}", kind="product", category="C1", organisation=org, levels={"A1": i})
    member(client, ars)
    export = reverse("analytics:export")
    own = client.get(
        export, {"campaign": w.campaign.code, "scope": "services", "category": "T2", "format": "json"}
    )
    report = own.json()
    assert report["region"] == "11" and report["public"] is False  # its own region's services: in full
    assert report["axes"][0]["distribution"] == {"0": 1, "1": 0, "2": 0, "3": 1}
    products = client.get(export, {"campaign": w.campaign.code, "scope": "products", "format": "json"}).json()
    assert products["public"] is True and products["axes"][0]["suppressed"] is True
    assert products["axes"][0]["distribution"] is None and products["axes"][0]["mean_level"] is None
    csv = client.get(export, {"campaign": w.campaign.code, "scope": "products", "format": "csv"})
    assert csv.status_code == 200
    page = client.get(reverse("analytics:dashboard"), {"campaign": w.campaign.code, "scope": "products"})
    assert page.context["bundle"]["report"]["axes"][0]["distribution"] is None


# --- other differencing: regions of the API, products without a region, two campaigns -----------


@pytest.mark.parametrize("target_region", ["76", ""])
def test_a_vendor_token_cannot_subtract_regions_from_the_national_report(target_region):
    """Public mode alone shows the national figures (13 answers) and those of regions 11 (6)
    and 93 (5): national minus those regions and the vendor's own product was the single
    product of region 76 or, with the same algebra, of an organisation with no region."""
    w = world(scope="products")
    attacker = f.OrganisationFactory(code="attacker")
    for i in range(6):
        org = f.OrganisationFactory(code=f"north-{i}", region="11")
        w.add(code=f"north-{i}", kind="product", category="C1", organisation=org, levels={"A1": i % 4})
    for i in range(5):
        org = f.OrganisationFactory(code=f"south-{i}", region="93")
        w.add(code=f"south-{i}", kind="product", category="C2", organisation=org, levels={"A1": 2})
    owner = f.OrganisationFactory(code="competitor", region=target_region)
    w.add(code="target", kind="product", category="C1", organisation=owner, levels={"A1": 3})
    w.add(code="mine", kind="product", category="C1", organisation=attacker, levels={"A1": 1})
    client = api_client(f.MembershipFactory(organisation=attacker))
    views = api_views(client, w, scope="products", known={"mine"})
    assert not recoverable(per_axis(views, "A1"), "target")
    assert views, "the rule still shows figures over enough peers"


def test_level_transitions_between_two_campaigns_reveal_no_newcomer(client):
    """A region's products in two campaigns: six in both, one only in the later. With both
    distributions shown, the transitions of the six gave the newcomer's level by difference."""
    w = world(scope="products")
    later = w.campaign
    earlier = f.CampaignFactory(
        code="earlier",
        referential=later.referential,
        scope="products",
        opens_on=datetime.date(2019, 9, 1),
        closes_on=datetime.date(2019, 12, 15),
    )
    ars = f.OrganisationFactory(kind="ars", region="11", siren="", code="ars-11")
    for i in range(6):
        org = f.OrganisationFactory(code=f"vendor-{i}", region="11")
        w.add(
            code=f"p-{i}",
            kind="product",
            category="C1",
            organisation=org,
            levels={"A1": i % 4},
            campaign=earlier,
        )
        w.add(
            code=f"p-{i}",
            kind="product",
            category="C1",
            organisation=org,
            levels={"A1": i % 4},
            campaign=later,
        )
    w.add(
        code="newcomer",
        kind="product",
        category="C1",
        organisation=f.OrganisationFactory(code="new", region="11"),
        levels={"A1": 3},
    )
    member(client, ars)
    response = client.get(
        reverse("analytics:dashboard"),
        {"campaign": later.code, "scope": "products", "compare_with": earlier.code},
    )
    bundle = response.context["bundle"]
    a1 = bundle["report"]["axes"][0]
    assert a1["distribution"] is not None  # 7 peers: the later campaign's figures are shown
    transitions = bundle["evolution"]["transitions"]
    views = [w.covered("A1", region="11")]  # the later campaign's distribution
    if any(t["axis"] == "A1" for t in transitions["axes"]):
        views.append(frozenset(f"p-{i}" for i in range(6)))  # the later levels of the six
    assert not recoverable(views, "newcomer")
    assert transitions["axes"] == [] and all(n == 0 for row in transitions["total"] for n in row["counts"])


def test_the_agency_still_reads_every_figure_unsuppressed(client):
    w, _ars, grades_76 = regional_world()
    w.add(
        code="target",
        kind="service",
        category="T2",
        organisation=grades_76,
        region="76",
        levels={"A1": 3, "A3": 0},
    )
    agency = f.MembershipFactory(organisation=f.OrganisationFactory(kind="agency", siren="", code="agency"))
    response = api_client(agency).get(
        reverse("api:campaign-report", args=[w.campaign.code]), {"scope": "services", "region": "76"}
    )
    report = response.json()
    expected = report_compute(ReportParams(campaign=w.campaign.code, scope="services", region="76")).as_dict()
    assert report == expected and report["public"] is False
    assert report["axes"][0]["distribution"] == {"0": 2, "1": 1, "2": 1, "3": 2}


def test_the_rule_costs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    w, ars, grades_76 = regional_world()
    membership = member(client, ars)
    token = api_client(membership)
    url = reverse("api:campaign-report", args=[w.campaign.code])
    export = reverse("analytics:export")
    query = {"campaign": w.campaign.code, "scope": "products", "format": "json"}
    token.get(url, {"scope": "services"})  # the facts are fresh from here on
    # The export's file cache reads the data version first (5 queries), then computes on a miss.
    with django_assert_max_num_queries(46) as few:
        token.get(url, {"scope": "services"})
        client.get(export, query)
    baseline = len(few.captured_queries)  # now: the query log is a bounded ring
    for i in range(30):
        org = f.OrganisationFactory(code=f"more-{i}", region=list(REGIONS)[i % 5])
        w.add(code=f"more-{i}", kind="product", category="C1", organisation=org, levels={"A1": i % 4})
        w.add(
            code=f"svc-{i}",
            kind="service",
            category="T3",
            organisation=grades_76,
            region="76",
            levels={"A1": 1},
        )
    token.get(url, {"scope": "services"})
    with django_assert_max_num_queries(baseline):
        token.get(url, {"scope": "services"})
        client.get(export, query)
