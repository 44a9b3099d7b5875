"""Everyday friction on the organisation pages (issue 12): the audit log reads as sentences, the
menus offer only what the views allow, the invitation proposes the least powerful role."""

import re

import pytest
from django.urls import reverse

from convergence.organisations.models import AuditEntry, Membership
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(vendor):
    return f.MembershipFactory(organisation=vendor, role="mandataire")


def test_the_invitation_form_proposes_the_least_powerful_role(client, boss):
    client.force_login(boss.user)
    body = client.get(reverse("organisations:invite")).content.decode()
    selected = re.findall(r'<option value="(\w+)"[^>]*selected', body)
    assert selected == ["salarie"]


@pytest.mark.parametrize(
    ("kind", "role", "least"),
    [("ars", "administrateur", "contributeur"), ("agency", "administrateur", "analyste")],
)
def test_every_kind_of_organisation_invites_with_its_least_powerful_role_by_default(
    client, kind, role, least
):
    organisation = f.OrganisationFactory(**{kind: True})
    manager = f.MembershipFactory(organisation=organisation, role=role).user
    client.force_login(manager)
    form = client.get(reverse("organisations:invite")).context["form"]
    assert form["role"].value() == least


def test_an_employee_is_not_offered_the_audit_log_they_may_not_read(client, vendor, boss):
    employee = f.MembershipFactory(organisation=vendor, role="salarie").user
    audit_url = reverse("organisations:audit_log")
    for user, offered, status in ((employee, False, 403), (boss.user, True, 200)):
        client.force_login(user)
        for page in ("organisations:profile", "organisations:members"):
            body = client.get(reverse(page)).content.decode()
            assert (f'href="{audit_url}"' in body) is offered, (user, page)
        assert client.get(audit_url).status_code == status


def test_the_csv_export_is_a_labelled_button(client, boss):
    client.force_login(boss.user)
    body = client.get(reverse("organisations:audit_log"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    group = re.search(r'<ul class="([^"]*)">(?:(?!</ul>).)*id="audit-csv"', body, re.S)
    link = re.search(r'<a [^>]*id="audit-csv"[^>]*>(.*?)</a>', body, re.S)
    assert link is not None and link.group(1).strip() == "Exporter (CSV)"
    # In a group of buttons, DSFR cuts an icon button to a 40 px square hiding its text unless
    # the group says where the icons go.
    assert group is not None and "fr-btns-group--icon-left" in group.group(1).split()


def test_a_membership_is_logged_with_the_members_address_and_role(boss):
    # A membership saved without its user loaded (as the role-change service does).
    membership = Membership.objects.get(pk=boss.pk)
    membership.role = "representant"
    membership.save()
    entry = AuditEntry.objects.filter(object_type="organisations.membership").order_by("-id").first()
    assert entry.object_repr == f"{boss.user.email} (representant)"
    assert "#" not in entry.object_repr


def test_a_change_shows_its_fields_old_and_new(client, boss):
    subject = f.SubjectFactory(organisation=boss.organisation, name="Old name")
    subject.name = "New name"
    subject.status = "retired"
    subject.save()
    client.force_login(boss.user)
    body = client.get(reverse("organisations:audit_log")).content.decode()
    assert "Name: Old name → New name" in body
    assert "Status: Active → Retired" in body


def test_field_details_cost_two_queries_per_kind_of_object_not_one_per_row(
    client, boss, django_assert_max_num_queries
):
    for index in range(60):
        subject = f.SubjectFactory(organisation=boss.organisation, name=f"Product {index}")
        subject.name = f"Product {index} v2"
        subject.save()
    client.force_login(boss.user)
    client.get("/")
    with django_assert_max_num_queries(18):
        response = client.get(reverse("organisations:audit_log"), {"action": "~"})
    rows = response.context["rows"]
    assert len(rows) == 50 and all(row["changes"] for row in rows)


def test_retiring_a_product_is_logged_with_its_reason(client, boss):
    from convergence.catalog.services import subject_retire

    subject = f.SubjectFactory(organisation=boss.organisation, name="Old product")
    subject_retire(actor=boss.user, subject=subject)
    client.force_login(boss.user)
    body = client.get(reverse("organisations:audit_log")).content.decode()
    assert "Reason: Retired" in body and "Status: Active → Retired" in body


def test_a_fields_error_is_tied_to_its_input(client, boss):
    client.force_login(boss.user)
    body = client.post(reverse("organisations:edit"), {"name": "Acme", "siren": "123"}).content.decode()
    field = re.search(r'<input [^>]*name="siren"[^>]*>', body).group(0)
    assert 'aria-describedby="id_siren-error"' in field and 'aria-invalid="true"' in field
    assert 'id="id_siren-error"' in body
