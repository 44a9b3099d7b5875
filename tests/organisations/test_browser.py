"""Main journeys in Chromium on a live server, with real logins (password, then TOTP codes
computed here from the authenticator's secret) and two-factor authentication required."""

import re
import time

import pytest
import time_machine
from playwright.sync_api import expect

from convergence.organisations.models import Membership
from tests import factories as f

from .conftest import PASSWORD, add_totp, totp_code, verified_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _mfa_on(mfa_required):
    """Every journey here runs with the two-factor requirement of production."""


@pytest.fixture(autouse=True)
def _clock_stopped_mid_period():
    """A TOTP code is valid during one 30 s period only (allauth allows no tolerance): a code
    computed here and checked by the live server a moment later fails whenever a period ends in
    between, which a loaded machine makes likely. The clock of the test and of the live server (a
    thread of this process) stands still in the middle of a period, so the code computed is the
    one the server expects. (Each journey uses each code once: allauth refuses a code used twice.)"""
    now = time.time()
    with time_machine.travel(now - now % 30 + 15, tick=False):
        yield


def log_in(page, live_server, email: str, password: str = PASSWORD, totp_secret: str | None = None) -> None:
    page.goto(f"{live_server.url}/comptes/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").first.click()
    if totp_secret:
        page.wait_for_url(re.compile(r"/comptes/2fa/authenticate/"))
        page.fill("input[name=code]", totp_code(totp_secret))
        page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(f"{live_server.url}/")


def log_out(page) -> None:
    logout = page.locator("header form[action$='/comptes/logout/'] button")
    logout.first.click()
    expect(logout).to_have_count(0)  # the page after the logout, not the one before
    page.context.clear_cookies()


def test_a_mandataire_invites_an_employee_who_accepts_and_logs_in(live_server, page, mailoutbox):
    vendor = f.OrganisationFactory(code="acme", name="Acme Santé")
    boss = verified_user("boss@acme.example")
    f.MembershipFactory(user=boss, organisation=vendor, role="mandataire")
    secret = add_totp(boss)
    page.on("dialog", lambda dialog: dialog.accept())

    log_in(page, live_server, boss.email, totp_secret=secret)
    page.goto(f"{live_server.url}/organisations/membres/")
    page.locator("main a[href$='/organisations/membres/inviter/']").first.click()
    page.fill("input[name=email]", "new.hire@acme.example")
    page.select_option("select[name=role]", "salarie")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("new.hire@acme.example")
    expect(page.locator("main")).to_contain_text("new.hire@acme.example")  # pending invitation
    assert len(mailoutbox) == 1
    link = re.search(r"http://\S+/organisations/invitation/\S+/", mailoutbox[0].body).group(0)
    log_out(page)

    page.goto(link)
    expect(page.locator("main")).to_contain_text("new.hire@acme.example")
    page.fill("input[name=first_name]", "Nina")
    page.fill("input[name=last_name]", "Hire")
    page.fill("input[name=password1]", "short")
    page.fill("input[name=password2]", "short")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".fr-error-text").first).to_be_visible()  # too short: said on the field
    page.fill("input[name=password1]", "a-long-enough-passphrase")
    page.fill("input[name=password2]", "a-long-enough-passphrase")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator("header a[title='new.hire@acme.example']").first).to_be_visible()
    assert Membership.objects.get(user__email="new.hire@acme.example").role == "salarie"

    # The link works once.
    log_out(page)
    page.goto(link)
    expect(page.locator(".fr-alert--error")).to_be_visible()

    # An employee needs no second factor: a password login lands on the home page.
    log_in(page, live_server, "new.hire@acme.example", password="a-long-enough-passphrase")
    expect(page.locator("header")).to_contain_text("Acme Santé")

    # The audit trail shows what this journey changed: the membership the invitation created,
    # read by another account manager of the organisation (the employee may not read it).
    assert page.goto(f"{live_server.url}/organisations/journal/").status == 403
    log_out(page)
    deputy = verified_user("deputy@acme.example")
    f.MembershipFactory(user=deputy, organisation=vendor, role="representant")
    log_in(page, live_server, deputy.email, totp_secret=add_totp(deputy))
    page.goto(f"{live_server.url}/organisations/journal/")
    expect(page.locator("main table tbody tr").filter(has_text="salarie").first).to_contain_text(
        "new.hire@acme.example"
    )


def test_an_agency_analyst_logs_in_with_a_totp_code(live_server, page):
    agency = f.OrganisationFactory(agency=True, code="ans", name="Agence du numérique en santé")
    analyst = verified_user("analyst@ans.example")
    f.MembershipFactory(user=analyst, organisation=agency, role="analyste")
    secret = add_totp(analyst)

    # A wrong code is refused and keeps the person out.
    page.goto(f"{live_server.url}/comptes/login/")
    page.fill("input[name=login]", analyst.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/comptes/2fa/authenticate/"))
    wrong = "000000" if totp_code(secret) != "000000" else "111111"
    page.fill("input[name=code]", wrong)
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator(".fr-error-text, .fr-alert--error").first).to_be_visible()
    page.context.clear_cookies()

    log_in(page, live_server, analyst.email, totp_secret=secret)
    page.goto(f"{live_server.url}/organisations/toutes/")
    expect(page.locator("main h1")).to_be_visible()
    expect(page.locator("main table")).to_contain_text("Agence du numérique en santé")


def test_an_agency_analyst_without_two_factor_is_sent_to_set_it_up_and_does(live_server, page):
    agency = f.OrganisationFactory(agency=True, code="ans", name="Agence du numérique en santé")
    analyst = verified_user("new.analyst@ans.example")
    f.MembershipFactory(user=analyst, organisation=agency, role="analyste")
    page.goto(f"{live_server.url}/comptes/login/")
    page.fill("input[name=login]", analyst.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/comptes/login/" not in url)  # logged in, before going on
    page.goto(f"{live_server.url}/organisations/")
    # allauth asks for the password again before showing the secret.
    page.wait_for_url(re.compile(r"/comptes/(reauthenticate|2fa/totp/activate)/"))
    if "/reauthenticate/" in page.url:
        page.fill("input[name=password]", PASSWORD)
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_url(re.compile(r"/comptes/2fa/totp/activate/"))
    secret = page.locator("input#authenticator_secret").input_value()
    page.fill("input[name=code]", totp_code(secret))
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/2fa/totp/activate/" not in url)  # activated, before going on
    page.goto(f"{live_server.url}/organisations/")
    expect(page.locator("main h1")).to_contain_text("Agence du numérique en santé")


def test_a_member_switches_organisation_from_the_header(live_server, page):
    first = f.OrganisationFactory(code="alpha", name="Alpha Logiciels")
    second = f.OrganisationFactory(code="beta", name="Beta Éditions")
    user = verified_user("both@example.org")
    f.MembershipFactory(user=user, organisation=first, role="salarie")
    f.MembershipFactory(user=user, organisation=second, role="salarie")
    log_in(page, live_server, user.email)
    page.goto(f"{live_server.url}/organisations/")
    expect(page.locator("main h1")).to_contain_text("Alpha Logiciels")
    switcher = page.locator("header .fr-header__tools form.cv-organisation-switch")
    switcher.locator("select").select_option(label="Beta Éditions")
    switcher.locator("button").click()
    page.wait_for_url(f"{live_server.url}/organisations/")
    expect(page.locator("main h1")).to_contain_text("Beta Éditions")
    expect(page.locator(".fr-alert--success")).to_contain_text("Beta Éditions")
