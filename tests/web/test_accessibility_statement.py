"""The accessibility statement (déclaration d'accessibilité): level reached, what is not yet
compliant, contact, date; linked from every page's footer."""

import json
from pathlib import Path

import pytest
from django.urls import reverse

from convergence.web import views

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def test_the_statement_says_the_level_what_is_not_compliant_whom_to_contact_and_when(client, settings):
    settings.DEFAULT_FROM_EMAIL = "accessibilite@convergence.example"
    body = client.get(reverse("web:accessibility")).content.decode()
    assert "partially compliant with the RGAA, version 4.1" in body
    for section in ('id="not-compliant"', 'id="contact"', 'id="remedies"', 'id="statement-date"'):
        assert section in body
    assert "Swagger UI" in body  # the known non-compliance
    assert 'href="mailto:accessibilite@convergence.example"' in body
    assert "Dec. 3, 2026" in body
    french = client.get(reverse("web:accessibility"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "3 décembre 2026" in french


def test_the_statement_names_the_axe_core_release_the_tests_install():
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/axe-core"]["version"] == views.AXE_CORE_VERSION
    assert (
        json.loads((ROOT / "package.json").read_text())["devDependencies"]["axe-core"]
        == views.AXE_CORE_VERSION
    )


def test_every_page_links_to_the_statement_from_its_footer(client):
    for url in (reverse("web:home"), reverse("account_login"), "/no-such-page/"):
        body = client.get(url).content.decode()
        footer = body[body.index("<footer") :]
        assert f'href="{reverse("web:accessibility")}"' in footer, url
