import pytest
from django.test import Client


@pytest.mark.django_db
def test_the_home_page_renders_in_french_by_default():
    response = Client().get("/")
    assert response.status_code == 200
    assert 'lang="fr"' in response.content.decode()


@pytest.mark.django_db
def test_every_page_carries_a_content_security_policy(client):
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-eval" not in policy


@pytest.mark.django_db
def test_the_home_page_is_in_english_when_the_browser_asks_for_it():
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/").content.decode()
    assert 'lang="en"' in page
    assert "Log in" in page
