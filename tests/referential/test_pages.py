"""Public pages of the referential: list, detail with the matrix, comparison of editions."""

import pytest
from django.test import Client
from django.urls import reverse

from convergence.referential import models as ref
from convergence.referential.services import load_default_referentials, referential_import
from tests.factories import MembershipFactory, OrganisationFactory

from .test_import import MINIMAL

pytestmark = pytest.mark.django_db

DRAFT = MINIMAL.replace("code: mini-1", "code: brouillon-1").replace("published_on: 2021-01-01\n", "")


@pytest.fixture
def editions(db):
    load_default_referentials()
    referential_import(source=DRAFT)


@pytest.fixture
def agency_client(client):
    membership = MembershipFactory(organisation=OrganisationFactory(agency=True))
    client.force_login(membership.user)
    return client


def test_the_list_shows_published_editions_to_the_public_and_hides_drafts(client, editions):
    response = client.get(reverse("referential:list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "doctrine-2019" in page
    assert "doctrine-2023" in page
    assert "brouillon-1" not in page


def test_the_list_shows_drafts_to_agency_members(agency_client, editions):
    page = agency_client.get(reverse("referential:list")).content.decode()
    assert "brouillon-1" in page


def test_a_vendor_member_does_not_see_drafts(client, editions):
    client.force_login(MembershipFactory().user)
    assert "brouillon-1" not in client.get(reverse("referential:list")).content.decode()
    assert client.get(reverse("referential:detail", args=["brouillon-1"])).status_code == 404


def test_the_list_filters_by_status(client, editions):
    ref.Referential.objects.filter(code="doctrine-2019").update(status="retired")
    page = client.get(reverse("referential:list"), {"status": "retired"}).content.decode()
    assert "doctrine-2019" in page
    assert "doctrine-2023" not in page
    # A draft filter from the public is not a choice: the form ignores it and drafts stay hidden.
    page = client.get(reverse("referential:list"), {"status": "draft"}).content.decode()
    assert "brouillon-1" not in page


def test_the_list_paginates_with_a_bounded_number_of_queries(client, django_assert_max_num_queries):
    for number in range(25):
        referential_import(source=MINIMAL.replace("code: mini-1", f"code: mini-{number}"))
    with django_assert_max_num_queries(6):
        first = client.get(reverse("referential:list"))
    assert first.content.decode().count('href="/referentiels/mini-') == 20
    second = client.get(reverse("referential:list"), {"page": 2}).content.decode()
    assert second.count('href="/referentiels/mini-') == 5


def test_a_draft_detail_is_404_for_the_public_and_shown_to_the_agency(client, editions):
    url = reverse("referential:detail", args=["brouillon-1"])
    assert client.get(url).status_code == 404
    client.force_login(MembershipFactory(organisation=OrganisationFactory(agency=True)).user)
    client.cookies["django_language"] = "en"
    page = client.get(url).content.decode()
    assert "This edition is a draft" in page


def test_an_unknown_code_is_404(client, editions):
    assert client.get(reverse("referential:detail", args=["nope"])).status_code == 404


def test_the_detail_shows_descriptors_typology_and_the_matrix(editions, django_assert_max_num_queries):
    url = reverse("referential:detail", args=["doctrine-2019"])
    with django_assert_max_num_queries(12):
        response = Client(HTTP_ACCEPT_LANGUAGE="fr").get(url)  # the referential's own language
    page = response.content.decode()
    assert "Identité nationale de santé (INS)" in page
    assert "INS qualifiée utilisée en routine pour identifier les usagers" in page  # a level descriptor
    assert "Référentiels socles" in page  # a group
    assert "Téléconsultation" in page
    assert "Dossier patient informatisé hospitalier" in page
    assert '<caption id="matrix-caption">' in page
    assert 'scope="col"' in page and 'scope="row"' in page


def test_the_matrix_cells_say_expected_applies_or_not_applicable(client, editions):
    referential_import(source=MINIMAL)
    page = client.get(reverse("referential:detail", args=["mini-1"])).content.decode()
    matrix = page.split('<table class="cv-matrix">')[1].split("</table>")[0]
    rows = [row for row in matrix.split("<tr>")[1:] if "<td" in row]
    teleconsultation, dpi = rows
    cells = lambda row: [cell.split(">", 1)[1].split("</td>")[0].strip() for cell in row.split("<td")[1:]]  # noqa: E731
    # axes in file order: INS, MSS
    assert cells(teleconsultation)[0] == "2"
    assert "—" in cells(teleconsultation)[1]
    assert cells(dpi) == ["3", ""]


def test_the_detail_is_in_english_when_english_is_chosen(client, editions):
    client.cookies["django_language"] = "en"
    page = client.get(reverse("referential:detail", args=["doctrine-2019"])).content.decode()
    assert "National health identifier (INS)" in page
    assert "Qualified INS routinely used to identify patients" in page
    assert "Applicability matrix" in page


def test_the_comparison_lists_what_changed_between_editions(client, editions, django_assert_max_num_queries):
    client.cookies["django_language"] = "en"
    with django_assert_max_num_queries(30):
        response = client.get(reverse("referential:compare"), {"a": "doctrine-2019", "b": "doctrine-2023"})
    assert response.status_code == 200
    comparison = response.context["comparison"]
    added = [axis["code"] for axis in comparison.axes_added]
    assert added  # the 2023 edition has 13 axes, the 2019 one 12
    page = response.content.decode()
    assert "Level descriptors changed" in page
    for code in added:
        assert f"<code>{code}</code>" in page
    ins = next(axis for axis in comparison.descriptors_changed if axis.code == "INS")
    assert [change.level for change in ins.changes] == [3]
    assert "identity-vigilance" in ins.changes[0].after  # English descriptors, as the page is in English


def test_the_comparison_reports_expected_levels_and_blockers(client, db):
    referential_import(source=MINIMAL)
    changed = (
        MINIMAL.replace("code: mini-1", "code: mini-2")
        .replace("{INS: 3}", "{INS: 2, MSS: null}")
        .replace("name: Messagerie", "name: Messagerie sécurisée")
        .replace("{code: calendrier, name: Calendrier}", "{code: financement, name: Financement}")
        .replace("3: tout}", "3: absolument tout}")
    )
    referential_import(source=changed)
    comparison = client.get(reverse("referential:compare"), {"a": "mini-1", "b": "mini-2"}).context[
        "comparison"
    ]
    assert [(r.code, r.before, r.after) for r in comparison.axes_renamed] == [
        ("MSS", "Messagerie", "Messagerie sécurisée")
    ]
    assert [(c.level, c.before, c.after) for a in comparison.descriptors_changed for c in a.changes] == [
        (3, "tout", "absolument tout")
    ]
    assert [
        (t.code, [(c.axis, c.before, c.after) for c in t.changes]) for t in comparison.expectations_changed
    ] == [("dpi", [("INS", (True, 3), (True, 2)), ("MSS", (False, None), (True, None))])]
    assert comparison.blockers_added == [{"code": "financement", "name": "Financement"}]
    assert comparison.blockers_removed == [{"code": "calendrier", "name": "Calendrier"}]


def test_the_comparison_refuses_the_same_edition_twice_and_hidden_drafts(client, editions):
    response = client.get(reverse("referential:compare"), {"a": "doctrine-2019", "b": "doctrine-2019"})
    assert response.context["comparison"] is None
    assert response.context["form"].has_error("__all__", "same_edition")
    response = client.get(reverse("referential:compare"), {"a": "brouillon-1", "b": "doctrine-2019"})
    assert response.context["comparison"] is None
    assert 'value="brouillon-1"' not in response.content.decode()
    assert list(response.context["form"].errors) == ["a"]
    assert "fr-select-group--error" in response.content.decode()
