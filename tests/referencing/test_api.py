"""The referencing API: programmes, the acting organisation's own dossiers, the register and
the XLSX export, with personal access tokens."""

import io

import openpyxl
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from convergence.api.services import token_create
from convergence.referencing.models import Award, Dossier

from .test_dossiers import TODAY, _submitted


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to(TODAY.isoformat() + " 10:00+00:00", tick=False)


def _client(user, organisation):
    _token, raw = token_create(user=user, organisation=organisation, name="test")
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_a_vendor_reads_the_programmes_and_its_own_dossiers_only(world):
    dossier = _submitted(world)
    other = Dossier.objects.create(
        programme=world.programme, subject=world.other_assessment.subject, created_by=world.other_manager
    )
    client = _client(world.manager, world.vendor)
    programmes = client.get(reverse("api:referencing-programme-list")).json()["results"]
    assert [p["code"] for p in programmes] == ["segur-dpi"] and programmes[0]["requirements"][0][
        "code"
    ] == "socle"
    dossiers = client.get(reverse("api:referencing-dossier-list")).json()["results"]
    assert [(d["id"], d["status"]) for d in dossiers] == [(dossier.pk, "submitted")]
    assert client.get(reverse("api:referencing-dossier-detail", args=[other.pk])).status_code == 404
    assert (
        client.get(reverse("api:referencing-dossier-detail", args=["99999999999999999999"])).status_code
        == 404
    )


def test_the_register_is_public_and_the_export_is_every_dossier_for_the_agency(world):
    dossier = _submitted(world)
    Award.objects.create(
        dossier=dossier,
        referential=world.programme.referential,
        starts_on=TODAY,
        ends_on=TODAY.replace(year=2029),
    )
    Dossier.objects.create(
        programme=world.programme, subject=world.other_assessment.subject, created_by=world.other_manager
    )
    register = APIClient().get(reverse("api:referencing-register")).json()
    assert [a["product"] for a in register["awards"]] == ["ACME DPI"]
    url = reverse("api:referencing-programme-dossiers", args=[world.programme.pk])
    agency_rows = list(
        openpyxl.load_workbook(
            io.BytesIO(_client(world.analyst, world.agency).get(url).content)
        ).active.values
    )
    vendor_rows = list(
        openpyxl.load_workbook(
            io.BytesIO(_client(world.manager, world.vendor).get(url).content)
        ).active.values
    )
    assert len(agency_rows) == 3 and len(vendor_rows) == 2 and vendor_rows[1][1] == "ACME DPI"
