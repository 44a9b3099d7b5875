"""Organisation pages: who sees and does what, confidentiality, confirmations, query counts."""

import re

import pytest
from django.urls import reverse

from convergence.organisations.models import Invitation, Membership
from convergence.organisations.tenancy import SESSION_KEY
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(vendor):
    return f.MembershipFactory(organisation=vendor, role="mandataire")


def test_members_page_lists_members_with_confirmation_on_removal(client, boss, django_assert_max_num_queries):
    for _ in range(30):
        f.MembershipFactory(organisation=boss.organisation, role="salarie")
    client.force_login(boss.user)
    client.get("/")  # warm the session
    with django_assert_max_num_queries(18):  # constant: no query per row
        response = client.get(reverse("organisations:members"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "data-confirm=" in body and body.count("<tr>") >= 31


def test_members_page_paginates_and_filters(client, boss):
    for index in range(55):
        f.MembershipFactory(
            organisation=boss.organisation, role="salarie", user__email=f"p{index}@acme.example"
        )
    client.force_login(boss.user)
    page2 = client.get(reverse("organisations:members"), {"page": 2})
    body = page2.content.decode()
    assert re.search(r'<a class="fr-pagination__link" href="\?page=2" aria-current="page"[^>]*>2</a>', body)
    filtered = client.get(reverse("organisations:members"), {"q": "p54@"})
    assert (
        "p54@acme.example" in filtered.content.decode()
        and "p53@acme.example" not in filtered.content.decode()
    )


def test_another_organisations_membership_is_a_404_and_unchanged(client, boss):
    foreign = f.MembershipFactory(role="salarie")
    client.force_login(boss.user)
    for name in ("organisations:membership_role", "organisations:membership_remove"):
        response = client.post(reverse(name, args=[foreign.pk]), {"role": "representant"})
        assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.role == "salarie"
    invitation = Invitation.objects.create(
        organisation=foreign.organisation,
        email="x@y.example",
        role="salarie",
        token_hash="h" * 64,
        expires_at="2099-01-01T00:00Z",
    )
    assert client.post(reverse("organisations:invitation_revoke", args=[invitation.pk])).status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_an_employee_cannot_invite_nor_edit_the_profile(client, vendor):
    salarie = f.MembershipFactory(organisation=vendor, role="salarie")
    client.force_login(salarie.user)
    assert client.get(reverse("organisations:invite")).status_code == 403
    assert client.post(reverse("organisations:edit"), {"name": "Hacked"}).status_code == 403
    vendor.refresh_from_db()
    assert vendor.name == "Acme Santé"


def test_a_refused_role_change_says_why_and_changes_nothing(client, vendor):
    representant = f.MembershipFactory(organisation=vendor, role="representant")
    boss = f.MembershipFactory(organisation=vendor, role="mandataire")
    client.force_login(representant.user)
    response = client.post(
        reverse("organisations:membership_role", args=[boss.pk]), {"role": "salarie"}, follow=True
    )
    assert "ranks above yours" in response.content.decode()
    boss.refresh_from_db()
    assert boss.role == "mandataire"


def test_the_profile_form_reports_an_invalid_siren_on_its_field(client, boss):
    client.force_login(boss.user)
    response = client.post(reverse("organisations:edit"), {"name": "Acme", "siren": "123456789"})
    assert response.status_code == 200
    assert "fr-input-group--error" in response.content.decode()
    boss.organisation.refresh_from_db()
    assert boss.organisation.siren == "732829320"


def test_inviting_from_the_page_sends_a_working_link(
    client, boss, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(boss.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("organisations:invite"), {"email": "new@acme.example", "role": "salarie"}
        )
    assert response.status_code == 302
    link = next(line for line in mailoutbox[0].body.splitlines() if "/invitation/" in line)
    client.logout()
    page = client.get(link.replace("http://testserver", ""))
    assert page.status_code == 200 and "new@acme.example" in page.content.decode()
    created = client.post(
        link.replace("http://testserver", ""),
        {"password1": "a-long-enough-passphrase", "password2": "a-long-enough-passphrase"},
    )
    assert created.status_code == 302
    assert Membership.objects.get(user__email="new@acme.example").role == "salarie"
    reused = client.get(link.replace("http://testserver", ""))
    assert reused.status_code == 410 and "already been used" in reused.content.decode()


def test_switching_to_an_organisation_one_is_not_a_member_of_is_a_404(client, boss):
    other = f.OrganisationFactory()
    second = f.MembershipFactory(user=boss.user, role="salarie")
    client.force_login(boss.user)
    assert client.post(reverse("organisations:switch"), {"organisation": other.pk}).status_code == 404
    response = client.post(
        reverse("organisations:switch"), {"organisation": second.organisation_id, "next": "/"}
    )
    assert response.status_code == 302 and client.session[SESSION_KEY] == second.organisation_id
    home = client.get("/")
    assert "cv-organisation-switch" in home.content.decode()


def test_the_switch_ignores_an_off_site_next(client, boss):
    client.force_login(boss.user)
    response = client.post(
        reverse("organisations:switch"),
        {"organisation": boss.organisation_id, "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("web:home")


def test_only_the_agency_lists_and_creates_organisations(client, boss):
    client.force_login(boss.user)
    assert client.get(reverse("organisations:list")).status_code == 403
    analyst = f.MembershipFactory(organisation=f.OrganisationFactory(agency=True), role="analyste")
    client.force_login(analyst.user)
    assert client.get(reverse("organisations:list")).status_code == 200
    response = client.post(reverse("organisations:create"), {"kind": "ars", "code": "ars-x", "name": "ARS X"})
    assert "choose it" in response.content.decode()  # region missing, said on the field


def test_my_account_lists_my_organisations(client, boss):
    client.force_login(boss.user)
    response = client.get(reverse("organisations:account"))
    assert boss.organisation.name in response.content.decode()


def test_an_employee_leaves_but_the_last_manager_cannot(client, boss):
    salarie = f.MembershipFactory(organisation=boss.organisation, role="salarie")
    client.force_login(salarie.user)
    page = client.get(reverse("organisations:account")).content.decode()
    assert reverse("organisations:membership_remove", args=[salarie.pk]) in page
    client.post(reverse("organisations:membership_remove", args=[salarie.pk]))
    assert not Membership.objects.filter(pk=salarie.pk).exists()
    client.force_login(boss.user)
    response = client.post(reverse("organisations:membership_remove", args=[boss.pk]), follow=True)
    assert "at least one account manager" in response.content.decode()
    assert Membership.objects.filter(pk=boss.pk).exists()
