import pytest
from django.urls import reverse

from tests import factories as f


def menu_labels(client) -> str:
    page = client.get(reverse("web:home")).content.decode()
    return page[page.index('id="main-navigation"') : page.index("</nav>", page.index('id="main-navigation"'))]


@pytest.mark.django_db
def test_the_public_sees_the_referentials_and_the_observatory_only(client):
    nav = menu_labels(client)
    assert reverse("referential:list") in nav
    assert reverse("analytics:observatory") in nav
    for private in ("catalog:list", "assessments:list", "assessments:review_queue", "analytics:dashboard"):
        assert f'href="{reverse(private)}"' not in nav


@pytest.mark.django_db
def test_a_vendor_gets_its_declarations_and_the_peer_benchmark_but_no_agency_menu(client):
    membership = f.MembershipFactory()
    client.force_login(membership.user)
    nav = menu_labels(client)
    for url_name in ("catalog:list", "assessments:list", "exchange:import", "analytics:benchmark"):
        assert f'href="{reverse(url_name)}"' in nav
    assert f'href="{reverse("assessments:review_queue")}"' not in nav
    assert f'href="{reverse("campaigns:list")}"' not in nav


@pytest.mark.django_db
def test_the_agency_gets_the_review_queue_and_campaigns_in_a_menu(client):
    membership = f.MembershipFactory(organisation=f.OrganisationFactory(agency=True))
    client.force_login(membership.user)
    nav = menu_labels(client)
    assert 'class="fr-nav__btn"' in nav
    assert f'href="{reverse("assessments:review_queue")}"' in nav
    assert f'href="{reverse("campaigns:list")}"' in nav
    assert f'href="{reverse("analytics:benchmark")}"' not in nav  # the agency has no products of its own


@pytest.mark.django_db
def test_the_current_page_is_marked_in_its_menu(client):
    membership = f.MembershipFactory()
    client.force_login(membership.user)
    page = client.get(reverse("assessments:list")).content.decode()
    assert f'href="{reverse("assessments:list")}" aria-current="page"' in page


@pytest.mark.django_db
def test_the_audit_log_is_offered_to_account_managers_only(client):
    employee = f.MembershipFactory(role="salarie")
    client.force_login(employee.user)
    assert f'href="{reverse("organisations:audit_log")}"' not in menu_labels(client)
    manager = f.MembershipFactory(role="mandataire")
    client.force_login(manager.user)
    assert f'href="{reverse("organisations:audit_log")}"' in menu_labels(client)
