"""A token obeys the same two-factor rule as the web pages (organisations.security): a token created
while its user's role did not require two-factor authentication stops working once the user is
promoted to a role that does, until the user sets it up."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client
from rest_framework.test import APIClient

from convergence.api.services import token_create
from convergence.catalog.models import Subject
from convergence.organisations.models import Membership
from convergence.organisations.security import two_factor_setup_required
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def employee_with_token(world, settings):
    settings.MFA_REQUIRED_FOR_SENSITIVE_ROLES = True
    membership = MembershipFactory(organisation=world.org_a, role="salarie")
    _token, raw = token_create(user=membership.user, organisation=world.org_a, name="sync")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return membership, client


def test_a_token_of_a_role_without_two_factor_requirement_works(employee_with_token):
    _membership, client = employee_with_token
    assert client.get("/api/subjects/").status_code == 200


def test_a_promotion_stops_the_token_until_two_factor_is_set_up(employee_with_token):
    membership, client = employee_with_token
    Membership.objects.filter(pk=membership.pk).update(role="mandataire")

    response = client.get("/api/subjects/")
    assert response.status_code == 403
    [error] = response.json()["errors"]
    assert error["field"] is None and "two-factor" in error["message"]
    # The web pages apply the very same rule to the same account.
    web = Client()
    web.force_login(membership.user)
    assert web.get("/catalogue/").status_code == 302
    assert two_factor_setup_required(membership.user)

    TOTP.activate(membership.user, generate_totp_secret())
    assert client.get("/api/subjects/").status_code == 200
    assert not two_factor_setup_required(membership.user)


def test_a_token_refused_for_two_factor_writes_nothing(employee_with_token, world):
    membership, client = employee_with_token
    Membership.objects.filter(pk=membership.pk).update(role="mandataire")
    before = Subject.objects.filter(organisation=world.org_a).count()
    response = client.post(
        "/api/subjects/", {"name": "Nouveau", "kind": "product", "type_or_category": "dpi"}, format="json"
    )
    assert response.status_code == 403
    assert Subject.objects.filter(organisation=world.org_a).count() == before
