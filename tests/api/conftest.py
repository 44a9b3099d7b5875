"""Two vendors with a token each, a published referential, an open campaign, one product and
one draft assessment per vendor: the ground for ownership tests."""

import datetime
import textwrap

import pytest
from rest_framework.test import APIClient

from convergence.api.services import token_create
from convergence.assessments.models import Assessment, Campaign
from convergence.catalog.models import Subject
from convergence.referential.services import referential_import
from tests.factories import MembershipFactory, OrganisationFactory

REFERENTIAL_YAML = textwrap.dedent(
    """
    format: convergence-referential/1
    code: doctrine-api
    title: Doctrine de test
    published_on: 2020-01-15
    scale:
      min: 0
      max: 3
      labels: {0: Non engagé, 1: Planifié, 2: Conforme, 3: En usage}
    axes:
      - {code: INS, name: Identité nationale de santé}
      - {code: DMP, name: Dossier médical partagé}
    blocker_categories:
      - {code: visibilite, name: Manque de visibilité}
    service_families:
      - code: donnees-reference
        name: Données de référence
        types:
          - {code: ror, name: ROR, common_core: true, expected: {INS: 2, DMP: 2}}
    product_categories:
      - {code: dpi, name: Dossier patient informatisé, expected: {INS: 3, DMP: 3}}
    """
)


class World:
    pass


@pytest.fixture
def world(db):
    w = World()
    w.referential = referential_import(source=REFERENTIAL_YAML).referential
    w.campaign = Campaign.objects.create(
        code="2020-S2",
        title="Campagne 2020 S2",
        referential=w.referential,
        opens_on=datetime.date(2020, 9, 1),
        closes_on=datetime.date(2030, 12, 15),
        status="open",
    )
    for name in ("a", "b"):
        membership = MembershipFactory(
            organisation=OrganisationFactory(code=f"vendor-{name}"), role="mandataire"
        )
        subject = Subject.objects.create(
            code=f"product-{name}",
            kind="product",
            name=f"Produit {name}",
            organisation=membership.organisation,
            type_or_category="dpi",
        )
        assessment = Assessment.objects.create(campaign=w.campaign, subject=subject)
        _token, raw = token_create(user=membership.user, organisation=membership.organisation, name="test")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        setattr(w, f"org_{name}", membership.organisation)
        setattr(w, f"user_{name}", membership.user)
        setattr(w, f"subject_{name}", subject)
        setattr(w, f"assessment_{name}", assessment)
        setattr(w, f"token_{name}", raw)
        setattr(w, f"client_{name}", client)
    return w
