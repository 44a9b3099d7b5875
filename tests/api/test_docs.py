from django.urls import reverse


def test_the_old_redoc_address_leads_to_the_swagger_page(client):
    response = client.get(reverse("api:redoc"))
    assert response.status_code == 301
    assert response["Location"] == reverse("api:docs")


def test_the_schema_and_docs_are_public(client, db):
    assert client.get(reverse("api:schema")).status_code == 200
    page = client.get(reverse("api:docs"))
    assert page.status_code == 200
    # The page's own script is a separate file (no inline script under script-src 'self').
    assert b"<script>" not in page.content
