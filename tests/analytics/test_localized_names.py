"""Analytics pages show the referential's names (axes, families, types, categories, blockers) and
the regions in the reader's language, while the report JSON and published snapshots keep the
referential's French names."""

import json

import pytest
from django.db.models import Q
from django.test import Client
from django.urls import reverse

from convergence.analytics.models import ReportRun
from convergence.analytics.selectors import referential_names
from convergence.analytics.services import report_publish
from convergence.referential.models import Axis, BlockerCategory, ProductCategory, ServiceFamily, ServiceType
from tests import factories as f

from .dataset import build_golden_services, build_referential
from .test_views import build_products

pytestmark = pytest.mark.django_db


def name_in_english(model, code, english):
    model.objects.filter(code=code).update(name_en=english)


def golden_in_both_languages():
    """The golden campaign, with English names for A1, F1, T1, b1 (A2, A3, T2, b2 have none)."""
    campaign = build_golden_services()
    name_in_english(Axis, "A1", "Interoperability")
    name_in_english(ServiceFamily, "F1", "Family one")
    name_in_english(ServiceType, "T1", "Kind one")
    name_in_english(BlockerCategory, "b1", "Lack of funding")
    return campaign


def agency_client(language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    membership = f.MembershipFactory(organisation=f.OrganisationFactory(kind="agency", siren=""))
    client.force_login(membership.user)
    return client


GOLDEN = {"campaign": "golden", "scope": "services"}


def test_the_english_dashboard_shows_the_english_names_and_falls_back_to_french():
    golden_in_both_languages()
    response = agency_client("en").get(reverse("analytics:dashboard"), GOLDEN)
    html = response.content.decode()
    for english in ["Interoperability", "Family one", "Kind one", "Lack of funding"]:
        assert english in html, english
    assert "Axe A1" not in html and "Famille 1" not in html and "Frein b1" not in html
    # No English name: the French one.
    assert "Axe A2" in html and "Type 2" in html and "Frein b2" in html
    # The chart of families is drawn with the page's names too.
    assert "Family one" in response.context["charts"]["groups"]


def test_the_french_dashboard_shows_the_french_names():
    golden_in_both_languages()
    response = agency_client("fr").get(reverse("analytics:dashboard"), GOLDEN)
    html = response.content.decode()
    assert "Chiffres clés" in html  # a French page
    for french in ["Axe A1", "Famille 1", "Type 1", "Frein b1", "Occitanie"]:
        assert french in html, french
    for english in ["Interoperability", "Family one", "Kind one", "Lack of funding", "Occitania"]:
        assert english not in html, english
    assert "Family one" not in response.context["charts"]["groups"]


def test_the_cached_figures_keep_the_french_names_whatever_the_page_language():
    golden_in_both_languages()
    report = agency_client("en").get(reverse("analytics:dashboard"), GOLDEN).context["bundle"]["report"]
    assert report["axes"][0]["name"] == "Axe A1"
    assert report["families"][0]["name"] == "Famille 1"
    assert report["families"][0]["types"][0]["name"] == "Type 1"


def test_report_files_keep_french_names_and_human_reports_follow_the_language():
    golden_in_both_languages()
    client = agency_client("en")
    url = reverse("analytics:export")
    data = json.loads(client.get(url, {**GOLDEN, "format": "json"}).content)
    assert data["axes"][0]["name"] == "Axe A1"
    assert data["families"][0]["types"][0]["name"] == "Type 1"
    html = client.get(url, {**GOLDEN, "category": "T1", "format": "html"}).content.decode()
    assert "Interoperability" in html and "Axe A1" not in html
    assert "T1 Kind one" in html  # the cover names the type chosen
    french = agency_client("fr").get(url, {**GOLDEN, "category": "T1", "format": "html"}).content.decode()
    assert "Axe A1" in french and "T1 Type 1" in french and "Interoperability" not in french


def test_the_observatory_shows_a_snapshot_in_the_reader_language_and_its_data_as_published():
    golden_in_both_languages()
    snapshot = report_publish(campaign_code="golden", scope="services", region="76", user=None, min_cell=2)
    # The referential changes after the publication: A3's code is gone, A2 is renamed in French.
    Axis.objects.filter(code="A3").update(code="A9", name_en="Ninth axis")
    Axis.objects.filter(code="A2").update(name="Axe renommé")
    detail = reverse("analytics:observatory_detail", args=[snapshot.pk, snapshot.slug])

    english = Client(HTTP_ACCEPT_LANGUAGE="en").get(detail).content.decode()
    assert "Interoperability" in english and "Family one" in english and "Axe A1" not in english
    assert "Axe A3" in english and "Ninth axis" not in english  # an unknown code: the stored name
    assert "Axe A2" in english and "Axe renommé" not in english  # no English name: the stored one
    assert "76 Occitania" in english

    french = Client(HTTP_ACCEPT_LANGUAGE="fr").get(detail).content.decode()
    assert "Axe A1" in french and "Famille 1" in french and "Interoperability" not in french
    assert "Axe A2" in french and "Axe renommé" not in french  # the snapshot is frozen
    assert "76 Occitanie" in french

    download = Client(HTTP_ACCEPT_LANGUAGE="en").get(
        reverse("analytics:observatory_download", args=[snapshot.pk, "json"])
    )
    published = json.loads(download.content)
    assert published == snapshot.data
    assert [a["name"] for a in published["axes"]] == ["Axe A1", "Axe A2", "Axe A3"]
    table = Client(HTTP_ACCEPT_LANGUAGE="en").get(
        reverse("analytics:observatory_table", args=[snapshot.pk, "axes"])
    )
    assert "Axe A1" in table.content.decode() and "Interoperability" not in table.content.decode()


def test_the_observatory_list_names_regions_and_filters_in_the_reader_language():
    build_golden_services()
    report_publish(campaign_code="golden", scope="services", region="76", user=None)
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("analytics:observatory")).content.decode()
    assert "76 Occitania" in english and "All campaigns" in english and "All scopes" in english
    french = Client(HTTP_ACCEPT_LANGUAGE="fr").get(reverse("analytics:observatory")).content.decode()
    assert "76 Occitanie" in french
    assert "Toutes les campagnes" in french and "Tous les périmètres" in french


