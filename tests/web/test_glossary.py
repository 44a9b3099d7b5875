"""The glossary: every term with its anchor, the codes of the current referential, and the
`{% glossary_link %}` tag that the pages use."""

import datetime

import pytest
from django.template import Context, Template
from django.urls import reverse

from convergence.web.glossary import TERMS
from tests import factories as f

pytestmark = pytest.mark.django_db

REQUIRED = {
    "axis",
    "expected-level",
    "common-core",
    "blocker",
    "milestone",
    "campaign",
    "referential-edition",
    "service-type",
    "product-category",
}


def test_the_page_defines_every_term_with_an_anchor_and_lists_the_referentials_codes(client):
    referential = f.ReferentialFactory(code="doctrine-test", published_on=datetime.date(2023, 6, 1))
    f.ProductCategoryFactory(referential=referential, code="dpi", name="Dossier patient informatisé")
    body = client.get(reverse("web:glossary")).content.decode()
    assert {term.slug for term in TERMS} >= REQUIRED
    for term in TERMS:
        assert f'id="{term.slug}"' in body and f'href="#{term.slug}"' in body
    assert "<code>dpi</code>" in body and "Dossier patient informatisé" in body


def test_the_tag_links_to_the_terms_anchor_and_an_unknown_term_fails():
    html = Template('{% load web %}{% glossary_link "expected-level" %}').render(Context())
    assert f'href="{reverse("web:glossary")}#expected-level"' in html and ">Expected level</a>" in html
    custom = Template('{% load web %}{% glossary_link "axis" "axes" %}').render(Context())
    assert ">axes</a>" in custom
    with pytest.raises(KeyError):
        Template('{% load web %}{% glossary_link "no-such-term" %}').render(Context())


def test_the_footer_links_to_the_glossary_and_the_accessibility_statement(client):
    body = client.get(reverse("web:home")).content.decode()
    footer = body[body.index("<footer") :]
    assert (
        f'href="{reverse("web:glossary")}"' in footer and f'href="{reverse("web:accessibility")}"' in footer
    )


def test_the_product_page_links_its_category_to_the_glossary(client):
    membership = f.MembershipFactory()
    subject = f.SubjectFactory(organisation=membership.organisation)
    client.force_login(membership.user)
    body = client.get(reverse("catalog:detail", args=[subject.pk])).content.decode()
    assert f"{reverse('web:glossary')}#product-category" in body
