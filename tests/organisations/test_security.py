"""Login protection: lockout, two-factor requirement and login, session inactivity, headers, events."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse

from convergence.organisations.models import SecurityEvent
from tests import factories as f

from .conftest import PASSWORD, add_totp, totp_code, verified_user

pytestmark = pytest.mark.django_db

LOGIN = "/comptes/login/"


def error_text(response) -> str:
    """The page's error messages (what a person reads), without tokens that change per request."""
    html = response.content.decode()
    return " | ".join(
        re.sub(r"\s+", " ", m).strip()
        for m in re.findall(r'class="fr-alert[^"]*"[^>]*>(.*?)</div>', html, re.S)
    )


def test_failed_logins_get_the_same_answer_for_known_and_unknown_addresses_then_lock(client):
    verified_user("known@acme.example")
    answers = {"known@acme.example": [], "nobody@acme.example": []}
    for _ in range(6):
        for email, seen in answers.items():
            response = client.post(LOGIN, {"login": email, "password": "wrong-password"})
            assert response.status_code == 200
            seen.append(error_text(response))
    known, unknown = answers["known@acme.example"], answers["nobody@acme.example"]
    assert known == unknown  # same message at every step, existing account or not
    assert known[0] != known[-1]  # ... and the last one is the lockout message
    # Locked: even the right password is refused for now.
    response = client.post(LOGIN, {"login": "known@acme.example", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert error_text(response) == known[-1]
    assert SecurityEvent.objects.filter(kind="login_failed", identifier="known@acme.example").count() == 5
    assert SecurityEvent.objects.filter(kind="lockout", identifier="nobody@acme.example").exists()


def test_a_successful_login_is_recorded(client):
    verified_user("ok@acme.example")
    response = client.post(LOGIN, {"login": "ok@acme.example", "password": PASSWORD})
    assert response.status_code == 302
    event = SecurityEvent.objects.get(kind="login")
    assert event.identifier == "ok@acme.example" and event.ip_address == "127.0.0.1"


def test_agency_members_and_account_managers_must_set_up_two_factor(client, mfa_required, vendor):
    analyst = verified_user("analyst@ans.example")
    f.MembershipFactory(user=analyst, organisation=f.OrganisationFactory(agency=True), role="analyste")
    client.post(LOGIN, {"login": analyst.email, "password": PASSWORD})  # a real login (recent authentication)
    response = client.get(reverse("organisations:profile"))
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")
    # The set-up page stays reachable (allauth asks for the password again first).
    assert client.get(reverse("mfa_activate_totp"))["Location"].startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    add_totp(analyst)
    assert client.get(reverse("organisations:profile")).status_code == 200


def test_an_employee_is_offered_two_factor_but_not_forced(client, mfa_required, vendor):
    salarie = f.MembershipFactory(organisation=vendor, role="salarie").user
    client.force_login(salarie)
    assert client.get(reverse("organisations:profile")).status_code == 200
    assert (
        "Set up two-factor"
        in client.get(reverse("organisations:account"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )


def test_a_manager_promoted_later_is_asked_for_two_factor_on_the_next_request(client, mfa_required, vendor):
    membership = f.MembershipFactory(organisation=vendor, role="salarie")
    client.force_login(membership.user)
    assert client.get(reverse("organisations:profile")).status_code == 200
    membership.role = "representant"
    membership.save()
    assert client.get(reverse("organisations:profile")).status_code == 302


def test_login_with_totp_asks_for_the_code_and_records_a_wrong_one(client, mfa_required):
    user = verified_user("analyst@ans.example")
    f.MembershipFactory(user=user, organisation=f.OrganisationFactory(agency=True), role="analyste")
    secret = add_totp(user)
    response = client.post(LOGIN, {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    wrong = client.post(
        reverse("mfa_authenticate"), {"code": "000000" if totp_code(secret) != "000000" else "111111"}
    )
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    assert SecurityEvent.objects.filter(kind="mfa_failed", user=user).exists()
    right = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert right.status_code == 302 and int(client.session["_auth_user_id"]) == user.pk


def test_a_session_expires_after_inactivity_and_activity_extends_it(client, settings, vendor):
    settings.SESSION_COOKIE_AGE = 30 * 60
    user = f.MembershipFactory(organisation=vendor, role="salarie").user
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False) as clock:
        client.force_login(user)
        profile = reverse("organisations:profile")
        for _ in range(3):  # 3 × 20 min > 30 min in total, but never 30 min without a request
            clock.shift(datetime.timedelta(minutes=20))
            assert client.get(profile).status_code == 200
        clock.shift(datetime.timedelta(minutes=31))
        response = client.get(profile)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_security_headers_and_cookie_flags(client, vendor):
    verified_user("ok@acme.example")
    response = client.post(LOGIN, {"login": "ok@acme.example", "password": PASSWORD})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    page = client.get(reverse("organisations:account"))
    assert page["X-Frame-Options"] == "DENY"
    assert page["X-Content-Type-Options"] == "nosniff"
    assert page["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]


def test_https_mode_sets_secure_cookies_and_hsts():
    import os
    import subprocess
    import sys

    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='convergence.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS)"
    )
    env = {**os.environ, "HTTPS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["True", "True", "True", "31536000"]


@pytest.mark.parametrize(
    "url", ["/comptes/login/", "/comptes/signup/", "/comptes/password/reset/", "/comptes/2fa/totp/activate/"]
)
def test_account_pages_use_the_dsfr_layout_and_no_inline_script(client, url, vendor):
    if "2fa" in url:
        user = verified_user("someone@acme.example")
        client.post(LOGIN, {"login": user.email, "password": PASSWORD})
        client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "fr-header" in html and "fr-footer" in html
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or (nonce and f'nonce="{nonce.group(1)}"' in tag), tag
    assert not re.search(r"\son[a-z]+=\"", html), "inline event handler"


def test_a_refused_page_leaves_a_security_event(client, vendor):
    salarie = f.MembershipFactory(organisation=vendor, role="salarie").user
    client.force_login(salarie)
    assert client.get(reverse("organisations:invite")).status_code == 403
    event = SecurityEvent.objects.get(kind="permission_denied")
    assert event.user == salarie and event.path == reverse("organisations:invite")


def test_only_the_agency_reads_security_events(client, vendor):
    boss = f.MembershipFactory(organisation=vendor, role="mandataire").user
    client.force_login(boss)
    assert client.get(reverse("organisations:security_events")).status_code == 403
    analyst = f.MembershipFactory(organisation=f.OrganisationFactory(agency=True), role="analyste").user
    client.force_login(analyst)
    response = client.get(reverse("organisations:security_events"), {"kind": "permission_denied"})
    assert (
        response.status_code == 200 and reverse("organisations:security_events") in response.content.decode()
    )
