"""A published snapshot's page is rendered once (at publication, or on the first view of an
older snapshot) and then served as stored, in each site language."""

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from convergence.analytics.models import PublishedReport, SnapshotRendering
from convergence.analytics.services import report_publish
from convergence.referential.models import Axis

from .dataset import build_golden_services

pytestmark = pytest.mark.django_db

LANGUAGES = [code for code, _name in settings.LANGUAGES]


def detail_url(snapshot: PublishedReport) -> str:
    return reverse("analytics:observatory_detail", args=[snapshot.pk, snapshot.slug])


def page(snapshot: PublishedReport, language: str) -> str:
    response = Client(HTTP_ACCEPT_LANGUAGE=language).get(detail_url(snapshot))
    assert response.status_code == 200
    return response.content.decode()


def mark_stored_charts(snapshot: PublishedReport, language: str) -> str:
    """Alter the stored SVG of one language: a page that redraws its charts cannot show it."""
    marker = f'data-stored-rendering="{language}"'
    rendering = SnapshotRendering.objects.get(snapshot=snapshot, language=language)
    assert "<svg" in rendering.body
    SnapshotRendering.objects.filter(pk=rendering.pk).update(
        body=rendering.body.replace("<svg", f"<svg {marker}")
    )
    return marker


def test_publication_renders_the_page_in_every_site_language():
    build_golden_services()
    snapshot = report_publish(campaign_code="golden", scope="services", region=None, user=None, min_cell=2)
    renderings = {r.language: r for r in snapshot.renderings.all()}
    assert sorted(renderings) == sorted(LANGUAGES)
    assert "Key figures" in renderings["en"].body and "Chiffres clés" in renderings["fr"].body
    assert "Chiffres clés" not in renderings["en"].body
    for rendering in renderings.values():
        assert rendering.body.count("<svg") >= 4  # reached, mean, distribution, projection, groups
        assert "axes" in rendering.tables


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_page_serves_the_stored_rendering_with_few_constant_queries(language):
    build_golden_services()
    snapshot = report_publish(campaign_code="golden", scope="services", region="76", user=None, min_cell=2)
    marker = mark_stored_charts(snapshot, language)
    other = next(code for code in LANGUAGES if code != language)
    with CaptureQueriesContext(connection) as first:
        html = page(snapshot, language)
    assert marker in html  # the stored charts, not redrawn ones
    assert f'data-stored-rendering="{other}"' not in html  # the page's language, not the other's
    assert f'lang="{language}"' in html
    with CaptureQueriesContext(connection) as second:
        again = page(snapshot, language)
    assert again.count(marker) == html.count(marker) > 0
    assert len(second.captured_queries) == len(first.captured_queries) <= 3
    # The report JSON is not loaded by the page: only the stored rendering is.
    assert not any('"data"' in q["sql"] for q in second.captured_queries)
    assert SnapshotRendering.objects.filter(snapshot=snapshot).count() == len(LANGUAGES)


def test_a_snapshot_published_before_stored_renderings_is_rendered_on_first_view_then_never_again():
    build_golden_services()
    snapshot = report_publish(campaign_code="golden", scope="services", region="76", user=None, min_cell=2)
    SnapshotRendering.objects.filter(snapshot=snapshot).delete()  # as published before this change

    english = page(snapshot, "en")
    assert "Key figures" in english and "<svg" in english
    stored = SnapshotRendering.objects.get(snapshot=snapshot)
    assert stored.language == "en" and "Key figures" in stored.body
    marker = mark_stored_charts(snapshot, "en")
    assert marker in page(snapshot, "en")  # served as stored from the second view on

    french = page(snapshot, "fr")  # the other language is rendered on its own first view
    assert "Chiffres clés" in french and marker not in french
    assert sorted(snapshot.renderings.values_list("language", flat=True)) == sorted(LANGUAGES)


def test_the_stored_page_keeps_the_names_it_was_published_with():
    build_golden_services()
    Axis.objects.filter(code="A1").update(name_en="Interoperability")
    snapshot = report_publish(campaign_code="golden", scope="services", region=None, user=None, min_cell=2)
    Axis.objects.filter(code="A1").update(name_en="Renamed later", name="Axe renommé")
    english, french = page(snapshot, "en"), page(snapshot, "fr")
    assert "Interoperability" in english and "Renamed later" not in english
    assert "Axe A1" in french and "Axe renommé" not in french


def test_the_downloads_still_serve_the_report_as_published():
    build_golden_services()
    snapshot = report_publish(campaign_code="golden", scope="services", region=None, user=None, min_cell=2)
    client = Client()
    data = client.get(reverse("analytics:observatory_download", args=[snapshot.pk, "json"]))
    assert data.json() == snapshot.data
    rendering = snapshot.renderings.get(language="en")
    for table in rendering.tables:  # every table the page links to exists
        response = client.get(reverse("analytics:observatory_table", args=[snapshot.pk, table]))
        assert response.status_code == 200
