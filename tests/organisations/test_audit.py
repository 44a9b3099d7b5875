"""The audit trail: who changed what, on behalf of which organisation; the audit log page."""

import csv
import datetime
import io

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from convergence.organisations.models import AuditEntry
from convergence.organisations.tenancy import SESSION_KEY
from convergence.organisations.views import csv_cell
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(vendor):
    return f.MembershipFactory(organisation=vendor, role="mandataire")


def test_a_change_through_a_page_records_the_user_and_the_acting_organisation(client, boss):
    client.force_login(boss.user)
    client.post(reverse("organisations:edit"), {"name": "Acme Santé SAS", "siren": "732829320"})
    record = boss.organisation.history.first()
    assert record.history_user == boss.user and record.acting_organisation_id == boss.organisation_id
    entry = AuditEntry.objects.get(object_type="organisations.organisation", action="~")
    assert entry.user == boss.user and entry.owner_organisation == boss.organisation
    assert entry.object_repr == "Acme Santé SAS"


def test_the_acting_organisation_is_the_one_chosen_not_the_owner_of_the_object(vendor):
    """An analyst acting for the agency changes a vendor's product: the log says both."""
    agency = f.OrganisationFactory(agency=True)
    analyst = f.MembershipFactory(organisation=agency, role="analyste").user
    f.MembershipFactory(user=analyst, organisation=vendor, role="salarie")  # also a vendor member
    request = RequestFactory().post("/")
    request.user = analyst
    request.session = SessionStore()
    request.session[SESSION_KEY] = agency.pk
    subject = f.SubjectFactory(organisation=vendor)
    HistoricalRecords.context.request = request
    try:
        subject.name = "Renamed"
        subject.save()
    finally:
        del HistoricalRecords.context.request
    assert subject.history.first().acting_organisation_id == agency.pk
    entry = AuditEntry.objects.filter(object_type="catalog.subject").first()
    assert (
        entry.acting_organisation == agency and entry.owner_organisation == vendor and entry.user == analyst
    )


def test_answers_and_assessments_are_logged_under_their_subjects_organisation(vendor):
    answer = f.AnswerFactory(assessment__subject__organisation=vendor)
    assert AuditEntry.objects.get(object_type="assessments.answer").owner_organisation == vendor
    assert AuditEntry.objects.get(object_type="assessments.assessment").owner_organisation == vendor
    answer.delete()
    assert AuditEntry.objects.filter(object_type="assessments.answer", action="-").exists()


def test_an_organisation_reads_only_its_own_entries_and_the_agency_reads_all(client, boss):
    f.SubjectFactory(organisation=boss.organisation, name="Our product")
    f.SubjectFactory(name="Their product")
    client.force_login(boss.user)
    body = client.get(reverse("organisations:audit_log")).content.decode()
    assert "Our product" in body and "Their product" not in body
    csv_body = b"".join(client.get(reverse("organisations:audit_log_csv")).streaming_content).decode()
    assert "Our product" in csv_body and "Their product" not in csv_body
    analyst = f.MembershipFactory(organisation=f.OrganisationFactory(agency=True), role="analyste").user
    client.force_login(analyst)
    body = client.get(reverse("organisations:audit_log")).content.decode()
    assert "Our product" in body and "Their product" in body


def test_employees_do_not_read_the_audit_log(client, vendor):
    client.force_login(f.MembershipFactory(organisation=vendor, role="salarie").user)
    assert client.get(reverse("organisations:audit_log")).status_code == 403
    assert client.get(reverse("organisations:audit_log_csv")).status_code == 403


