"""Awards and their life (reports, audits, suspension, review flags), the public register and
the attestation with its PDF."""

import datetime
import json
import subprocess

import jsonschema
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from convergence.notifications.models import Notification
from convergence.referencing import services
from convergence.referencing.models import Award

from .conftest import TODAY
from .test_dossiers import _before_commission


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC), tick=False)


@pytest.fixture
def award(world):
    dossier, meeting = _before_commission(world)
    services.opinion_record(
        actor=world.commission_member,
        organisation=world.agency,
        meeting=meeting,
        dossier=dossier,
        opinion="favourable",
    )
    return Award.objects.get(dossier=dossier)


def _pdf_text(content: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()


def test_a_report_an_audit_and_a_suspension_show_on_the_attestation(client, world, award):
    url = reverse("referencing:attestation", args=[award.verification_code])
    assert "This award is valid." in client.get(url).content.decode()  # public: no login

    client.force_login(world.other_user)  # any logged-in person may report
    refused = client.post(
        reverse("referencing:report", args=[award.verification_code]), {"description": "court"}
    )
    assert refused.status_code == 422 and not award.reports.exists()
    client.post(
        reverse("referencing:report", args=[award.verification_code]),
        {"description": "L'INS n'est pas qualifiée."},
    )
    report = award.reports.get()
    assert Notification.objects.filter(recipient=world.analyst, event="nonconformity_reported").exists()

    with pytest.raises(PermissionDenied):
        services.audit_open(
            actor=world.manager,
            organisation=world.vendor,
            award=award,
            scope="INS",
            starts_on=TODAY,
            ends_on=TODAY,
        )
    audit = services.audit_open(
        actor=world.analyst,
        organisation=world.agency,
        award=award,
        scope="Qualification de l'INS",
        starts_on=TODAY,
        ends_on=TODAY + datetime.timedelta(days=10),
        reports=[report],
    )
    report.refresh_from_db()
    assert report.audit == audit
    with pytest.raises(ValidationError) as refused:
        services.audit_close(
            actor=world.analyst,
            organisation=world.agency,
            audit=audit,
            findings="",
            report="Non conforme.",
            outcome="suspended",
        )
    assert list(refused.value.message_dict) == ["reason"]
    services.audit_close(
        actor=world.analyst,
        organisation=world.agency,
        audit=audit,
        findings="INS non qualifiée.",
        report="Non conforme.",
        outcome="suspended",
        reason="INS non qualifiée (audit de mars 2026).",
    )
    client.logout()
    page = client.get(url).content.decode()
    assert "This award is SUSPENDED." in page and "INS non qualifiée (audit de mars 2026)." in page
    pdf = client.get(reverse("referencing:attestation_pdf", args=[award.verification_code]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert "SUSPENDED" in _pdf_text(pdf.content)
    assert Notification.objects.filter(recipient=world.manager, event="award_suspended").exists()


def test_the_attestation_says_plainly_when_the_award_expired(client, world, award, time_machine):
    time_machine.move_to(datetime.datetime(2029, 3, 2, 10, 0, tzinfo=datetime.UTC), tick=False)
    page = client.get(reverse("referencing:attestation", args=[award.verification_code])).content.decode()
    assert "This award has EXPIRED." in page


def test_an_unknown_verification_code_is_not_found(client, world, award):
    assert client.get(reverse("referencing:attestation", args=["nope"])).status_code == 404


def test_the_register_in_csv_and_json_follows_its_schema_and_tells_nothing_else(client, world, award):
    records = json.loads(client.get(reverse("referencing:register_json")).content)
    schema = json.loads(client.get(reverse("referencing:register_schema")).content)
    jsonschema.validate(records, schema)
    (record,) = records["awards"]
    assert (
        record["product"] == "ACME DPI" and record["state"] == "valid" and record["ends_on"] == "2029-03-01"
    )
    assert record["verification_url"].endswith(
        reverse("referencing:attestation", args=[award.verification_code])
    )
    csv_text = client.get(reverse("referencing:register_csv")).content.decode()
    assert csv_text.splitlines()[0].startswith("programme,programme_version,") and "ACME DPI" in csv_text
    page = client.get(reverse("referencing:register")).content.decode()
    assert "ACME DPI" in page and "Ségur numérique — DPI" in page
    assert "explanation" not in json.dumps(records)


def test_a_new_product_version_or_edition_flags_the_award_for_review(world, award):
    subject = award.dossier.subject
    subject.version = "5.0"
    subject.save()
    award.refresh_from_db()
    assert award.needs_review and "5.0" in award.review_reason
    Award.objects.update(needs_review=False)
    from tests import factories as f

    f.ReferentialFactory(code="ref-next", published_on=datetime.date(2026, 2, 1))
    award.refresh_from_db()
    assert award.needs_review


def test_the_agency_exports_every_dossier_of_a_programme_in_xlsx(client, world, award):
    import io

    import openpyxl

    client.force_login(world.analyst)
    response = client.get(reverse("referencing:programme_dossiers_xlsx", args=[world.programme.pk]))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Dossier", "Product", "Vendor", "Status") and rows[0][8:] == (
        "socle",
        "mes",
        "charte",
    )
    assert rows[1][1] == "ACME DPI" and rows[1][7] == "Favourable" and rows[1][8] == "met (finding)"
    client.force_login(world.manager)
    assert (
        client.get(reverse("referencing:programme_dossiers_xlsx", args=[world.programme.pk])).status_code
        == 403
    )


def test_reminders_go_out_60_30_and_7_days_before_expiry_once_each(
    world, award, django_capture_on_commit_callbacks
):
    from django.core import mail

    assert services.reminders_send(today=award.ends_on - datetime.timedelta(days=61)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send(today=award.ends_on - datetime.timedelta(days=60)) == 1
        assert services.reminders_send(today=award.ends_on - datetime.timedelta(days=60)) == 0  # once
        assert services.reminders_send(today=award.ends_on - datetime.timedelta(days=7)) == 1
    assert Notification.objects.filter(recipient=world.manager, event="award_expiring").count() == 2
    assert any("Award expiring" in m.subject for m in mail.outbox)


def test_suspensive_reservations_due_in_a_week_are_recalled(world):
    dossier, meeting = _before_commission(world)
    due = TODAY + datetime.timedelta(days=20)
    services.opinion_record(
        actor=world.commission_member,
        organisation=world.agency,
        meeting=meeting,
        dossier=dossier,
        opinion="suspensive",
        reservations="Corriger.",
        reservations_due_on=due,
    )
    assert services.reminders_send(today=due - datetime.timedelta(days=7)) == 1
    assert Notification.objects.filter(recipient=world.manager, event="reservations_due").exists()
