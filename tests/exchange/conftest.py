"""A small referential and campaign shared by the dataset import/export tests."""

import datetime
import textwrap

import pytest

from convergence.assessments.models import Campaign
from convergence.referential.services import referential_import
from tests.factories import MembershipFactory, OrganisationFactory

REFERENTIAL_YAML = textwrap.dedent(
    """
    format: convergence-referential/1
    code: doctrine-test
    title: Doctrine de test
    published_on: 2020-01-15
    scale:
      min: 0
      max: 3
      labels: {0: Non engagé, 1: Planifié, 2: Conforme, 3: En usage}
    axes:
      - {code: INS, name: Identité nationale de santé}
      - {code: DMP, name: Dossier médical partagé}
      - {code: MSS, name: Messagerie sécurisée}
      - {code: SECU, name: Sécurité}
    blocker_categories:
      - {code: calendrier-national, name: Calendrier national non communiqué}
      - {code: visibilite, name: Manque de visibilité}
    service_families:
      - code: donnees-reference
        name: Données de référence
        types:
          - code: ror
            name: ROR
            common_core: true
            expected: {INS: 2, DMP: 2, MSS: null}
          - code: teleconsultation
            name: Téléconsultation
            expected: {INS: 2, SECU: 2}
    product_categories:
      - code: dpi
        name: Dossier patient informatisé
        expected: {INS: 3, DMP: 3, MSS: 3, SECU: 2}
    """
)


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    """Uploads, progress files and exports of every exchange test go to its own directory."""
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def grades(db):
    return MembershipFactory(
        organisation=OrganisationFactory(code="grades-occ", name="e-santé Occitanie", grades=True)
    )


@pytest.fixture
def referential(db):
    return referential_import(source=REFERENTIAL_YAML).referential


@pytest.fixture
def campaign(referential):
    return Campaign.objects.create(
        code="2020-S2",
        title="Campagne 2020 S2",
        referential=referential,
        opens_on=datetime.date(2020, 9, 1),
        closes_on=datetime.date(2020, 12, 15),
        status="open",
    )


@pytest.fixture
def client():
    """Pages in English (French is the site's default language; tests read the source strings)."""
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="en")
