"""The API documentation page (Swagger UI) works under the site's Content Security
Policy: no console error (a CSP violation is one), and the operations are listed."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def collect_errors(page):
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_swagger_ui_renders_without_csp_violation(page, live_server):
    errors = collect_errors(page)
    response = page.goto(f"{live_server.url}{reverse('api:docs')}")
    assert "script-src" in response.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    expect(page.locator(".swagger-ui")).to_contain_text("/api/assessments/")
    assert errors == [], "\n".join(errors)
