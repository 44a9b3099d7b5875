"""The header's search: the agency finds organisations, products, services and campaigns by
name, code or SIREN; everyone else only within what their selectors let them see."""

import pytest
from django.urls import reverse

from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    acme = f.OrganisationFactory(code="acme", name="Acme Santé", siren="732829320")
    globex = f.OrganisationFactory(code="globex", name="Globex Santé", siren="552100554")
    agency = f.OrganisationFactory(code="ans", name="Agence", agency=True)
    return {
        "acme": acme,
        "globex": globex,
        "acme_product": f.SubjectFactory(organisation=acme, code="acme-dpi", name="Dossier patient Acme"),
        "globex_product": f.SubjectFactory(
            organisation=globex, code="globex-dpi", name="Dossier patient Globex"
        ),
        "campaign": f.CampaignFactory(code="2024-S1", title="Campagne 2024 premier semestre", status="open"),
        "draft_campaign": f.CampaignFactory(
            code="2025-S1", title="Campagne 2025 en préparation", status="draft"
        ),
        "analyst": f.MembershipFactory(organisation=agency, role="analyste").user,
        "acme_employee": f.MembershipFactory(organisation=acme, role="salarie").user,
    }


def results(client, user, q, **params):
    client.force_login(user)
    response = client.get(reverse("web:search"), {"q": q, **params})
    assert response.status_code == 200
    return {
        group["kind"].key: [r["object"] for r in group["results"]] for group in response.context["groups"]
    }


def test_the_agency_finds_every_kind_by_name_code_and_siren(client, world):
    found = results(client, world["analyst"], "dossier patient")
    assert set(found["subjects"]) == {world["acme_product"], world["globex_product"]}
    assert results(client, world["analyst"], "globex")["organisations"] == [world["globex"]]
    by_siren = results(client, world["analyst"], "552 100 554")
    assert by_siren["organisations"] == [world["globex"]] and by_siren["subjects"] == [
        world["globex_product"]
    ]
    campaigns = results(client, world["analyst"], "campagne")["campaigns"]
    assert set(campaigns) == {world["campaign"], world["draft_campaign"]}  # the agency sees drafts


def test_a_vendor_finds_only_what_it_may_see(client, world):
    found = results(client, world["acme_employee"], "dossier patient")
    assert found["subjects"] == [world["acme_product"]]
    assert results(client, world["acme_employee"], "globex") == {
        "subjects": [],
        "organisations": [],
        "campaigns": [],
    }
    assert results(client, world["acme_employee"], "campagne")["campaigns"] == [world["campaign"]]  # no draft
    assert results(client, world["acme_employee"], "acme")["organisations"] == [world["acme"]]


def test_results_are_grouped_by_kind_and_a_kind_pages_through_its_results(client, world):
    for index in range(30):
        f.SubjectFactory(organisation=world["acme"], code=f"lot-{index:02}", name=f"Lot {index:02}")
    client.force_login(world["analyst"])
    grouped = client.get(reverse("web:search"), {"q": "lot"})
    subjects = next(g for g in grouped.context["groups"] if g["kind"].key == "subjects")
    assert len(subjects["results"]) == 5 and subjects["page"].paginator.count == 30
    body = grouped.content.decode()
    assert "kind=subjects" in body and 'id="results-organisations"' in body
    second = client.get(reverse("web:search"), {"q": "lot", "kind": "subjects", "page": 2})
    [only] = second.context["groups"]
    assert only["page"].number == 2 and len(only["results"]) == 10


def test_a_one_letter_search_asks_for_more(client, world):
    client.force_login(world["analyst"])
    response = client.get(reverse("web:search"), {"q": "a"})
    assert response.context["too_short"] and response.context["groups"] == []


def test_the_header_has_one_labelled_search_box_for_a_logged_in_user(client, world):
    client.force_login(world["acme_employee"])
    body = client.get(reverse("web:home")).content.decode()
    header = body[body.index("<header") : body.index("</header>")]
    assert header.count('role="search"') == 1 and f'action="{reverse("web:search")}"' in header
    assert 'for="header-search-input"' in header


def test_anonymous_visitors_are_sent_to_the_login_page(client, world):
    response = client.get(reverse("web:search"), {"q": "acme"})
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
