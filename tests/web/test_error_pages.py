import pytest
from django.test import Client, override_settings
from django.urls import reverse

from tests import factories as f


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_an_unknown_page_answers_a_404_in_the_site_layout(client):
    response = client.get("/nothing-here/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page
    assert 'id="main-navigation"' in page


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_a_refusal_explains_itself_in_the_site_layout(client):
    employee = f.MembershipFactory(role="salarie")
    client.force_login(employee.user)
    response = client.get(reverse("organisations:audit_log"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "Access denied" in page
    assert "audit" in page  # the reason given by the permission check


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_a_server_error_page_renders_without_a_request_context():
    from django.test import RequestFactory
    from django.views.defaults import server_error

    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Server error" in response.content.decode()


def test_error_pages_are_in_french_by_default(db):
    with override_settings(DEBUG=False):
        page = Client().get("/nothing-here/").content.decode()
    assert "Page introuvable" in page