def test_filters_by_type_action_user_and_dates(client, boss):
    subject = f.SubjectFactory(organisation=boss.organisation, name="Filtered product")
    subject.name = "Filtered product v2"
    subject.save()
    old = AuditEntry.objects.filter(object_type="catalog.subject", action="+").get()
    old.occurred_at = timezone.now() - datetime.timedelta(days=40)
    old.save()
    client.force_login(boss.user)
    url = reverse("organisations:audit_log")
    only_changes = client.get(url, {"object_type": "catalog.subject", "action": "~"}).content.decode()
    assert (
        "Filtered product v2" in only_changes
        and "1 entry"
        in client.get(
            url, {"object_type": "catalog.subject", "action": "~"}, HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()
    )
    recent = client.get(
        url, {"object_type": "catalog.subject", "date_from": timezone.localdate().isoformat()}
    )
    assert recent.context["page"].paginator.count == 1
    nobody = client.get(url, {"user": "nobody@"})
    assert nobody.context["page"].paginator.count == 0
    reversed_dates = client.get(url, {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert reversed_dates.context["form"].errors["date_to"]


def test_the_log_paginates_with_a_constant_number_of_queries(client, boss, django_assert_max_num_queries):
    for index in range(120):
        f.SubjectFactory(organisation=boss.organisation, name=f"Product {index}")
    client.force_login(boss.user)
    client.get("/")
    with django_assert_max_num_queries(16):  # session, user, memberships, count, page: not per row
        response = client.get(reverse("organisations:audit_log"), {"page": 2})
    assert response.context["page"].number == 2 and len(response.context["page"].object_list) == 50


def test_csv_cells_that_a_spreadsheet_would_run_are_escaped(client, boss):
    f.SubjectFactory(organisation=boss.organisation, name='=HYPERLINK("http://evil")')
    f.SubjectFactory(organisation=boss.organisation, name="@SUM(A1)")
    client.force_login(boss.user)
    response = client.get(reverse("organisations:audit_log_csv"))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    names = {row[7] for row in rows[1:]}
    assert '\'=HYPERLINK("http://evil")' in names and "'@SUM(A1)" in names
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert csv_cell("-1") == "'-1" and csv_cell("+33 1") == "'+33 1" and csv_cell("ok") == "ok"


def test_the_log_names_the_kind_of_object_in_the_readers_language(client, boss):
    f.SubjectFactory(organisation=boss.organisation, name="Named product")
    client.force_login(boss.user)
    english = client.get(reverse("organisations:audit_log")).content.decode()
    french = client.get(reverse("organisations:audit_log"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Subject « Named product »" in english
    assert "Produit ou service « Named product »" in french
    assert "catalog.subject «" not in english and "catalog.subject #" not in english


def test_each_audited_model_names_its_owner_and_label_without_a_query(django_assert_num_queries):
    from convergence.organisations.audit import object_repr, owner_organisation_id

    answer = f.AnswerFactory()
    assessment = answer.assessment
    subject = assessment.subject
    membership = f.MembershipFactory(organisation=subject.organisation, user__email="ana@acme.example")
    with django_assert_num_queries(0):
        assert owner_organisation_id(subject.organisation) == subject.organisation_id
        assert owner_organisation_id(subject) == subject.organisation_id
        assert owner_organisation_id(assessment) == subject.organisation_id
        assert owner_organisation_id(answer) == subject.organisation_id
        assert owner_organisation_id(membership) == subject.organisation_id
        assert owner_organisation_id(assessment.campaign) is None
        label = object_repr(membership)
        assert "ana@acme.example" in label and f"({membership.role})" in label
        assert object_repr(subject) == subject.name


def test_answers_and_assessments_are_named_by_axis_subject_and_campaign(django_assert_num_queries):
    from convergence.assessments.models import Answer
    from convergence.organisations.audit import object_repr

    answer = f.AnswerFactory()
    assessment = answer.assessment
    expected = f"{assessment.subject.name} — {assessment.campaign.code}"
    with django_assert_num_queries(0):  # the relations are loaded
        assert object_repr(assessment) == expected
        assert object_repr(answer) == f"{answer.axis.code} · {expected}"
    fresh = Answer.objects.get(pk=answer.pk)
    with django_assert_num_queries(2):  # a fresh row: the axis, then the assessment's names
        assert object_repr(fresh) == f"{answer.axis.code} · {expected}"
    entry = AuditEntry.objects.filter(object_type="assessments.answer", object_id=str(answer.pk)).get()
    assert "#" not in entry.object_repr


def test_an_owner_not_loaded_costs_one_query_and_is_recorded_on_the_entry(django_assert_num_queries):
    from convergence.assessments.models import Answer
    from convergence.organisations.audit import owner_organisation_id

    answer = f.AnswerFactory()
    fresh = Answer.objects.get(pk=answer.pk)
    with django_assert_num_queries(1):
        assert owner_organisation_id(fresh) == answer.assessment.subject.organisation_id
    entry = AuditEntry.objects.filter(object_type="assessments.answer", object_id=str(answer.pk)).get()
    assert entry.owner_organisation_id == answer.assessment.subject.organisation_id