def test_dashboard_filters_read_well_in_french_and_name_types_in_the_reader_language():
    golden_in_both_languages()
    french = agency_client("fr").get(reverse("analytics:dashboard")).content.decode()
    assert "Tous les types et catégories" in french and "Type 1 (T1)" in french
    assert '<option value="76">76 Occitanie</option>' in french
    english = agency_client("en").get(reverse("analytics:dashboard")).content.decode()
    assert "All types and categories" in english and "Kind one (T1)" in english
    assert '<option value="76">76 Occitania</option>' in english


def test_a_regional_dashboard_names_its_region_in_the_reader_language():
    build_golden_services()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    membership = f.MembershipFactory(organisation=f.OrganisationFactory(kind="ars", region="76", siren=""))
    client.force_login(membership.user)
    html = client.get(reverse("analytics:dashboard"), GOLDEN).content.decode()
    assert "Regional dashboard (76 Occitania)" in html


def test_the_benchmark_names_the_category_in_the_reader_language():
    _ref, campaign, axes, _ = build_referential()
    name_in_english(ProductCategory, "C1", "Patient record")
    ours = build_products(campaign, axes)
    membership = f.MembershipFactory(organisation=ours)
    for language, shown, hidden in [
        ("en", "Patient record", "Catégorie 1"),
        ("fr", "Catégorie 1", "Patient record"),
    ]:
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(membership.user)
        html = client.get(reverse("analytics:benchmark")).content.decode()
        assert shown in html and hidden not in html, language


def test_the_progress_of_a_computation_names_its_step_in_the_reader_language():
    campaign = build_golden_services()
    run = ReportRun.objects.create(
        params_key="x", data_version="y", params={"report": {"campaign": campaign.code}}, status="running"
    )
    ReportRun.objects.filter(pk=run.pk).update(progress=40, step="regions")
    url = reverse("analytics:run_status", args=[run.pk])
    assert "(regions side by side)" in agency_client("en").get(url).content.decode()
    assert "(régions côte à côte)" in agency_client("fr").get(url).content.decode()


def test_the_referential_names_are_read_in_one_query(django_assert_num_queries):
    ref, _campaign, _axes, _blockers = build_referential()
    with django_assert_num_queries(1):
        names = referential_names(referential=Q(referential_id=ref.pk))
    assert names["axes"]["A1"] == ("Axe A1", "")
    assert set(names["types"]) == {"T1", "T2", "T3"} and set(names["categories"]) == {"C1", "C2"}
    assert names["families"]["F2"][0] == "Famille 2" and set(names["blockers"]) == {"b1", "b2"}
