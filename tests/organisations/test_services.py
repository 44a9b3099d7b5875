"""Service rules on organisations, memberships and invitations: refusals change nothing."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from convergence.organisations import services
from convergence.organisations.models import Invitation, Membership, Organisation
from tests import factories as f

pytestmark = pytest.mark.django_db


def member(organisation, role):
    return f.MembershipFactory(organisation=organisation, role=role)


def test_a_vendor_needs_a_siren_with_a_valid_check_digit():
    with pytest.raises(ValidationError) as error:
        services.organisation_create(actor=None, code="x", name="X", kind="vendor", siren="732829321")
    assert "siren" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.organisation_create(actor=None, code="y", name="Y", kind="vendor")
    organisation, token = services.organisation_create(
        actor=None, code="z", name="Z", kind="vendor", siren="732 829 320"
    )
    assert organisation.siren == "732829320" and token is None


def test_a_region_has_one_ars_and_one_grades():
    services.organisation_create(actor=None, code="ars-occ", name="ARS Occitanie", kind="ars", region="76")
    with pytest.raises(ValidationError) as error:
        services.organisation_create(actor=None, code="ars-occ2", name="ARS bis", kind="ars", region="76")
    assert "region" in error.value.message_dict
    services.organisation_create(
        actor=None, code="grades-occ", name="GRADeS Occitanie", kind="grades", region="76"
    )
    with pytest.raises(ValidationError):
        services.organisation_create(actor=None, code="ars-none", name="ARS ?", kind="ars")
    assert Organisation.objects.count() == 2


def test_only_the_agency_creates_organisations_and_the_first_manager_is_invited():
    vendor_user = member(f.OrganisationFactory(), "mandataire").user
    with pytest.raises(PermissionDenied):
        services.organisation_create(actor=vendor_user, code="n", name="N", kind="vendor", siren="732829320")
    analyst = member(f.OrganisationFactory(agency=True), "analyste").user
    organisation, token = services.organisation_create(
        actor=analyst,
        code="n",
        name="N",
        kind="vendor",
        siren="732829320",
        first_manager_email="Boss@N.example",
    )
    invitation = Invitation.objects.get(organisation=organisation)
    assert invitation.role == "mandataire" and invitation.email == "boss@n.example"
    assert invitation.token_hash == services.token_hash(token) and token not in invitation.token_hash


def test_a_member_cannot_raise_their_own_role():
    vendor = f.OrganisationFactory()
    member(vendor, "mandataire")
    salarie = member(vendor, "salarie")
    with pytest.raises(PermissionDenied, match="own role"):
        services.membership_change_role(actor=salarie.user, membership=salarie, role="representant")
    salarie.refresh_from_db()
    assert salarie.role == "salarie"


def test_the_last_account_manager_can_neither_leave_nor_be_downgraded():
    vendor = f.OrganisationFactory()
    boss = member(vendor, "mandataire")
    member(vendor, "salarie")
    with pytest.raises(ValidationError, match="at least one account manager"):
        services.membership_change_role(actor=boss.user, membership=boss, role="salarie")
    with pytest.raises(ValidationError, match="at least one account manager"):
        services.membership_remove(actor=boss.user, membership=boss)
    boss.refresh_from_db()
    assert boss.role == "mandataire"
    # With a second manager, the first may step down.
    member(vendor, "representant")
    services.membership_change_role(actor=boss.user, membership=boss, role="salarie")
    boss.refresh_from_db()
    assert boss.role == "salarie"


def test_a_representant_manages_employees_but_not_the_mandataire():
    vendor = f.OrganisationFactory()
    boss = member(vendor, "mandataire")
    representant = member(vendor, "representant")
    salarie = member(vendor, "salarie")
    with pytest.raises(PermissionDenied):
        services.membership_change_role(actor=representant.user, membership=boss, role="salarie")
    with pytest.raises(PermissionDenied):
        services.membership_remove(actor=representant.user, membership=boss)
    with pytest.raises(PermissionDenied):
        services.membership_change_role(actor=representant.user, membership=salarie, role="mandataire")
    with pytest.raises(PermissionDenied):
        services.invitation_create(
            actor=representant.user, organisation=vendor, email="x@y.example", role="mandataire"
        )
    services.membership_change_role(actor=representant.user, membership=salarie, role="representant")
    services.membership_remove(actor=representant.user, membership=salarie)
    assert set(Membership.objects.filter(organisation=vendor).values_list("role", flat=True)) == {
        "mandataire",
        "representant",
    }


def test_employees_and_contributors_manage_no_account():
    vendor = f.OrganisationFactory()
    salarie = member(vendor, "salarie")
    other = member(vendor, "salarie")
    with pytest.raises(PermissionDenied):
        services.invitation_create(
            actor=salarie.user, organisation=vendor, email="x@y.example", role="salarie"
        )
    with pytest.raises(PermissionDenied):
        services.membership_remove(actor=salarie.user, membership=other)
    region = f.OrganisationFactory(ars=True)
    contributor = member(region, "contributeur")
    with pytest.raises(PermissionDenied):
        services.invitation_create(
            actor=contributor.user, organisation=region, email="x@y.example", role="contributeur"
        )
    assert Invitation.objects.count() == 0 and Membership.objects.filter(pk=other.pk).exists()


def test_a_role_of_another_kind_of_organisation_is_refused():
    region = f.OrganisationFactory(grades=True)
    admin = member(region, "administrateur")
    with pytest.raises(ValidationError) as error:
        services.invitation_create(
            actor=admin.user, organisation=region, email="x@y.example", role="mandataire"
        )
    assert "role" in error.value.message_dict


def test_an_invitation_is_mailed_after_commit_and_accepted_once(django_capture_on_commit_callbacks):
    vendor = f.OrganisationFactory()
    boss = member(vendor, "mandataire")
    with django_capture_on_commit_callbacks(execute=True):
        invitation, token = services.invitation_create(
            actor=boss.user,
            organisation=vendor,
            email="New@Acme.example",
            role="salarie",
            accept_url_template="https://convergence.example/organisations/invitation/{token}/",
        )
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new@acme.example"]
    assert f"/organisations/invitation/{token}/" in mail.outbox[0].body
    assert Invitation.objects.get().token_hash != token
    newcomer = f.UserFactory(email="new@acme.example")
    membership = services.invitation_accept(token=token, user=newcomer)
    assert membership.role == "salarie" and membership.organisation == vendor
    with pytest.raises(ValidationError, match="already been used"):
        services.invitation_accept(token=token, user=newcomer)


def test_expired_revoked_unknown_and_misaddressed_invitations_are_refused_clearly():
    vendor = f.OrganisationFactory()
    boss = member(vendor, "mandataire")
    invitation, token = services.invitation_create(
        actor=boss.user, organisation=vendor, email="a@b.example", role="salarie"
    )
    someone_else = f.UserFactory(email="c@d.example")
    with pytest.raises(ValidationError, match="was sent to a@b.example"):
        services.invitation_accept(token=token, user=someone_else)
    with pytest.raises(ValidationError, match="not valid"):
        services.invitation_accept(token=token + "x", user=someone_else)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    with pytest.raises(ValidationError, match="expired"):
        services.invitation_accept(token=token, user=f.UserFactory(email="a@b.example"))
    _, token2 = services.invitation_create(
        actor=boss.user, organisation=vendor, email="e@f.example", role="salarie"
    )
    services.invitation_revoke(
        actor=boss.user, invitation=Invitation.objects.get(email="e@f.example", revoked_at=None)
    )
    with pytest.raises(ValidationError, match="withdrawn"):
        services.invitation_accept(token=token2, user=f.UserFactory(email="e@f.example"))
    assert Membership.objects.filter(organisation=vendor).count() == 1


def test_a_new_invitation_replaces_the_pending_one():
    vendor = f.OrganisationFactory()
    boss = member(vendor, "mandataire")
    _, first = services.invitation_create(
        actor=boss.user, organisation=vendor, email="a@b.example", role="salarie"
    )
    services.invitation_create(actor=boss.user, organisation=vendor, email="a@b.example", role="representant")
    with pytest.raises(ValidationError, match="withdrawn"):
        services.invitation_for_token(first)


def test_an_invited_person_creates_an_account_with_a_verified_address():
    from allauth.account.models import EmailAddress

    vendor = f.OrganisationFactory()
    boss = member(vendor, "mandataire")
    _, token = services.invitation_create(
        actor=boss.user, organisation=vendor, email="a@b.example", role="salarie"
    )
    with pytest.raises(ValidationError):
        services.user_create_from_invitation(token=token, password="123")  # too short, numeric
    assert not EmailAddress.objects.filter(email="a@b.example").exists()
    user = services.user_create_from_invitation(token=token, password="a-long-enough-passphrase")
    assert EmailAddress.objects.get(user=user).verified
    assert Membership.objects.get(user=user).role == "salarie"
